import type { Logger } from 'pino';
import type { Update } from 'telegraf/types';
import type { ConversationCore } from '../../bot/core.js';
import type { Messages } from '../../bot/messages.js';
import type { QuizPoll, Reply } from '../../bot/types.js';
import { describeError } from './errors.js';
import { renderReply, type OutgoingMessage } from './format.js';
import type { UpdateJournal } from './journal.js';
import { mapUpdate, updateChatKey, type BotIdentity, type FileFetcher } from './updates.js';
import { localLanes, type ChatLanes, type LaneFactory } from '../shared/lanes.js';

/** What the bot logic needs from the transport; implemented over HTTP in outbound.ts. */
export interface TelegramOutbound {
  /** Waits for a rate-limit slot, retries transient failures; throws when finally refused. */
  sendMessage(chatId: number, isGroup: boolean, message: OutgoingMessage): Promise<void>;
  /** A native quiz poll, through the same queue and retries; resolves with Telegram's poll id. */
  sendPoll(chatId: number, isGroup: boolean, poll: QuizPoll, replyToMessageId?: number): Promise<{ pollId: string }>;
  /** Best effort; never throws. */
  sendTyping(chatId: number): Promise<void>;
  /** Best effort; never throws. */
  answerCallback(callbackQueryId: string): Promise<void>;
  fetchFile: FileFetcher;
}

export interface ProcessorDeps {
  core: ConversationCore;
  outbound: TelegramOutbound;
  bot: BotIdentity;
  messages: Messages;
  journal: UpdateJournal;
  logger: Logger;
  /** Telegram shows "typing…" for about 5 s; it is renewed at this interval while we work. */
  typingIntervalMs?: number;
  /** Where claimed updates run in chat order: in this process (default) or across replicas (shared/inbox.ts). */
  lanes?: LaneFactory<Update>;
}

/** A stored inbox payload back to an update (the journal stores the slimmed update itself). */
function storedUpdate(payload: unknown): Update | undefined {
  return typeof payload === 'object' && payload !== null && 'update_id' in payload ? (payload as Update) : undefined;
}

/**
 * Runs updates through the core: one lane per chat so replies within a chat keep their order,
 * different chats in parallel. An update is marked handled only after its replies were sent
 * (or definitively refused), and no handler error escapes to stop polling.
 */
export class UpdateProcessor {
  private readonly lanes: ChatLanes<Update>;
  private active = 0;
  private idleWaiters: (() => void)[] = [];
  /** The lane assignment of the latest enqueued update. */
  private keying: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: ProcessorDeps) {
    this.lanes = (deps.lanes ?? localLanes)({ process: (u) => this.process(u), decode: storedUpdate });
  }

  get inFlight(): number {
    return this.active;
  }

  enqueue(update: Update): void {
    // Answer button presses at once so the client's spinner stops even if the lane is busy.
    if ('callback_query' in update) void this.deps.outbound.answerCallback(update.callback_query.id);
    this.active++;
    // Keys are resolved one update after another, so each lane still gets its updates in arrival
    // order while a poll answer's chat is looked up in the store.
    const submitted = this.keying.then(async () => {
      const key = await this.laneKey(update);
      // Wrapped, so the next update's key does not wait for this update to be processed.
      return { processed: this.lanes.submit(key, update) };
    });
    this.keying = submitted.catch(() => undefined);
    void submitted
      .then((s) => s.processed)
      // The handled mark failed (the store is down): logged, the update stays pending for a replay.
      .catch((err: unknown) => this.deps.logger.error({ err: describeError(err) }, 'update could not be marked handled'))
      .finally(() => {
        this.active--;
        if (this.active === 0) {
          const waiters = this.idleWaiters;
          this.idleWaiters = [];
          for (const w of waiters) w();
        }
      });
  }

  /**
   * A poll answer is ordered with its poll's chat ("/diem" right after a vote sees the vote). The
   * poll may have been sent before a restart or by another replica, so its chat comes from the store.
   */
  private async laneKey(update: Update): Promise<string> {
    if (!('poll_answer' in update)) return updateChatKey(update);
    const chat = await this.deps.core.pollChatKey(update.poll_answer.poll_id).catch(() => undefined);
    return updateChatKey(update, () => chat);
  }

  /** Stops the lanes' background work (shared lanes: lease renewal, take-over); call after idle(). */
  closeLanes(): Promise<void> {
    return this.lanes.close();
  }

  /** Resolves when every enqueued update has been handled. */
  idle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async process(update: Update): Promise<void> {
    const { core, bot, logger, journal, outbound } = this.deps;
    const log = logger.child({ updateId: update.update_id });
    const startedAt = Date.now();
    try {
      const mapped = mapUpdate(update, bot, outbound.fetchFile);
      if (mapped.type === 'ignored') {
        log.debug({ reason: mapped.reason }, 'update ignored');
      } else if (mapped.type === 'poll-answer') {
        // Telegram shows right/wrong in the poll itself: the vote is only scored, nothing is sent.
        await core.handlePollAnswer({ channel: 'telegram', ...mapped.event });
        log.debug('poll answer handled');
      } else if (mapped.type === 'callback') {
        const replies = await core.handleCallback(mapped.event);
        await this.send(mapped.chatId, mapped.isGroup, replies, log);
      } else if (mapped.type === 'message') {
        const replies = await this.withTyping(mapped.chatId, (working) => core.handleMessage(mapped.message, { working }));
        await this.send(mapped.chatId, mapped.isGroup, replies, log);
        // Question text stays out of the logs (privacy); length and timing are enough to operate.
        log.info(
          { chatId: mapped.chatId, kind: mapped.message.kind, chars: mapped.message.text?.length ?? 0, replies: replies.length, ms: Date.now() - startedAt },
          'message handled',
        );
      }
    } catch (err) {
      log.error({ err: describeError(err) }, 'update handling failed');
    } finally {
      await journal.markHandled(update.update_id);
    }
  }

  private async withTyping<T>(chatId: number, run: (working: () => void) => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const working = () => {
      if (timer) return;
      void this.deps.outbound.sendTyping(chatId);
      timer = setInterval(() => void this.deps.outbound.sendTyping(chatId), this.deps.typingIntervalMs ?? 4500);
      timer.unref();
    };
    try {
      return await run(working);
    } finally {
      if (timer) clearInterval(timer);
    }
  }

  /**
   * Sends a quiz question as a native poll only, and tells the core which poll carries it so
   * poll answers can be scored. False when Telegram refused the poll: the caller then sends the
   * text version (numbered options, answer by number).
   */
  private async sendQuizPoll(chatId: number, isGroup: boolean, reply: Reply, poll: QuizPoll, log: Logger): Promise<boolean> {
    const replyTo = reply.replyToMessageId !== undefined ? Number(reply.replyToMessageId) : undefined;
    let pollId: string;
    try {
      ({ pollId } = await this.deps.outbound.sendPoll(chatId, isGroup, poll, Number.isFinite(replyTo) ? replyTo : undefined));
    } catch (err) {
      log.warn({ err: describeError(err), chatId }, 'quiz poll refused, sending the question as text');
      return false;
    }
    try {
      await this.deps.core.bindPoll(String(chatId), poll.questionId, pollId);
    } catch (err) {
      log.error({ err: describeError(err), chatId }, 'could not record the quiz poll');
    }
    return true;
  }

  private async send(chatId: number, isGroup: boolean, replies: Reply[], log: Logger): Promise<void> {
    for (const reply of replies) {
      if (reply.quizPoll && (await this.sendQuizPoll(chatId, isGroup, reply, reply.quizPoll, log))) continue;
      for (const message of renderReply(reply, this.deps.messages)) {
        try {
          await this.deps.outbound.sendMessage(chatId, isGroup, message);
        } catch (err) {
          // A refused or undeliverable part is logged and skipped; retrying forever would block the chat.
          log.error({ err: describeError(err), chatId }, 'reply could not be delivered');
        }
      }
    }
  }
}
