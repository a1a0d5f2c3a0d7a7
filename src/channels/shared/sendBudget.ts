import type { Logger } from 'pino';
import type { StateStore } from '../../state/index.js';

/**
 * A send budget for the bot as a whole. Telegram's flood limit (about 30 messages per second) is
 * per bot, not per process: three replicas each keeping 24/s locally would send 72/s together
 * and earn 429s. Each replica's SendScheduler keeps its own per-chat and per-group windows (a
 * chat is drained by one replica at a time) and, before booking a send, takes one slot of this
 * budget, a sliding window in the shared store (rateTake on one bot-wide key).
 */
export interface SendBudget {
  /** Resolves when one more message may go out bot-wide (the slot is taken). */
  take(signal?: AbortSignal): Promise<void>;
}

/** One process serving the bot: its local scheduler is the whole budget. */
export const UNLIMITED_BUDGET: SendBudget = { take: async () => undefined };

export interface StoreSendBudgetOptions {
  store: StateStore;
  /** e.g. 'send:telegram:<bot id>'. */
  key: string;
  perSecond: number;
  /**
   * The store records a slot at the time asked, but grants it after the row lock and the commit:
   * the window is held this much longer so a slow grant cannot squeeze two windows together.
   */
  slackMs?: number;
  logger: Logger;
  now?: () => number;
}

export class StoreSendBudget implements SendBudget {
  private readonly now: () => number;

  constructor(private readonly options: StoreSendBudgetOptions) {
    this.now = options.now ?? Date.now;
  }

  async take(signal?: AbortSignal): Promise<void> {
    const { store, key, perSecond, logger } = this.options;
    for (;;) {
      let waitMs: number;
      try {
        waitMs = await store.rateTake(key, perSecond, 1000 + (this.options.slackMs ?? 250), this.now());
      } catch (err) {
        // The store is unreachable: the local scheduler still limits this replica; answering goes on.
        logger.warn({ err, key }, 'shared send budget unavailable; sending within the local limit only');
        return;
      }
      if (waitMs <= 0) return;
      // Stopping: a free slot is still taken, none is waited for.
      if (signal?.aborted) throw signal.reason ?? new Error('aborted');
      // A little spread so replicas waiting for the same slot do not all ask at the same instant.
      await sleep(waitMs + Math.floor(Math.random() * 15), signal);
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
