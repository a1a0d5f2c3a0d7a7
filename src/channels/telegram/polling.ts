import type { Logger } from 'pino';
import { slimUpdate, updateIdSchema } from './slimUpdate.js';
import type { BotApiClient } from './client.js';
import { BotApiError, CallAbortedError, describeError } from './errors.js';
import { classifyError } from './classify.js';
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
  private done: Promise<void> = Promise.resolve();

  constructor(private readonly o: PollerOptions) {}

  start(): void {
    this.done = this.loop();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.done;
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
        failures = 0;
      } catch (err) {
        if (err instanceof CallAbortedError || signal.aborted) break;
        failures++;
        const e = classifyError(err, 'getUpdates');
        const delayMs =
          e instanceof BotApiError && e.retryAfterS !== undefined ? e.retryAfterS * 1000 : client.backoffMs(failures);
        const level = e instanceof BotApiError && !e.retryable ? 'error' : 'warn';
        logger[level]({ err: describeError(e), delayMs, failures }, 'getUpdates failed');
        await sleep(delayMs, signal);
        continue;
      }
      if (updates.length === 0) continue;
      const fresh = [];
      for (const raw of updates) {
        // Slimmed and validated like webhook deliveries; one that is not a usable update (or whose
        // id is not a safe integer) is skipped, past it when its id allows.
        const u = slimUpdate(raw);
        const rawId = updateIdSchema.safeParse((raw as { update_id?: unknown } | null)?.update_id);
        if (u && (await journal.accept(u))) fresh.push(u);
        if (rawId.success) journal.advanceOffset(rawId.data + 1);
        else logger.warn('getUpdates returned an update without a valid update_id; skipped');
      }
      await journal.save();
      logger.debug({ received: updates.length, fresh: fresh.length, offset: journal.offset }, 'updates received');
      for (const u of fresh) processor.enqueue(u);
    }
  }
}
