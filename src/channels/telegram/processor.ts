import { withTyping } from '../shared/typing.js';
import type { Logger } from 'pino';
import type { Update } from 'telegraf/types';
import type { ConversationCore } from '../../bot/core.js';
import type { Messages } from '../../bot/messages.js';
import type { QuizPoll, Reply } from '../../bot/types.js';
import { CallAbortedError, describeError } from './errors.js';
import { isPermanentRefusal } from './classify.js';
import { renderReply, type OutgoingMessage } from './format.js';
import { Shutdown } from './sleep.js';
import type { UpdateJournal } from './journal.js';
import { mapUpdate, updateChatKey, type BotIdentity, type FileFetcher } from './updates.js';
import { localLanes, type ChatLanes, type LaneFactory } from '../shared/lanes.js';

/** What the bot logic needs from the transport; implemented over HTTP in outbound.ts. */
export interface TelegramOutbound {
  /**
   * Waits for a rate-limit slot and retries transient failures until delivered. Throws a
   * permanent refusal (BotApiError: chat not found, bot blocked…), or CallAbortedError when the
   * channel stops first (the reply stays pending).
   */
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
  /** The channel's stop (shared with the outbound): once it begins, no new update is started. */
  shutdown?: Shutdown;
}

/**
 * One step of a reply's delivery, counted in the inbox's sentParts: a message, or a quiz poll
 * (whose text version, if Telegram refuses the poll, goes out as the same step).
 */
type Part = { kind: 'message'; message: OutgoingMessage } | { kind: 'poll'; reply: Reply; poll: QuizPoll };

type Outcome = 'done' | 'stopped';

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
  private readonly shutdown: Shutdown;
  private active = 0;
  private idleWaiters: (() => void)[] = [];
  /** The lane assignment of the latest enqueued update. */
  private keying: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: ProcessorDeps) {
    this.lanes = (deps.lanes ?? localLanes)({ process: (u) => this.process(u), decode: storedUpdate });
    this.shutdown = deps.shutdown ?? new Shutdown();
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

  /**
   * Answers one update and marks it handled; a reply that could not go out because we are
   * stopping leaves the update pending, to be answered (from the first part not yet sent) after
   * the next start.
   */
  private async process(update: Update): Promise<void> {
    const { logger, journal } = this.deps;
    const log = logger.child({ updateId: update.update_id });
    if (this.shutdown.stopping) return;
    let outcome: Outcome = 'done';
    try {
      outcome = await this.handle(update, log);
    } catch (err) {
      if (err instanceof CallAbortedError) outcome = 'stopped';
      else log.error({ err: describeError(err) }, 'update handling failed');
    }
    if (outcome === 'stopped') {
      log.info('stopping: reply left pending for the next start');
      return;
    }
    await journal.markHandled(update.update_id);
  }

  private async handle(update: Update, log: Logger): Promise<Outcome> {
    const { core, bot, outbound } = this.deps;
    const startedAt = Date.now();
    const mapped = mapUpdate(update, bot, outbound.fetchFile);
    if (mapped.type === 'ignored') {
      log.debug({ reason: mapped.reason }, 'update ignored');
    } else if (mapped.type === 'poll-answer') {
      // Telegram shows right/wrong in the poll itself: the vote is only scored, nothing is sent.
      await core.handlePollAnswer({ channel: 'telegram', ...mapped.event });
      log.debug('poll answer handled');
    } else if (mapped.type === 'callback') {
      const replies = await core.handleCallback(mapped.event);
      return this.send(update.update_id, mapped.chatId, mapped.isGroup, replies, log);
    } else if (mapped.type === 'message') {
      const typing = () => void this.deps.outbound.sendTyping(mapped.chatId);
        const replies = await withTyping(typing, this.deps.typingIntervalMs ?? 4500, (working) => core.handleMessage(mapped.message, { working }));
      const outcome = await this.send(update.update_id, mapped.chatId, mapped.isGroup, replies, log);
      // Question text stays out of the logs (privacy); length and timing are enough to operate.
      log.info(
        { chatId: mapped.chatId, kind: mapped.message.kind, chars: mapped.message.text?.length ?? 0, replies: replies.length, ms: Date.now() - startedAt },
        'message handled',
      );
      return outcome;
    }
    return 'done';
  }

  /**
   * Sends a quiz question as a native poll only, and tells the core which poll carries it so
   * poll answers can be scored. When Telegram refuses the poll for good, the text version
   * (numbered options, answer by number) goes out instead.
   */
  private async sendQuizPoll(chatId: number, isGroup: boolean, reply: Reply, poll: QuizPoll, log: Logger): Promise<void> {
    const replyTo = reply.replyToMessageId !== undefined ? Number(reply.replyToMessageId) : undefined;
    let pollId: string;
    try {
      ({ pollId } = await this.deps.outbound.sendPoll(chatId, isGroup, poll, Number.isFinite(replyTo) ? replyTo : undefined));
    } catch (err) {
      if (!isPermanentRefusal(err)) throw err;
      log.warn({ err: describeError(err), chatId }, 'quiz poll refused, sending the question as text');
      for (const message of renderReply(reply, this.deps.messages)) await this.sendText(chatId, isGroup, message, log);
      return;
    }
    try {
      await this.deps.core.bindPoll(String(chatId), poll.questionId, pollId);
    } catch (err) {
      log.error({ err: describeError(err), chatId }, 'could not record the quiz poll');
    }
  }

  /** A permanent refusal is logged and the part counts as done: retrying cannot help. */
  private async sendText(chatId: number, isGroup: boolean, message: OutgoingMessage, log: Logger): Promise<void> {
    try {
      await this.deps.outbound.sendMessage(chatId, isGroup, message);
    } catch (err) {
      if (!isPermanentRefusal(err)) throw err;
      log.error({ err: describeError(err), chatId }, 'reply refused by Telegram; dropped');
    }
  }

  /**
   * Delivers the reply's parts in order, starting after those an earlier run already sent. Each
   * part's count is committed straight after its send, so a kill repeats at most the part in
   * flight; the last part's record is the handled mark itself, written next by process().
   */
  private async send(updateId: number, chatId: number, isGroup: boolean, replies: Reply[], log: Logger): Promise<Outcome> {
    const parts: Part[] = replies.flatMap((reply): Part[] =>
      reply.quizPoll
        ? [{ kind: 'poll', reply, poll: reply.quizPoll }]
        : renderReply(reply, this.deps.messages).map((message) => ({ kind: 'message', message })),
    );
    if (parts.length === 0) return 'done';
    const { journal } = this.deps;
    const from = await journal.sentParts(updateId);
    if (from > 0) log.info({ sentParts: from, parts: parts.length }, 'resuming a reply after the parts already sent');
    for (let i = from; i < parts.length; i++) {
      const part = parts[i]!;
      if (part.kind === 'poll') await this.sendQuizPoll(chatId, isGroup, part.reply, part.poll, log);
      else await this.sendText(chatId, isGroup, part.message, log);
      if (i + 1 < parts.length) {
        await journal.recordSentParts(updateId, i + 1).catch((err: unknown) => log.error({ err: describeError(err) }, 'could not record a sent part'));
      }
    }
    return 'done';
  }
}
