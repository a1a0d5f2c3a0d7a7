import { redactSecrets } from '../../logger.js';

/**
 * Failures are classified by layer, because the right reaction differs: the Bot API refused
 * (method + error_code + description; retry only 429/5xx), or the network failed (no answer at
 * all; retry with backoff). Messages are redacted here already: node-fetch errors quote the URL,
 * and the URL carries the token.
 */

export class BotApiError extends Error {
  readonly layer = 'bot-api' as const;
  constructor(
    readonly method: string,
    readonly errorCode: number,
    readonly description: string,
    /** Seconds Telegram asked us to wait (429). */
    readonly retryAfterS?: number,
  ) {
    super(redactSecrets(`Bot API ${method} failed: ${errorCode} ${description}`));
    this.name = 'BotApiError';
  }

  get retryable(): boolean {
    return this.errorCode === 429 || this.errorCode >= 500;
  }
}

export class BotNetworkError extends Error {
  readonly layer = 'network' as const;
  constructor(
    readonly method: string,
    /** errno-style code when known (ECONNRESET, ECONNREFUSED, TIMEOUT…). */
    readonly code: string,
    detail: string,
  ) {
    super(redactSecrets(`network failure calling ${method}: ${code} ${detail}`));
    this.name = 'BotNetworkError';
  }

  readonly retryable = true;
}

/**
 * Telegram (or something between us) answered, but not with what the method returns: a body
 * that is not JSON, `{}`, `{"ok":true,"result":"surprise"}`. Counted and retried like an outage,
 * never trusted and never allowed to crash the loop that made the call.
 */
export class BotApiResponseError extends Error {
  readonly layer = 'bot-api-response' as const;
  constructor(
    readonly method: string,
    /** What was wrong, without the body itself (it may quote user text). */
    readonly problem: string,
  ) {
    super(redactSecrets(`Bot API ${method} returned a malformed response: ${problem}`));
    this.name = 'BotApiResponseError';
  }

  readonly retryable = true;
}

/** Our own shutdown aborted the call; never retried, never logged as a failure. */
export class CallAbortedError extends Error {
  constructor(readonly method: string) {
    super(`${method} aborted`);
    this.name = 'CallAbortedError';
  }
}

export type ClassifiedError = BotApiError | BotNetworkError | BotApiResponseError;

/** A flat, log-friendly view (pino serialises Error subclasses poorly across layers). */
export function describeError(err: unknown): Record<string, unknown> {
  if (err instanceof BotApiError) {
    return { layer: err.layer, method: err.method, errorCode: err.errorCode, description: redactSecrets(err.description), retryAfterS: err.retryAfterS };
  }
  if (err instanceof BotNetworkError) return { layer: err.layer, method: err.method, code: err.code, message: err.message };
  if (err instanceof BotApiResponseError) return { layer: err.layer, method: err.method, problem: err.problem };
  if (err instanceof Error) return { layer: 'internal', name: err.name, message: redactSecrets(err.message) };
  return { layer: 'internal', message: redactSecrets(String(err)) };
}
