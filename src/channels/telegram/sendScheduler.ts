import { sleep } from './sleep.js';

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
 * A slot is booked when the request is queued, and a busy event loop can delay the actual write
 * by a few hundred milliseconds; the margins keep what Telegram sees under its limits anyway.
 */
export const TELEGRAM_LIMITS: SendLimits = { perChatIntervalMs: 1150, groupPerMinute: 18, globalPerSecond: 24 };

export class SendScheduler {
  private readonly lastByChat = new Map<string, number>();
  private readonly groupSends = new Map<string, number[]>();
  private globalSends: number[] = [];
  private pausedUntil = 0;

  constructor(
    private readonly limits: SendLimits,
    private readonly now: () => number = Date.now,
    private readonly sleepMs: (ms: number) => Promise<void> = (ms) => sleep(ms),
  ) {}

  /** Waits until a message to this chat may be sent, then books the slot. */
  async acquire(chatId: string, isGroup: boolean): Promise<void> {
    for (;;) {
      const waitMs = this.waitMs(chatId, isGroup);
      if (waitMs <= 0) {
        this.book(chatId, isGroup);
        return;
      }
      // Re-check at least every second: slots free up as other chats' windows move.
      await this.sleepMs(Math.min(waitMs, 1000));
    }
  }

  /** After a 429, Telegram's retry_after applies to the bot as a whole: hold every chat. */
  pause(durationMs: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + durationMs);
  }

  private waitMs(chatId: string, isGroup: boolean): number {
    const t = this.now();
    let wait = Math.max(0, this.pausedUntil - t);
    const last = this.lastByChat.get(chatId);
    if (last !== undefined) wait = Math.max(wait, last + this.limits.perChatIntervalMs - t);
    this.globalSends = this.globalSends.filter((at) => t - at < 1000);
    if (this.globalSends.length >= this.limits.globalPerSecond) {
      wait = Math.max(wait, (this.globalSends[this.globalSends.length - this.limits.globalPerSecond] ?? t) + 1000 - t);
    }
    if (isGroup) {
      const sends = (this.groupSends.get(chatId) ?? []).filter((at) => t - at < 60_000);
      this.groupSends.set(chatId, sends);
      if (sends.length >= this.limits.groupPerMinute) {
        wait = Math.max(wait, (sends[sends.length - this.limits.groupPerMinute] ?? t) + 60_000 - t);
      }
    }
    return wait;
  }

  private book(chatId: string, isGroup: boolean): void {
    const t = this.now();
    this.lastByChat.set(chatId, t);
    this.globalSends.push(t);
    if (isGroup) this.groupSends.set(chatId, [...(this.groupSends.get(chatId) ?? []), t]);
  }
}
