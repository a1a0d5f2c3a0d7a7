/**
 * Bridges Zalo updates and the conversation core: turns updates into `IncomingMessage`s,
 * de-duplicates them, serialises work per chat, sends the rendered replies and records progress
 * so each message is answered exactly once, across redeliveries and restarts.
 */

import { setMaxListeners } from 'node:events';
import type { Language } from '../../answer/types.js';
import type { IncomingMessage, MessageKind, Reply } from '../../bot/index.js';
import type { Logger } from '../../logger.js';
import { Backoff, sleep } from './backoff.js';
import type { ZaloClient } from './client.js';
import type { DedupStore } from './dedupStore.js';
import { describeError, ZaloApiError, ZaloNetworkError } from './errors.js';
import { renderReply } from './format.js';
import { parseUpdate, ZALO_EVENTS, type ZaloBotInfo, type ZaloMessage, type ZaloUpdate } from './types.js';

/** The part of ConversationCore the adapter uses (a narrow view keeps unit tests simple). */
export interface CoreLike {
  handleMessage(msg: IncomingMessage, hooks?: { working?: () => void }): Promise<Reply[]>;
  t(lang: Language, key: string): string;
  /** An unaddressed group message that is still for the bot (a bare number answering a quiz). */
  isAnswerCandidate?(msg: IncomingMessage): boolean | Promise<boolean>;
}

export interface ZaloAdapterOptions {
  client: ZaloClient;
  core: CoreLike;
  store: DedupStore;
  logger: Logger;
  /** Zalo shows "typing…" for about 5 s (docs: sendChatAction), so it is renewed. */
  typingIntervalMs?: number;
  sendBackoffInitialMs?: number;
  sendBackoffMaxMs?: number;
  quotaMinDelayMs?: number;
  /** A message left pending by this many processes is dropped instead of replayed again. */
  maxReplayAttempts?: number;
}

const EVENT_KINDS: Record<string, MessageKind> = {
  [ZALO_EVENTS.text]: 'text',
  [ZALO_EVENTS.image]: 'photo',
  [ZALO_EVENTS.sticker]: 'sticker',
  [ZALO_EVENTS.voice]: 'voice',
  'message.location.received': 'location',
  'message.file.received': 'document',
};

export function messageKindOf(update: ZaloUpdate): MessageKind {
  const known = EVENT_KINDS[update.eventName];
  if (known) return known;
  // Unknown or future events: a message with text is still a question.
  if (update.message?.text !== undefined && update.eventName.includes('text')) return 'text';
  return 'other';
}

/** Zero-width and bidi marks that Zalo clients sometimes insert around mentions. */
const INVISIBLE = /[\u200B-\u200F\u202A-\u202E\u2060\uFEFF]/g;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Groups: answer only when the bot is mentioned or replied to (or a command is typed, which the
 * core treats as addressed). Returns the text with the mention removed.
 */
export function addressing(
  message: ZaloMessage,
  bot: ZaloBotInfo,
): { addressedToBot: boolean; text: string | undefined } {
  const raw = message.text?.replace(INVISIBLE, '');
  if (message.chat.chatType === 'PRIVATE') return { addressedToBot: true, text: raw?.trim() };
  let text = raw ?? '';
  let mentioned = bot.id !== '' && (message.mentionedIds.includes(bot.id) || message.replyToFromId === bot.id);
  for (const name of [...bot.names].sort((a, b) => b.length - a.length)) {
    const re = new RegExp(`@${escapeRegExp(name)}(?![\\p{L}\\p{N}_])`, 'giu');
    if (re.test(text)) {
      mentioned = true;
      text = text.replace(re, ' ');
    }
  }
  return { addressedToBot: mentioned, text: raw === undefined ? undefined : text.replace(/\s+/g, ' ').trim() };
}

function isPermanentSendError(err: unknown): boolean {
  if (err instanceof RangeError) return true;
  if (err instanceof ZaloApiError) return !(err.isQuotaExceeded || err.isServerError || err.isPollTimeout);
  return !(err instanceof ZaloNetworkError);
}

export class ZaloAdapter {
  private readonly chains = new Map<string, Promise<void>>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private bot: ZaloBotInfo = { id: '', names: [] };
  private readonly typingIntervalMs: number;
  private readonly sendBackoffInitialMs: number;
  private readonly sendBackoffMaxMs: number;
  private readonly quotaMinDelayMs: number;
  private readonly maxReplayAttempts: number;

  constructor(private readonly options: ZaloAdapterOptions) {
    // Every send in flight listens on this one signal, and hundreds of chats can be answered at
    // once: the default cap of 10 listeners would warn about a leak that is not one.
    setMaxListeners(0, this.abort.signal);
    this.typingIntervalMs = options.typingIntervalMs ?? 4000;
    this.sendBackoffInitialMs = options.sendBackoffInitialMs ?? 500;
    this.sendBackoffMaxMs = options.sendBackoffMaxMs ?? 60_000;
    this.quotaMinDelayMs = options.quotaMinDelayMs ?? 5000;
    this.maxReplayAttempts = options.maxReplayAttempts ?? 3;
  }

  setBotInfo(bot: ZaloBotInfo): void {
    this.bot = bot;
  }

  get pendingWork(): number {
    return this.inFlight.size;
  }

  /**
   * Takes one update from polling or the webhook. Resolves once the update is recorded on disk
   * (so the webhook can answer 200); the reply is produced in the background.
   */
  async accept(update: ZaloUpdate): Promise<void> {
    const { logger, store } = this.options;
    const prepared = await this.prepare(update);
    if (!prepared) return;
    let claimed: boolean;
    try {
      claimed = await store.begin(prepared.messageId, update.raw);
    } catch (err) {
      // Without the disk we can still answer; we only lose crash safety for this message.
      logger.error({ err: describeError(err) }, 'zalo: could not record message, answering anyway');
      claimed = !(await store.isHandled(prepared.messageId).catch(() => false));
    }
    if (!claimed) {
      logger.info({ messageId: prepared.messageId, chatId: prepared.chatId }, 'zalo: duplicate delivery ignored');
      return;
    }
    this.schedule(prepared);
  }

  /** Re-answers messages an earlier process received but did not finish. */
  async replayLeftovers(): Promise<number> {
    const { logger, store } = this.options;
    const { replay, dropped } = await store.takeLeftovers(this.maxReplayAttempts);
    for (const d of dropped) {
      logger.warn({ messageId: d.id, attempts: d.attempts }, 'zalo: giving up on a message that failed repeatedly');
    }
    for (const p of replay) {
      const update = parseUpdate(p.raw);
      const prepared = update ? await this.prepare(update, { alreadyAccepted: true }) : undefined;
      if (!prepared || prepared.messageId !== p.id) {
        await store.complete(p.id);
        continue;
      }
      logger.info({ messageId: p.id, sentParts: p.sentParts }, 'zalo: answering a message left over from before the restart');
      this.schedule(prepared);
    }
    return replay.length;
  }

  /**
   * Waits for in-flight answers; after `timeoutMs` aborts the ones still retrying (they stay
   * pending on disk and are answered after the next start).
   */
  async drain(timeoutMs: number): Promise<void> {
    const all = Promise.allSettled([...this.inFlight]);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      all.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.options.logger.warn({ inFlight: this.inFlight.size }, 'zalo: stop timed out, unfinished answers stay queued for the next start');
      this.abort.abort();
      await all;
    }
  }

  /** Filters updates that need no answer and builds the core's message. */
  private async prepare(update: ZaloUpdate, options: { alreadyAccepted?: boolean } = {}): Promise<IncomingMessage | undefined> {
    const { logger } = this.options;
    const m = update.message;
    if (!m) {
      logger.debug({ event: update.eventName }, 'zalo: update without a message ignored');
      return undefined;
    }
    if (m.from.isBot || (this.bot.id && m.from.id === this.bot.id)) return undefined;
    const kind = messageKindOf(update);
    const addressed = addressing(m, this.bot);
    const text = addressed.text;
    // A replayed message passed this filter before the restart, possibly before getMe has told
    // us the bot's name again this time.
    const addressedToBot = addressed.addressedToBot || options.alreadyAccepted === true;
    const msg: IncomingMessage = {
      channel: 'zalo',
      chatId: m.chat.id,
      chatType: m.chat.chatType === 'GROUP' ? 'group' : 'private',
      userId: m.from.id,
      messageId: m.messageId,
      kind,
      addressedToBot,
    };
    if (m.from.displayName) msg.userName = m.from.displayName;
    // Zalo file messages carry no download we support; the core explains what it accepts.
    if (kind === 'text' && text !== undefined) msg.text = text;
    // Group chatter not meant for us never touches the disk; a quiz answer ("2") is for us.
    if (m.chat.chatType === 'GROUP' && !addressedToBot && !(kind === 'text' && text?.startsWith('/'))) {
      // A read of the chat's round (it may have been started on another replica).
      if (!(await this.options.core.isAnswerCandidate?.(msg))) return undefined;
    }
    return msg;
  }

  private schedule(msg: IncomingMessage): void {
    const previous = this.chains.get(msg.chatId) ?? Promise.resolve();
    const next = previous.then(() => this.process(msg));
    const tracked = next.catch(async (err: unknown) => {
      this.options.logger.error({ err: describeError(err), messageId: msg.messageId }, 'zalo: answering failed');
      // Let a redelivery try again instead of being swallowed as a duplicate.
      await this.options.store.release(msg.messageId).catch(() => undefined);
    });
    this.chains.set(msg.chatId, tracked);
    this.inFlight.add(tracked);
    void tracked.finally(() => {
      this.inFlight.delete(tracked);
      if (this.chains.get(msg.chatId) === tracked) this.chains.delete(msg.chatId);
    });
  }

  private async process(msg: IncomingMessage): Promise<void> {
    const { core, store, logger, client } = this.options;
    // Stopping: leave queued work pending on disk rather than start answers we cannot send.
    if (this.abort.signal.aborted) return;
    const zaloChatId = msg.chatId;
    const started = Date.now();

    let typingTimer: NodeJS.Timeout | undefined;
    const typing = (): void => {
      client.sendChatAction({ chatId: zaloChatId, action: 'typing' }).catch((err: unknown) => {
        logger.debug({ err: describeError(err) }, 'zalo: typing indicator failed');
      });
    };
    const hooks = {
      working: (): void => {
        if (typingTimer) return;
        typing();
        typingTimer = setInterval(typing, this.typingIntervalMs);
      },
    };

    let replies: Reply[];
    try {
      replies = await core.handleMessage(msg, hooks);
    } finally {
      clearInterval(typingTimer);
    }

    const parts = replies.flatMap((r) => renderReply(r, { sourcesHeading: core.t(r.language, 'citationsHeading') }));
    const alreadySent = await store.sentParts(msg.messageId);
    for (let i = alreadySent; i < parts.length; i++) {
      const text = parts[i];
      if (text === undefined) continue;
      const outcome = await this.sendWithRetry(zaloChatId, text);
      if (outcome === 'aborted') return; // stays pending: answered after the next start
      await store.recordSentParts(msg.messageId, i + 1).catch((err: unknown) => {
        logger.error({ err: describeError(err) }, 'zalo: could not record sent part');
      });
    }
    await store.complete(msg.messageId).catch((err: unknown) => {
      logger.error({ err: describeError(err) }, 'zalo: could not record answered message');
    });
    logger.info(
      { chatId: msg.chatId, messageId: msg.messageId, kind: msg.kind, parts: parts.length, durationMs: Date.now() - started },
      'zalo: answered',
    );
  }

  /**
   * Sends one message, retrying transient failures (network, 5xx, 429) with capped backoff
   * until it goes out or the adapter is stopped. Permanent refusals are logged and skipped:
   * retrying a 400 or a blocked chat forever would hold the whole chat's queue.
   */
  private async sendWithRetry(chatId: string, text: string): Promise<'sent' | 'skipped' | 'aborted'> {
    const { client, logger } = this.options;
    const backoff = new Backoff({ initialMs: this.sendBackoffInitialMs, maxMs: this.sendBackoffMaxMs });
    for (;;) {
      if (this.abort.signal.aborted) return 'aborted';
      try {
        await client.sendMessage({ chatId, text }, { signal: this.abort.signal });
        return 'sent';
      } catch (err) {
        if (this.abort.signal.aborted) return 'aborted';
        if (isPermanentSendError(err)) {
          logger.error({ err: describeError(err), chatId, chars: text.length }, 'zalo: message refused, skipped');
          return 'skipped';
        }
        const quota = err instanceof ZaloApiError && err.isQuotaExceeded;
        const delayMs = backoff.nextDelayMs(quota ? this.quotaMinDelayMs : 0);
        const level = backoff.failures === 1 || backoff.failures % 10 === 0 ? 'warn' : 'debug';
        logger[level]({ err: describeError(err), chatId, failures: backoff.failures, retryInMs: delayMs }, 'zalo: sendMessage failed, retrying');
        await sleep(delayMs, this.abort.signal);
      }
    }
  }
}
