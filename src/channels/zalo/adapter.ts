/**
 * Bridges Zalo updates and the conversation core: records every update in the inbox first,
 * then turns it into an `IncomingMessage` in its chat's lane, sends the rendered replies and
 * records progress, so each message is answered across redeliveries and restarts (at least once;
 * the duplicate window is one part in flight per chat, see README.md).
 */

import { withTyping } from '../shared/typing.js';
import { setMaxListeners } from 'node:events';
import type { Language } from '../../answer/types.js';
import type { IncomingMessage, MessageKind, Reply } from '../../bot/index.js';
import type { Logger } from '../../logger.js';
import { RetryAborted, withRetry } from '../shared/resilience.js';
import type { ZaloClient } from './client.js';
import type { DedupStore } from './dedupStore.js';
import { describeError, ZaloApiError, ZaloNetworkError } from './errors.js';
import { renderReply } from './format.js';
import { parseUpdate, ZALO_EVENTS, type ZaloBotInfo, type ZaloMessage, type ZaloUpdate } from './types.js';
import { localLanes, type ChatLanes, type LaneFactory } from '../shared/lanes.js';

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
  /** A message whose answering was started this many times (each start crashed us) is dropped. */
  maxReplayAttempts?: number;
  /** Where recorded updates run in chat order: in this process (default) or across replicas (shared/inbox.ts). */
  lanes?: LaneFactory<LaneItem>;
}

/** One recorded update in its chat's lane; `replayed` when an earlier process left it unanswered. */
export interface LaneItem {
  update: ZaloUpdate;
  replayed: boolean;
}

/** A stored inbox payload (the raw update) back to a lane item, for lanes that drain the store. */
function storedItem(payload: unknown): LaneItem | undefined {
  const update = parseUpdate(payload);
  return update ? { update, replayed: false } : undefined;
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
  /** Resolves once getMe has told us who we are: group messages are judged only after that. */
  private readonly botKnown: Promise<void>;
  private resolveBotKnown: () => void = () => undefined;
  private readonly typingIntervalMs: number;
  private readonly sendBackoffInitialMs: number;
  private readonly sendBackoffMaxMs: number;
  private readonly quotaMinDelayMs: number;
  private readonly maxReplayAttempts: number;
  private readonly lanes: ChatLanes<LaneItem>;

  constructor(private readonly options: ZaloAdapterOptions) {
    this.lanes = (options.lanes ?? localLanes)({ process: (item) => this.process(item.update, item.replayed), decode: storedItem });
    // Every send in flight listens on this one signal, and hundreds of chats can be answered at
    // once: the default cap of 10 listeners would warn about a leak that is not one.
    setMaxListeners(0, this.abort.signal);
    this.typingIntervalMs = options.typingIntervalMs ?? 4000;
    this.sendBackoffInitialMs = options.sendBackoffInitialMs ?? 500;
    this.sendBackoffMaxMs = options.sendBackoffMaxMs ?? 60_000;
    this.quotaMinDelayMs = options.quotaMinDelayMs ?? 5000;
    this.maxReplayAttempts = options.maxReplayAttempts ?? 3;
    this.botKnown = new Promise((resolve) => {
      this.resolveBotKnown = resolve;
    });
  }

  setBotInfo(bot: ZaloBotInfo): void {
    this.bot = bot;
    this.resolveBotKnown();
  }

  get pendingWork(): number {
    return this.inFlight.size;
  }

  /** Chats with queued or running work (bounded by the chats active right now). */
  get activeChats(): number {
    return this.chains.size;
  }

  /**
   * Takes one update from polling or the webhook. Zalo has no offset: the update is written to
   * the inbox before anything else happens to it (even before deciding whether it is for us),
   * and this resolves once it is, so the poller and the webhook's 200 wait for the write. The
   * reply is produced afterwards, in the chat's lane.
   */
  async accept(update: ZaloUpdate): Promise<void> {
    const { logger, store } = this.options;
    const m = update.message;
    if (!m) {
      // An event without a message (unsupported content from a protected account): nothing to answer.
      logger.debug({ event: update.eventName }, 'zalo: update without a message ignored');
      return;
    }
    let claimed: boolean;
    try {
      claimed = await store.begin(m.messageId, update.raw, m.chat.id);
    } catch (err) {
      // Without the store we can still answer; we only lose crash safety for this message.
      logger.error({ err: describeError(err) }, 'zalo: could not record message, answering anyway');
      claimed = !(await store.isHandled(m.messageId).catch(() => false));
    }
    if (!claimed) {
      logger.info({ messageId: m.messageId, chatId: m.chat.id }, 'zalo: duplicate delivery ignored');
      return;
    }
    this.schedule(update);
  }

  /** Re-answers messages an earlier process received but did not finish. */
  async replayLeftovers(): Promise<number> {
    const { logger, store } = this.options;
    const leftovers = await store.takeLeftovers();
    for (const p of leftovers) {
      const update = parseUpdate(p.raw);
      if (!update?.message || update.message.messageId !== p.id) {
        await store.complete(p.id);
        continue;
      }
      logger.info({ messageId: p.id, sentParts: p.sentParts }, 'zalo: answering a message left over from before the restart');
      this.schedule(update, { replayed: true });
    }
    return leftovers.length;
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
    }
    // Also wakes lanes still waiting for getMe: what they hold stays pending for the next start.
    this.abort.abort();
    await all;
    await this.lanes.close();
  }

  /**
   * Decides whether a recorded update needs an answer and builds the core's message. In groups
   * this needs the bot's id and names, so it waits for getMe (the update is safe in the inbox
   * meanwhile); 'stopping' when the adapter stops first.
   */
  private async prepare(update: ZaloUpdate): Promise<IncomingMessage | undefined | 'stopping'> {
    const m = update.message;
    if (!m) return undefined;
    if (m.chat.chatType === 'GROUP' && !(await this.untilBotKnown())) return 'stopping';
    if (m.from.isBot || (this.bot.id && m.from.id === this.bot.id)) return undefined;
    const kind = messageKindOf(update);
    const { addressedToBot, text } = addressing(m, this.bot);
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
    // Group chatter not meant for us is marked handled at once (its payload erased); a quiz answer ("2") is for us.
    if (m.chat.chatType === 'GROUP' && !addressedToBot && !(kind === 'text' && text?.startsWith('/'))) {
      // A read of the chat's round (it may have been started on another replica).
      if (!(await this.options.core.isAnswerCandidate?.(msg))) return undefined;
    }
    return msg;
  }

  /** True once the bot info is known; false if the adapter stops first. */
  private async untilBotKnown(): Promise<boolean> {
    if (this.bot.id || this.bot.names.length > 0) return true;
    const signal = this.abort.signal;
    if (signal.aborted) return false;
    let onAbort: (() => void) | undefined;
    const stopped = new Promise<false>((resolve) => {
      onAbort = () => resolve(false);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([this.botKnown.then(() => true), stopped]);
    } finally {
      if (onAbort) signal.removeEventListener('abort', onAbort);
    }
  }

  private schedule(update: ZaloUpdate, origin: { replayed: boolean } = { replayed: false }): void {
    const m = update.message;
    if (!m) return;
    const chatId = m.chat.id;
    const tracked = this.lanes.submit(chatId, { update, replayed: origin.replayed }).catch((err: unknown) => {
      // Left pending, not released: polling gets no redelivery, so the next start answers it.
      this.options.logger.error({ err: describeError(err), messageId: m.messageId }, 'zalo: answering failed; left for the next start');
    });
    this.chains.set(chatId, tracked);
    this.inFlight.add(tracked);
    void tracked.finally(() => {
      this.inFlight.delete(tracked);
      // The lane's entry goes with its last task, so idle chats leave nothing behind.
      if (this.chains.get(chatId) === tracked) this.chains.delete(chatId);
    });
  }

  private async process(update: ZaloUpdate, replayed: boolean): Promise<void> {
    const { core, store, logger } = this.options;
    // Stopping: leave queued work pending on disk rather than start answers we cannot send.
    if (this.abort.signal.aborted) return;
    const msg = await this.prepare(update);
    if (msg === 'stopping') return;
    const messageId = update.message?.messageId ?? '';
    if (!msg) {
      await store.complete(messageId);
      return;
    }
    // Counted only when answering starts, so a message queued behind others across restarts is
    // never taken for one that crashes us.
    if (replayed && (await store.recordStart(messageId, this.maxReplayAttempts)) > this.maxReplayAttempts) {
      logger.warn({ messageId, replays: this.maxReplayAttempts }, 'zalo: giving up on a message that failed repeatedly');
      await store.complete(messageId);
      return;
    }
    const started = Date.now();
    const typing = (): void => {
      this.options.client.sendChatAction({ chatId: msg.chatId, action: 'typing' }).catch((err: unknown) => {
        this.options.logger.debug({ err: describeError(err) }, 'zalo: typing indicator failed');
      });
    };
    const replies = await withTyping(typing, this.typingIntervalMs, (working) => core.handleMessage(msg, { working }));
    const parts = replies.flatMap((r) => renderReply(r, { sourcesHeading: core.t(r.language, 'citationsHeading') }));
    const alreadySent = await store.sentParts(messageId);
    for (let i = alreadySent; i < parts.length; i++) {
      const text = parts[i];
      if (text === undefined) continue;
      const outcome = await this.sendWithRetry(msg.chatId, text);
      if (outcome === 'aborted') return; // stays pending: answered after the next start
      // The last part is recorded by marking the message handled, just below.
      if (i === parts.length - 1) break;
      // Straight after the send: a crash before this commit is the one thing a replay repeats.
      await store.recordSentParts(messageId, i + 1).catch((err: unknown) => {
        logger.error({ err: describeError(err) }, 'zalo: could not record sent part');
      });
    }
    await store.complete(messageId).catch((err: unknown) => {
      logger.error({ err: describeError(err) }, 'zalo: could not record answered message');
    });
    logger.info(
      { chatId: msg.chatId, messageId, kind: msg.kind, parts: parts.length, durationMs: Date.now() - started },
      'zalo: answered',
    );
  }

  /**
   * Sends one message, retrying transient failures (network, 5xx, 429) with capped, jittered
   * backoff (the shared resilience module) until it goes out or the adapter is stopped. Permanent
   * refusals are logged and skipped: retrying a 400 or a blocked chat forever would hold the
   * whole chat's queue.
   */
  private async sendWithRetry(chatId: string, text: string): Promise<'sent' | 'skipped' | 'aborted'> {
    const { client, logger } = this.options;
    const isQuota = (err: Error): boolean => err instanceof ZaloApiError && err.isQuotaExceeded;
    try {
      await withRetry(
        (signal) => client.sendMessage({ chatId, text }, { signal }),
        {
          maxAttempts: Number.POSITIVE_INFINITY,
          baseDelayMs: this.sendBackoffInitialMs,
          maxDelayMs: this.sendBackoffMaxMs,
          isRetryable: (err) => !isPermanentSendError(err),
          // Zalo's 429 says no more than "too many": wait at least the quota pause.
          serverDelayMs: (err) => (isQuota(err) ? this.quotaMinDelayMs : undefined),
          onRetry: ({ err, attempt, delayMs }) => {
            const level = attempt === 1 || attempt % 10 === 0 ? 'warn' : 'debug';
            logger[level]({ err: describeError(err), chatId, failures: attempt, retryInMs: delayMs }, 'zalo: sendMessage failed, retrying');
          },
        },
        this.abort.signal,
      );
      return 'sent';
    } catch (err) {
      if (err instanceof RetryAborted || this.abort.signal.aborted) return 'aborted';
      logger.error({ err: describeError(err), chatId, chars: text.length }, 'zalo: message refused, skipped');
      return 'skipped';
    }
  }
}
