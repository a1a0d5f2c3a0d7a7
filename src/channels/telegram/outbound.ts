import type { Logger } from 'pino';
import type { Opts } from 'telegraf/types';
import type { BotApiClient, MethodName, MethodResult } from './client.js';
import { BotApiError, CallAbortedError, describeError } from './errors.js';
import { isTransient, retryAfterMs } from './classify.js';
import { jitteredBackoffMs } from '../shared/resilience.js';
import type { QuizPoll } from '../../bot/types.js';
import type { OutgoingMessage } from './format.js';
import type { TelegramOutbound } from './processor.js';
import type { SendScheduler } from './sendScheduler.js';
import { Shutdown, sleep } from './sleep.js';

/** Telegram bots may download files up to 20 MB through getFile. */
export const TELEGRAM_DOWNLOAD_LIMIT_BYTES = 20 * 1024 * 1024;

/**
 * Backoff between attempts of one reply. There is no attempt limit: a reply is sent, refused
 * for good, or left pending when we stop. The cap keeps a long outage from stretching the wait
 * once Telegram is back.
 */
export interface DeliveryPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_DELIVERY: DeliveryPolicy = { baseDelayMs: 1000, maxDelayMs: 60_000 };

/** The part of BotApiClient a send needs (tests drive it with a scripted one). */
export type SendClient = Pick<BotApiClient, 'callOnce' | 'call' | 'downloadFile'>;

export interface OutboundOptions {
  delivery?: DeliveryPolicy;
  shutdown?: Shutdown;
  /** Tests pass a fixed source; production uses Math.random. */
  random?: () => number;
}

export class BotApiOutbound implements TelegramOutbound {
  private readonly delivery: DeliveryPolicy;
  private readonly shutdown: Shutdown;

  constructor(
    private readonly client: SendClient,
    private readonly scheduler: SendScheduler,
    private readonly logger: Logger,
    private readonly maxDownloadBytes: number,
    private readonly options: OutboundOptions = {},
  ) {
    this.delivery = options.delivery ?? DEFAULT_DELIVERY;
    this.shutdown = options.shutdown ?? new Shutdown();
  }

  async sendMessage(chatId: number, isGroup: boolean, m: OutgoingMessage): Promise<void> {
    const common = {
      chat_id: chatId,
      link_preview_options: { is_disabled: true },
      ...(m.buttons.length > 0 ? { reply_markup: { inline_keyboard: m.buttons } } : {}),
      ...(m.replyToMessageId !== undefined
        ? { reply_parameters: { message_id: m.replyToMessageId, allow_sending_without_reply: true } }
        : {}),
    };
    try {
      await this.deliver(chatId, isGroup, 'sendMessage', { ...common, text: m.html, parse_mode: 'HTML' });
    } catch (err) {
      // Our escaping should make this impossible; if Telegram still rejects the markup, the user
      // gets the plain text rather than nothing.
      if (err instanceof BotApiError && err.errorCode === 400 && /entit|pars/i.test(err.description)) {
        this.logger.warn({ err: describeError(err) }, 'HTML refused, resending as plain text');
        await this.deliver(chatId, isGroup, 'sendMessage', { ...common, text: m.plain });
        return;
      }
      throw err;
    }
  }

  async sendPoll(chatId: number, isGroup: boolean, poll: QuizPoll, replyToMessageId?: number): Promise<{ pollId: string }> {
    const sent = await this.deliver(chatId, isGroup, 'sendPoll', {
      chat_id: chatId,
      question: poll.question,
      options: poll.options,
      type: poll.type,
      correct_option_id: poll.correctOptionId,
      explanation: poll.explanation,
      is_anonymous: poll.isAnonymous,
      ...(replyToMessageId !== undefined
        ? { reply_parameters: { message_id: replyToMessageId, allow_sending_without_reply: true } }
        : {}),
    });
    const pollId = 'poll' in sent && sent.poll ? sent.poll.id : undefined;
    if (!pollId) throw new BotApiError('sendPoll', 500, 'the sent message carries no poll');
    return { pollId };
  }

  async sendTyping(chatId: number): Promise<void> {
    try {
      await this.client.call('sendChatAction', { chat_id: chatId, action: 'typing' }, { maxAttempts: 1, signal: this.shutdown.waits });
    } catch (err) {
      this.logger.debug({ err: describeError(err) }, 'typing indicator failed');
    }
  }

  async answerCallback(callbackQueryId: string): Promise<void> {
    try {
      await this.client.call('answerCallbackQuery', { callback_query_id: callbackQueryId }, { maxAttempts: 3, signal: this.shutdown.waits });
    } catch (err) {
      this.logger.debug({ err: describeError(err) }, 'answerCallbackQuery failed');
    }
  }

  fetchFile = async (fileId: string): Promise<Buffer> => {
    const signal = this.shutdown.requests;
    const file = await this.client.call('getFile', { file_id: fileId }, { signal });
    if (!file.file_path) throw new BotApiError('getFile', 400, 'no file_path (file too big for the Bot API?)');
    return this.client.downloadFile(file.file_path, this.maxDownloadBytes, { signal });
  };

  /**
   * One message into a chat, until Telegram has it. Each attempt takes a flood-limit slot; a
   * transient failure (429, 5xx, network, malformed answer) is retried after Telegram's
   * retry_after or a capped jittered backoff, for as long as it takes; a permanent refusal is
   * thrown. There is no attempt limit: eight attempts lost every reply of a 30 s 429 storm.
   *
   * Not cockatiel's retry loop (the client's call() uses it for everything else): its wait
   * between attempts can be neither aborted nor cleared, so a retry_after of an hour would hold
   * stop() — and the process — for an hour. Here every wait takes the stop signal, and stopping
   * never cuts an attempt short: that one may have been delivered, so its outcome decides.
   */
  private async deliver<M extends MethodName>(chatId: number, isGroup: boolean, method: M, payload: Opts<M>): Promise<MethodResult<M>> {
    const { waits, requests } = this.shutdown;
    for (let failures = 1; ; failures++) {
      const release = await this.scheduler.acquire(String(chatId), isGroup, waits);
      let failure: unknown;
      try {
        return await this.client.callOnce(method, payload, { signal: requests });
      } catch (err) {
        failure = err;
      } finally {
        release();
      }
      if (failure instanceof CallAbortedError || !isTransient(failure)) throw failure;
      const serverMs = retryAfterMs(failure);
      const delayMs = serverMs ?? jitteredBackoffMs(failures, this.delivery.baseDelayMs, this.delivery.maxDelayMs, this.options.random);
      if (serverMs !== undefined) this.scheduler.pause(serverMs);
      // Loud at first and then every tenth failure: an outage of an hour is a few lines, not thousands.
      const level = failures === 1 || failures % 10 === 0 ? 'warn' : 'debug';
      this.logger[level]({ ...describeError(failure), chatId, failures, delayMs }, 'send failed, will retry');
      await sleep(delayMs, waits);
      if (waits.aborted) throw new CallAbortedError(method);
    }
  }
}
