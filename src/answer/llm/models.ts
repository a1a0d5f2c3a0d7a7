import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { ChatOllama } from '@langchain/ollama';
import { ChatOpenAI } from '@langchain/openai';

/**
 * Chat model construction for the two supported providers. LangChain's own retries are off
 * (maxRetries 0): the generator retries with its own short, bounded backoff and counts
 * failures for the circuit breaker, which LangChain's default 6 retries with 1 s+ backoff
 * would hide for most of a minute.
 */

/** Some OpenAI-compatible servers (llama.cpp, vLLM, LM Studio) need no key; the SDK insists on one. */
export const DUMMY_API_KEY = 'not-needed';

export interface OpenAiCompatibleChatOptions {
  baseURL: string;
  model: string;
  apiKey?: string;
  timeoutMs: number;
  temperature?: number;
}

export function openAiCompatibleChat(options: OpenAiCompatibleChatOptions): BaseChatModel {
  return new ChatOpenAI({
    model: options.model,
    apiKey: options.apiKey ?? DUMMY_API_KEY,
    configuration: { baseURL: options.baseURL },
    // Deterministic wording: the same question should give the same verified answer.
    temperature: options.temperature ?? 0,
    timeout: options.timeoutMs,
    maxRetries: 0,
    // Chat Completions is what every OpenAI-compatible server speaks; the Responses API is not.
    useResponsesApi: false,
  });
}

export interface OllamaChatOptions {
  baseUrl: string;
  model: string;
  timeoutMs: number;
  temperature?: number;
}

export function ollamaChat(options: OllamaChatOptions): BaseChatModel {
  return new ChatOllama({
    model: options.model,
    baseUrl: options.baseUrl,
    temperature: options.temperature ?? 0,
    maxRetries: 0,
    // The Ollama client ignores LangChain's abort signal for the HTTP request itself, so the
    // deadline is put on fetch: a hung server does not keep sockets open past the timeout.
    fetch: (input, init) => fetch(input, { ...init, signal: withTimeout(init?.signal ?? undefined, options.timeoutMs) }),
  });
}

function withTimeout(signal: AbortSignal | undefined, timeoutMs: number): AbortSignal {
  const deadline = AbortSignal.timeout(timeoutMs);
  return signal ? AbortSignal.any([signal, deadline]) : deadline;
}
