import { setMaxListeners } from 'node:events';
import { Telegram } from 'telegraf';
import { z } from 'zod';
import type { Opts, Telegram as BotApiMethods } from 'telegraf/types';
import type { Logger } from 'pino';
import { BotApiError, BotApiResponseError, BotNetworkError, CallAbortedError, describeError } from './errors.js';
import { RetryAborted, withRetry } from '../shared/resilience.js';
import { classifyError, retryAfterMs } from './classify.js';

/**
 * HTTP transport to the Bot API, on telegraf's `Telegram` client (apiRoot override, JSON
 * encoding, TelegramError parsing) plus what telegraf lacks: per-call timeouts, retries with
 * capped exponential backoff, 429 retry_after, error classification and file download.
 * Nothing above this file imports HTTP code.
 */

export interface RetryPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
  /** Attempts in total, the first included. */
  maxAttempts: number;
  requestTimeoutMs: number;
  /**
   * Sends get longer: a send given up on by us but answered later by Telegram is a duplicate
   * once retried, so the timeout is meant to be reached only by a send that is really lost.
   */
  sendTimeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxAttempts: 8,
  requestTimeoutMs: 30_000,
  sendTimeoutMs: 60_000,
};

/** Methods that put something in a chat: a repeat of one is visible to the user. */
const SEND_METHODS: ReadonlySet<string> = new Set(['sendMessage', 'sendPoll', 'sendDocument', 'sendPhoto']);

const safeInt = z.number().int().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER);
const sentMessage = z.object({ message_id: safeInt, chat: z.object({ id: safeInt }).passthrough() }).passthrough();

/**
 * What each method must return for the rest of the channel to use it. Objects pass through
 * whole (the typed result is telegraf's); getUpdates items are checked one by one by the poller,
 * so one bad item does not cost the batch.
 */
const RESULT_SCHEMAS: Partial<Record<MethodName, z.ZodTypeAny>> = {
  getMe: z.object({ id: safeInt, is_bot: z.boolean(), first_name: z.string(), username: z.string().min(1) }).passthrough(),
  getUpdates: z.array(z.unknown()),
  sendMessage: sentMessage,
  sendPoll: sentMessage.extend({ poll: z.object({ id: z.string().min(1) }).passthrough() }),
  getFile: z.object({ file_id: z.string(), file_path: z.string().min(1).optional() }).passthrough(),
  sendChatAction: z.boolean(),
  answerCallbackQuery: z.boolean(),
  setMyCommands: z.boolean(),
  setWebhook: z.boolean(),
  deleteWebhook: z.boolean(),
};

/** Counts of what the Bot API answered that could not be used; logged, and read by tests. */
export interface ClientStats {
  malformedResponses: number;
}

export type MethodName = keyof BotApiMethods;
export type MethodResult<M extends MethodName> = ReturnType<BotApiMethods[M]>;

type TelegrafSignal = NonNullable<NonNullable<Parameters<Telegram['callApi']>[2]>['signal']>;

export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  maxAttempts?: number;
}

export class BotApiClient {
  readonly apiRoot: string;
  private readonly telegram: Telegram;
  private readonly retry: RetryPolicy;
  private readonly onRateLimited: ((retryAfterMs: number) => void) | undefined;
  readonly stats: ClientStats = { malformedResponses: 0 };

  constructor(
    private readonly token: string,
    private readonly logger: Logger,
    options: {
      apiRoot?: string;
      retry?: Partial<RetryPolicy>;
      /** Told about every 429 so the send queue can hold back all chats, not only the refused call. */
      onRateLimited?: (retryAfterMs: number) => void;
    } = {},
  ) {
    this.onRateLimited = options.onRateLimited;
    this.apiRoot = (options.apiRoot ?? 'https://api.telegram.org').replace(/\/+$/, '');
    // webhookReply:false: replies always go out as real calls, so their errors are seen and retried.
    this.telegram = new Telegram(token, { apiRoot: this.apiRoot, webhookReply: false });
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
  }

  backoffMs(attempt: number): number {
    return Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  }

  /** One call, retried on 429 (after retry_after), 5xx and network errors. */
  async call<M extends MethodName>(method: M, payload: Opts<M>, options: CallOptions = {}): Promise<MethodResult<M>> {
    const isRateLimit = (err: Error): err is BotApiError => err instanceof BotApiError && err.errorCode === 429;
    try {
      return await withRetry(
        async () => {
          try {
            return await this.callOnce(method, payload, options);
          } catch (err) {
            if (err instanceof CallAbortedError) throw err;
            throw classifyError(err, method);
          }
        },
        {
          maxAttempts: options.maxAttempts ?? this.retry.maxAttempts,
          baseDelayMs: this.retry.baseDelayMs,
          maxDelayMs: this.retry.maxDelayMs,
          isRetryable: (err) =>
            !(err instanceof CallAbortedError) &&
            (err instanceof BotApiError || err instanceof BotNetworkError || err instanceof BotApiResponseError) &&
            err.retryable,
          // 429 retry_after is Telegram's instruction, honoured as given rather than jittered.
          serverDelayMs: retryAfterMs,
          onRetry: ({ err, attempt, delayMs }) => {
            if (isRateLimit(err)) this.onRateLimited?.(delayMs);
            this.logger.warn({ ...describeError(err), attempt, delayMs }, 'Bot API call failed, retrying');
          },
        },
        options.signal,
      );
    } catch (err) {
      if (err instanceof RetryAborted) throw new CallAbortedError(method);
      throw err;
    }
  }

  /** How long one attempt of `method` may take before it counts as lost. */
  timeoutMsFor(method: string): number {
    return SEND_METHODS.has(method) ? this.retry.sendTimeoutMs : this.retry.requestTimeoutMs;
  }

  /** A single attempt with a timeout; the result is validated; errors come back classified. */
  async callOnce<M extends MethodName>(method: M, payload: Opts<M>, options: CallOptions = {}): Promise<MethodResult<M>> {
    const timeout = AbortSignal.timeout(options.timeoutMs ?? this.timeoutMsFor(method));
    // One stop signal is shared by every in-flight call; under load that is far more than 10 listeners.
    if (options.signal) setMaxListeners(0, options.signal);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    try {
      // telegraf types `signal` with an abort-controller shim; Node's AbortSignal is what node-fetch accepts at runtime.
      const shimSignal = signal as unknown as TelegrafSignal;
      const result: unknown = await this.telegram.callApi(method, payload, { signal: shimSignal });
      return this.validated(method, result);
    } catch (err) {
      if (options.signal?.aborted) throw new CallAbortedError(method);
      const classified = classifyError(err, method, timeout.aborted);
      if (classified instanceof BotApiResponseError) {
        this.stats.malformedResponses++;
        this.logger.warn({ ...describeError(classified), malformedResponses: this.stats.malformedResponses }, 'malformed Bot API response');
      }
      throw classified;
    }
  }

  private validated<M extends MethodName>(method: M, result: unknown): MethodResult<M> {
    const schema = RESULT_SCHEMAS[method];
    if (!schema) return result as MethodResult<M>;
    const parsed = schema.safeParse(result);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new BotApiResponseError(method, issue ? `${issue.path.join('.') || 'result'}: ${issue.message}` : 'unexpected result');
    }
    return parsed.data as MethodResult<M>;
  }

  /**
   * Downloads a file returned by getFile, refusing to buffer more than maxBytes; retried like every
   * other call (the shared resilience module: jittered backoff, the stop signal ends the wait).
   */
  async downloadFile(filePath: string, maxBytes: number, options: CallOptions = {}): Promise<Buffer> {
    const method = 'file download';
    const url = `${this.apiRoot}/file/bot${this.token}/${filePath.split('/').map(encodeURIComponent).join('/')}`;
    try {
      return await withRetry(() => this.downloadOnce(url, maxBytes, method, options), {
        maxAttempts: options.maxAttempts ?? this.retry.maxAttempts,
        baseDelayMs: this.retry.baseDelayMs,
        maxDelayMs: this.retry.maxDelayMs,
        isRetryable: (err) => !(err instanceof CallAbortedError) && (err instanceof BotApiError || err instanceof BotNetworkError) && err.retryable,
        onRetry: ({ err, attempt, delayMs }) => this.logger.warn({ ...describeError(err), attempt, delayMs }, 'file download failed, retrying'),
      }, options.signal);
    } catch (err) {
      if (err instanceof RetryAborted) throw new CallAbortedError(method);
      throw err;
    }
  }

  /** One download attempt with a timeout; the body is counted as it streams in. */
  private async downloadOnce(url: string, maxBytes: number, method: string, options: CallOptions): Promise<Buffer> {
    const timeout = AbortSignal.timeout(options.timeoutMs ?? this.retry.requestTimeoutMs);
    if (options.signal) setMaxListeners(0, options.signal);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    try {
      const res = await fetch(url, { signal });
      if (!res.ok) {
        await res.body?.cancel();
        throw new BotApiError(method, res.status, res.statusText);
      }
      const declared = Number(res.headers.get('content-length') ?? '0');
      if (declared > maxBytes) {
        await res.body?.cancel();
        throw new BotApiError(method, 413, `file larger than ${maxBytes} bytes`);
      }
      const parts: Buffer[] = [];
      let total = 0;
      for await (const chunk of res.body ?? []) {
        total += (chunk as Uint8Array).length;
        if (total > maxBytes) throw new BotApiError(method, 413, `file larger than ${maxBytes} bytes`);
        parts.push(Buffer.from(chunk as Uint8Array));
      }
      return Buffer.concat(parts);
    } catch (err) {
      if (options.signal?.aborted) throw new CallAbortedError(method);
      if (err instanceof BotApiError) throw err;
      throw classifyError(err, method, timeout.aborted);
    }
  }
}
