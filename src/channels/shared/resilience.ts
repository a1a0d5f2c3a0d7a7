/**
 * The resilience module moved to src/resilience.ts, beside the logger, so that the answer path
 * can use it too (answer/ must not import from channels/). Channel code may keep this path.
 */
export * from '../../resilience.js';
