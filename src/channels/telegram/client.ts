import { setMaxListeners } from 'node:events';
import { Telegram } from 'telegraf';
import type { Opts, Telegram as BotApiMethods } from 'telegraf/types';
import type { Logger } from 'pino';
import { BotApiError, BotNetworkError, CallAbortedError, describeError } from './errors.js';
import { RetryAborted, withRetry } from '../shared/resilience.js';
import { classifyError } from './classify.js';
import { sleep } from './sleep.js';

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
}

export const DEFAULT_RETRY: RetryPolicy = {
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxAttempts: 8,
  requestTimeoutMs: 30_000,
};

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
          isRetryable: (err) => !(err instanceof CallAbortedError) && (err instanceof BotApiError || err instanceof BotNetworkError) && err.retryable,
          // 429 retry_after is Telegram's instruction, honoured as given rather than jittered.
          serverDelayMs: (err) => (isRateLimit(err) && err.retryAfterS !== undefined ? err.retryAfterS * 1000 : undefined),
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

  /** A single attempt with a timeout; errors come back classified. */
  async callOnce<M extends MethodName>(method: M, payload: Opts<M>, options: CallOptions = {}): Promise<MethodResult<M>> {
    const timeout = AbortSignal.timeout(options.timeoutMs ?? this.retry.requestTimeoutMs);
    // One stop signal is shared by every in-flight call; under load that is far more than 10 listeners.
    if (options.signal) setMaxListeners(0, options.signal);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    try {
      // telegraf types `signal` with an abort-controller shim; Node's AbortSignal is what node-fetch accepts at runtime.
      const shimSignal = signal as unknown as TelegrafSignal;
      return (await this.telegram.callApi(method, payload, { signal: shimSignal })) as MethodResult<M>;
    } catch (err) {
      if (options.signal?.aborted) throw new CallAbortedError(method);
      throw classifyError(err, method, timeout.aborted);
    }
  }

  /** Downloads a file returned by getFile, refusing to buffer more than maxBytes. */
  async downloadFile(filePath: string, maxBytes: number, options: CallOptions = {}): Promise<Buffer> {
    const method = 'file download';
    const url = `${this.apiRoot}/file/bot${this.token}/${filePath.split('/').map(encodeURIComponent).join('/')}`;
    const maxAttempts = options.maxAttempts ?? this.retry.maxAttempts;
    for (let attempt = 1; ; attempt++) {
      const timeout = AbortSignal.timeout(options.timeoutMs ?? this.retry.requestTimeoutMs);
      if (options.signal) setMaxListeners(0, options.signal);
      const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
      try {
        const res = await fetch(url, { signal });
        if (!res.ok) {
          const err = new BotApiError(method, res.status, res.statusText);
          await res.body?.cancel();
          if (!err.retryable || attempt >= maxAttempts) throw err;
        } else {
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
        }
      } catch (err) {
        if (options.signal?.aborted) throw new CallAbortedError(method);
        if (err instanceof BotApiError && !err.retryable) throw err;
        const classified = classifyError(err, method, timeout.aborted);
        if (attempt >= maxAttempts) throw classified;
        this.logger.warn({ ...describeError(classified), attempt }, 'file download failed, retrying');
      }
      await sleep(this.backoffMs(attempt), options.signal);
    }
  }
}
