import type { Logger } from 'pino';
import type { AppConfig } from '../config.js';
import { registerSecret } from '../logger.js';
import type { AnswerGenerator } from './generator.js';
import { LlmAnswerGenerator, type LlmGeneratorOptions } from './llm/generator.js';
import { ollamaChat, openAiCompatibleChat } from './llm/models.js';

/** Default Ollama address when OLLAMA_BASE_URL is not set (Ollama's own default). */
export const DEFAULT_OLLAMA_BASE_URL = 'http://127.0.0.1:11434';

export class LlmConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LlmConfigError';
  }
}

/**
 * LLM_PROVIDER → answer generator. Unset: the extractive default (no generator). A provider
 * without the settings it needs is a configuration error at start-up, not a silent fallback:
 * someone who set LLM_PROVIDER expects LLM answers.
 */
export function generatorFromConfig(config: AppConfig, logger: Logger, overrides: Partial<Omit<LlmGeneratorOptions, 'model'>> = {}): AnswerGenerator | undefined {
  if (!config.LLM_PROVIDER) return undefined;
  const model = config.LLM_MODEL;
  if (!model) throw new LlmConfigError(`LLM_PROVIDER=${config.LLM_PROVIDER} cần LLM_MODEL / needs LLM_MODEL`);
  const timeoutMs = config.LLM_TIMEOUT_MS > 0 ? config.LLM_TIMEOUT_MS : 20_000;
  let chat;
  let endpoint: string;
  if (config.LLM_PROVIDER === 'openai-compatible') {
    if (!config.LLM_BASE_URL) throw new LlmConfigError('LLM_PROVIDER=openai-compatible cần LLM_BASE_URL (ví dụ http://127.0.0.1:8000/v1) / needs LLM_BASE_URL');
    registerSecret(config.LLM_API_KEY);
    endpoint = config.LLM_BASE_URL;
    chat = openAiCompatibleChat({ baseURL: endpoint, model, timeoutMs, ...(config.LLM_API_KEY ? { apiKey: config.LLM_API_KEY } : {}) });
  } else {
    endpoint = config.OLLAMA_BASE_URL ?? config.LLM_BASE_URL ?? DEFAULT_OLLAMA_BASE_URL;
    chat = ollamaChat({ baseUrl: endpoint, model, timeoutMs });
  }
  logger.info({ provider: config.LLM_PROVIDER, model, endpoint: new URL(endpoint).host }, 'llm answers enabled');
  return new LlmAnswerGenerator({ model: chat, logger, timeoutMs, ...overrides });
}
