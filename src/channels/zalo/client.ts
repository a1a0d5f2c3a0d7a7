/**
 * Typed client for the Zalo Bot API.
 *
 * Every method is `POST <root>/bot<TOKEN>/<method>` with a JSON body, answering
 * `{ok:true, result}` or `{ok:false, error_code, description}`, frequently with HTTP 200
 * (https://bot.zaloplatforms.com/docs, "Base URL" and each method's "Sample Response").
 * The root is configurable because the platform has moved hosts before
 * (bot-api.zapps.me → bot-api.zaloplatforms.com).
 *
 * Every answer is checked with zod (types.ts) before anything uses it: malformed ones are counted
 * in `malformed` and skipped (getUpdates) or reported as a retryable ZaloMalformedResponseError,
 * never passed on half-parsed.
 *
 * The token lives only in the request URL. It is registered with the logger's redactor, and
 * errors are rebuilt from scratch so neither messages nor `cause` chains ever contain the URL.
 */

import axios, { type AxiosInstance, isAxiosError } from 'axios';
import { registerSecret, type Logger } from '../../logger.js';
import { ZaloApiError, ZaloMalformedResponseError, ZaloNetworkError } from './errors.js';
import { MalformedCounter } from './malformed.js';
import {
  checkBotInfo,
  checkEnvelope,
  checkSentMessage,
  checkUpdates,
  checkWebhookInfo,
  type Checked,
  type SentMessage,
  type WebhookInfo,
  type ZaloBotInfo,
  type ZaloUpdate,
} from './types.js';

/** sendMessage accepts 1..2000 characters (docs: sendMessage → text). */
export const ZALO_MAX_TEXT_CHARS = 2000;

export interface ZaloClientOptions {
  token: string;
  apiRoot?: string;
  /** Timeout for ordinary calls. */
  requestTimeoutMs?: number;
  /** Added on top of the long-poll duration so the HTTP timeout never fires before Zalo's. */
  pollGraceMs?: number;
  /** Where malformed answers are counted (shared with the webhook); one of its own by default. */
  malformed?: MalformedCounter;
  logger?: Logger;
}

export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export const DEFAULT_API_ROOT = 'https://bot-api.zaloplatforms.com';

export class ZaloClient {
  private readonly http: AxiosInstance;
  private readonly token: string;
  private readonly apiRoot: string;
  private readonly requestTimeoutMs: number;
  private readonly pollGraceMs: number;
  /** Answers that did not fit the documented shapes, per method. */
  readonly malformed: MalformedCounter;

  constructor(options: ZaloClientOptions) {
    if (!options.token) throw new Error('ZaloClient: missing bot token (ZALO_BOT_TOKEN)');
    this.token = options.token;
    registerSecret(options.token);
    this.apiRoot = (options.apiRoot ?? DEFAULT_API_ROOT).replace(/\/+$/, '');
    this.requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
    this.pollGraceMs = options.pollGraceMs ?? 10_000;
    this.malformed = options.malformed ?? new MalformedCounter(options.logger);
    this.http = axios.create({
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      // The envelope, not the status, says whether a call worked.
      validateStatus: () => true,
      // axios's built-in proxy support sends HTTPS requests to an HTTP proxy without a CONNECT
      // tunnel, i.e. the full URL with the token in clear text; and a redirect would replay the
      // token to another host. Deployments behind a proxy need a tunnelling agent instead.
      proxy: false,
      maxRedirects: 0,
      responseType: 'json',
      transitional: { silentJSONParsing: true, forcedJSONParsing: true, clarifyTimeoutError: true },
    });
  }

  /** The host the client talks to, without the token, for logs. */
  get host(): string {
    return this.apiRoot;
  }

  async call(method: string, body: Record<string, unknown> = {}, options: CallOptions = {}): Promise<unknown> {
    const url = `${this.apiRoot}/bot${this.token}/${method}`;
    let status: number;
    let data: unknown;
    try {
      const res = await this.http.post<unknown>(url, body, {
        timeout: options.timeoutMs ?? this.requestTimeoutMs,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      status = res.status;
      data = res.data;
    } catch (err) {
      throw toNetworkError(method, err);
    }

    if (typeof data === 'string') {
      const trimmed = data.trim();
      try {
        data = trimmed ? (JSON.parse(trimmed) as unknown) : undefined;
      } catch {
        data = undefined;
      }
    }
    const envelope = checkEnvelope(data);
    if ('value' in envelope) {
      const e = envelope.value;
      if (e.ok) return e.result;
      const code = typeof e.error_code === 'number' ? e.error_code : Number(e.error_code) || status;
      const description = typeof e.description === 'string' ? e.description : `HTTP ${status}`;
      throw new ZaloApiError(method, code, description, status);
    }
    if (status >= 400) {
      // Proxies and load balancers answer outages without an envelope.
      throw new ZaloApiError(method, status, `HTTP ${status} without API envelope`, status);
    }
    this.malformed.count(method, envelope.malformed);
    throw new ZaloMalformedResponseError(method, envelope.malformed);
  }

  /** The checked result, or the counted issues thrown as a retryable error. */
  private required<T>(method: string, checked: Checked<T>): T {
    if ('value' in checked) return checked.value;
    this.malformed.count(method, checked.malformed);
    throw new ZaloMalformedResponseError(method, checked.malformed);
  }

  /** The checked result, or (counted) `fallback`: for calls whose `ok:true` already says they worked. */
  private lenient<T>(method: string, checked: Checked<T>, fallback: T): T {
    if ('value' in checked) return checked.value;
    this.malformed.count(method, checked.malformed);
    return fallback;
  }

  /** A result without an id would leave the bot unable to recognise its own mentions: retried. */
  async getMe(options?: CallOptions): Promise<ZaloBotInfo> {
    return this.required('getMe', checkBotInfo(await this.call('getMe', {}, options)));
  }

  /**
   * Long-polls for updates. Zalo documents ONE update per call and takes no offset; a list is
   * accepted too, so that no update of it is dropped. "Nothing arrived within `timeout`" comes
   * back as error_code 408, which this method turns into `[]`. Malformed items are counted and
   * left out. Nothing arrives while a webhook is set (docs: getUpdates note), so call
   * deleteWebhook first.
   */
  async getUpdates(params: { timeoutSeconds: number }, options: CallOptions = {}): Promise<ZaloUpdate[]> {
    let result: unknown;
    try {
      result = await this.call(
        'getUpdates',
        { timeout: String(params.timeoutSeconds) },
        { ...options, timeoutMs: options.timeoutMs ?? params.timeoutSeconds * 1000 + this.pollGraceMs },
      );
    } catch (err) {
      if (err instanceof ZaloApiError && err.isPollTimeout) return [];
      throw err;
    }
    if (result === undefined || result === null) return [];
    const { updates, malformed } = checkUpdates(result);
    for (const issues of malformed) this.malformed.count('getUpdates', issues);
    return updates;
  }

  /** secret_token must be 8–256 characters; Zalo sends it back in X-Bot-Api-Secret-Token. */
  async setWebhook(params: { url: string; secretToken: string }, options?: CallOptions): Promise<WebhookInfo> {
    return this.webhookInfo('setWebhook', await this.call('setWebhook', { url: params.url, secret_token: params.secretToken }, options));
  }

  async deleteWebhook(options?: CallOptions): Promise<WebhookInfo> {
    return this.webhookInfo('deleteWebhook', await this.call('deleteWebhook', {}, options));
  }

  async getWebhookInfo(options?: CallOptions): Promise<WebhookInfo> {
    return this.webhookInfo('getWebhookInfo', await this.call('getWebhookInfo', {}, options));
  }

  private webhookInfo(method: string, result: unknown): WebhookInfo {
    return this.lenient(method, checkWebhookInfo(result), { url: '' });
  }

  /** `ok:true` means it went out: a malformed result is counted, not retried (that would send it twice). */
  private sentMessage(method: string, result: unknown): SentMessage {
    return this.lenient(method, checkSentMessage(result), { messageId: '', dateMs: Date.now() });
  }

  async sendMessage(params: { chatId: string; text: string }, options?: CallOptions): Promise<SentMessage> {
    if (params.text.length === 0 || params.text.length > ZALO_MAX_TEXT_CHARS) {
      // Fail here with a clear message rather than with whatever Zalo says about it.
      throw new RangeError(`sendMessage: text must be 1..${ZALO_MAX_TEXT_CHARS} characters, got ${params.text.length}`);
    }
    return this.sentMessage('sendMessage', await this.call('sendMessage', { chat_id: params.chatId, text: params.text }, options));
  }

  async sendChatAction(params: { chatId: string; action: 'typing' | 'upload_photo' }, options?: CallOptions): Promise<void> {
    await this.call('sendChatAction', { chat_id: params.chatId, action: params.action }, options);
  }

  async sendPhoto(params: { chatId: string; photoUrl: string; caption?: string }, options?: CallOptions): Promise<SentMessage> {
    const body: Record<string, unknown> = { chat_id: params.chatId, photo: params.photoUrl };
    if (params.caption) body.caption = params.caption.slice(0, ZALO_MAX_TEXT_CHARS);
    return this.sentMessage('sendPhoto', await this.call('sendPhoto', body, options));
  }

  async sendSticker(params: { chatId: string; sticker: string }, options?: CallOptions): Promise<SentMessage> {
    return this.sentMessage('sendSticker', await this.call('sendSticker', { chat_id: params.chatId, sticker: params.sticker }, options));
  }
}

function toNetworkError(method: string, err: unknown): ZaloNetworkError {
  if (isAxiosError(err)) {
    const code = err.code ?? (axios.isCancel(err) ? 'ERR_CANCELED' : 'UNKNOWN');
    // Only the bare message: err.config and err.request hold the URL with the token.
    return new ZaloNetworkError(method, code, err.message);
  }
  if (err instanceof Error) return new ZaloNetworkError(method, 'UNKNOWN', err.message);
  return new ZaloNetworkError(method, 'UNKNOWN', String(err));
}
