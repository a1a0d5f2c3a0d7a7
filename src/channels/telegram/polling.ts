import type { Logger } from 'pino';
import type { Update } from 'telegraf/types';
import { slimUpdate, updateIdSchema } from './slimUpdate.js';
import type { BotApiClient } from './client.js';
import { BotApiError, CallAbortedError, describeError } from './errors.js';
import { classifyError, retryAfterMs } from './classify.js';
import type { UpdateJournal } from './journal.js';
import type { UpdateProcessor } from './processor.js';
import { sleep } from './sleep.js';

/** poll_answer: answers to the native quiz polls (/kiemtra), scored by the trainer. */
export const ALLOWED_UPDATES = ['message', 'callback_query', 'poll_answer'] as const;

export interface PollerOptions {
  client: BotApiClient;
  journal: UpdateJournal;
  processor: UpdateProcessor;
  logger: Logger;
  pollTimeoutS: number;
  /** Stop fetching while this many updates are still unanswered (backpressure). */
  maxPendingUpdates: number;
}

/**
 * Our own getUpdates loop rather than telegraf's launch(): telegraf confirms a batch (next
 * offset) before its handlers finish, so a crash mid-batch would lose questions. Here the batch
 * is written to the journal first and only then confirmed by the next call.
 */
export class Poller {
  private readonly abort = new AbortController();
  /** Items of getUpdates results that were not usable updates (counted, logged, skipped). */
  readonly stats = { malformedUpdates: 0 };
  private done: Promise<void> = Promise.resolve();

  constructor(private readonly o: PollerOptions) {}

  start(): void {
    this.done = this.loop();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.done;
  }

  /**
   * Claims a batch's usable updates. Items are slimmed and validated like webhook deliveries; one
   * that is not a usable update is counted and skipped, and the offset still moves past it when
   * its id is a safe integer (else past the valid ids after it).
   */
  private async accept(batch: readonly unknown[]): Promise<{ fresh: Update[]; malformed: number }> {
    const { journal, logger } = this.o;
    const fresh: Update[] = [];
    let malformed = 0;
    for (const raw of batch) {
      const u = slimUpdate(raw);
      const rawId = updateIdSchema.safeParse(typeof raw === 'object' && raw !== null ? (raw as { update_id?: unknown }).update_id : undefined);
      if (rawId.success) journal.advanceOffset(rawId.data + 1);
      if (!u) {
        malformed++;
        this.stats.malformedUpdates++;
        logger.warn({ updateId: rawId.success ? rawId.data : undefined, malformedUpdates: this.stats.malformedUpdates }, 'getUpdates returned an item that is not a usable update; skipped');
      } else if (await journal.accept(u)) fresh.push(u);
    }
    return { fresh, malformed };
  }

  private async loop(): Promise<void> {
    const { client, journal, processor, logger } = this.o;
    const signal = this.abort.signal;
    let failures = 0;
    while (!signal.aborted) {
      if (journal.pendingCount >= this.o.maxPendingUpdates) {
        await sleep(50, signal);
        continue;
      }
      let updates;
      try {
        updates = await client.callOnce(
          'getUpdates',
          { offset: journal.offset, timeout: this.o.pollTimeoutS, allowed_updates: [...ALLOWED_UPDATES] },
          { signal, timeoutMs: (this.o.pollTimeoutS + 10) * 1000 },
        );
      } catch (err) {
        if (err instanceof CallAbortedError || signal.aborted) break;
        failures++;
        const e = classifyError(err, 'getUpdates');
        const delayMs = retryAfterMs(e) ?? client.backoffMs(failures);
        const level = e instanceof BotApiError && !e.retryable ? 'error' : 'warn';
        logger[level]({ err: describeError(e), delayMs, failures }, 'getUpdates failed');
        await sleep(delayMs, signal);
        continue;
      }
      if (updates.length === 0) {
        failures = 0;
        continue;
      }
      const { fresh, malformed } = await this.accept(updates);
      await journal.save();
      logger.debug({ received: updates.length, fresh: fresh.length, offset: journal.offset }, 'updates received');
      // A batch of nothing usable would come straight back (the offset cannot pass items without
      // an id): wait as after a failure instead of asking again at once.
      if (malformed === updates.length) await sleep(client.backoffMs(++failures), signal);
      else failures = 0;
      for (const u of fresh) processor.enqueue(u);
    }
  }
}
