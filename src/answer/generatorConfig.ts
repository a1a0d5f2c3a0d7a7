import type { Logger } from 'pino';
import type { AppConfig } from '../config.js';
import type { AnswerGenerator } from './assistant.js';

/** LLM_PROVIDER → answer generator. Unset: the extractive default (no generator). */
export function generatorFromConfig(config: AppConfig, _logger: Logger): AnswerGenerator | undefined {
  if (!config.LLM_PROVIDER) return undefined;
  return undefined;
}
