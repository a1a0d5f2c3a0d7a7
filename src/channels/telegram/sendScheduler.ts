import { CallAbortedError } from './errors.js';
import { clampDelayMs, sleep } from './sleep.js';
import { UNLIMITED_BUDGET, type SendBudget } from '../shared/sendBudget.js';

/**
 * Telegram's flood limits: about one message per second per chat, 20 per minute per group and
 * 30 per second overall. Exceeding them earns 429s (and eventually longer bans), so outgoing
 * messages wait here for a slot instead of being dropped.
 */
export interface SendLimits {
  perChatIntervalMs: number;
  groupPerMinute: number;
  globalPerSecond: number;
}

/** What Telegram documents; the load test checks what the fake server saw against these. */
export const TELEGRAM_PUBLISHED_LIMITS: SendLimits = { perChatIntervalMs: 1000, groupPerMinute: 20, globalPerSecond: 30 };

/**
 * Slots are counted from booking until the reply to the request has arrived, so a stall between
 * booking and the write cannot stack two windows' sends together; the remaining margin is for
 * Telegram's own clock and for the rare plain-text resend.
 */
export const TELEGRAM_LIMITS: SendLimits = { perChatIntervalMs: 1150, groupPerMinute: 18, globalPerSecond: 24 };

/**
 * Sends counted against one limit. A send occupies its window from the moment it is booked until
 * windowMs after it finished: the server received it somewhere in between, so counting it that
 * long is never too short, however late the event loop actually wrote the request.
 */
class SendWindow {
  private inFlight = 0;
  private finishedAt: number[] = [];

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** 0 when a send may be booked now; Infinity when only a finishing send can free a slot. */
  waitMs(t: number): number {
    this.finishedAt = this.finishedAt.filter((at) => t - at < this.windowMs);
    const free = this.limit - this.inFlight - this.finishedAt.length;
    if (free > 0) return 0;
    // The oldest finished send that must leave the window before one more fits.
    const leaving = this.finishedAt[-free];
    return leaving === undefined ? Number.POSITIVE_INFINITY : leaving + this.windowMs - t;
  }

  book(): void {
    this.inFlight++;
  }

  finish(t: number): void {
    this.inFlight--;
    this.finishedAt.push(t);
  }

  get isEmpty(): boolean {
    return this.inFlight === 0 && this.finishedAt.length === 0;
  }
}

/**
 * How long one 429 holds back every chat. Telegram's retry_after can be an hour for one flooded
 * chat; that chat waits all of it (its reply is retried after retry_after), the others only this.
 */
export const GLOBAL_PAUSE_CAP_MS = 10_000;

/** Idle windows are swept at most this often: a sweep walks every tracked chat. */
const SWEEP_INTERVAL_MS = 1000;

function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

export class SendScheduler {
  private readonly byChat = new Map<string, SendWindow>();
  private readonly byGroup = new Map<string, SendWindow>();
  private readonly global: SendWindow;
  private pausedUntil = 0;
  private sweptAt = 0;
  /** Woken when a send finishes, so waiters blocked by in-flight sends need not poll. */
  private finished = signal();
  /** The bot-wide budget shared with other replicas (one process: no-op). */
  private budget: SendBudget = UNLIMITED_BUDGET;

  constructor(
    private readonly limits: SendLimits,
    private readonly now: () => number = Date.now,
    private readonly sleepMs: (ms: number, signal?: AbortSignal) => Promise<void> = sleep,
  ) {
    this.global = new SendWindow(limits.globalPerSecond, 1000);
  }

  /**
   * Waits for a slot, runs the send in it, and keeps the slot counted until the send has
   * finished (successfully or not) plus the limit's window.
   */
  async run<T>(chatId: string, isGroup: boolean, send: () => Promise<T>, stop?: AbortSignal): Promise<T> {
    const release = await this.acquire(chatId, isGroup, stop);
    try {
      return await send();
    } finally {
      release();
    }
  }

  /**
   * Waits until a message to this chat may be sent and books it; call the returned function once
   * it finished. Once `stop` has aborted, a free slot is still booked but none is waited for
   * (CallAbortedError; nothing is booked then).
   */
  async acquire(chatId: string, isGroup: boolean, stop?: AbortSignal): Promise<() => void> {
    for (;;) {
      const windows = this.windowsFor(chatId, isGroup);
      const t = this.now();
      const waitMs = Math.max(this.pausedUntil - t, ...windows.map((w) => w.waitMs(t)));
      if (waitMs <= 0) return this.withBudget(this.book(chatId, isGroup, windows), stop);
      if (stop?.aborted) throw new CallAbortedError('send queue');
      // Re-check at least every second (pauses and other chats move the picture) and as soon as a send finishes.
      await Promise.race([this.sleepMs(Math.min(waitMs, 1000), stop), this.finished.promise]);
    }
  }

  /**
   * Several replicas serving one bot: Telegram's overall limit is per bot, so every send also
   * takes a slot of a budget in the shared store (shared/sendBudget.ts).
   */
  shareBudget(budget: SendBudget): void {
    this.budget = budget;
  }

  /** The local slot is booked first (check and book stay synchronous), then the shared one is taken. */
  private async withBudget(release: () => void, stop?: AbortSignal): Promise<() => void> {
    try {
      await this.budget.take(stop);
      return release;
    } catch (err) {
      release();
      throw stop?.aborted ? new CallAbortedError('send budget') : err;
    }
  }

  /**
   * After a 429, hold every chat for a while: a 429 usually means the bot as a whole is going too
   * fast. Capped, because a long retry_after is mostly about one chat, which waits it out itself.
   */
  pause(durationMs: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + Math.min(clampDelayMs(durationMs), GLOBAL_PAUSE_CAP_MS));
  }

  /** Chats and groups with a live window (memory: bounded by the chats active within the windows). */
  get trackedChats(): number {
    return this.byChat.size + this.byGroup.size;
  }

  private windowsFor(chatId: string, isGroup: boolean): SendWindow[] {
    const windows = [this.global, this.windowIn(this.byChat, chatId, 1, this.limits.perChatIntervalMs)];
    if (isGroup) windows.push(this.windowIn(this.byGroup, chatId, this.limits.groupPerMinute, 60_000));
    return windows;
  }

  private windowIn(map: Map<string, SendWindow>, chatId: string, limit: number, windowMs: number): SendWindow {
    let w = map.get(chatId);
    if (!w) {
      w = new SendWindow(limit, windowMs);
      map.set(chatId, w);
    }
    return w;
  }

  private book(chatId: string, isGroup: boolean, windows: SendWindow[]): () => void {
    for (const w of windows) w.book();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const t = this.now();
      for (const w of windows) w.finish(t);
      this.forgetIdle(t);
      const { resolve } = this.finished;
      this.finished = signal();
      resolve();
    };
  }

  /**
   * Chats that have been quiet for longer than their windows hold no state. Swept at most once a
   * second, so the cost per send stays flat however many chats there are (a sweep per send
   * walked every chat: CPU per answer grew with the number of chats).
   */
  private forgetIdle(t: number): void {
    if (t - this.sweptAt < SWEEP_INTERVAL_MS) return;
    this.sweptAt = t;
    for (const map of [this.byChat, this.byGroup]) {
      for (const [key, w] of map) {
        if (w.waitMs(t) === 0 && w.isEmpty) map.delete(key);
      }
    }
  }
}
