/**
 * Long-polling loop for the Zalo Bot API.
 *
 * Zalo's getUpdates differs from Telegram's: no offset, one update per call, and an empty poll
 * is reported as error_code 408 rather than an empty list (see client.getUpdates). It also
 * receives nothing while a webhook is registered, so the loop removes any webhook first.
 *
 * The loop must survive outages of hours (every call failing with 5xx, refused or dropped
 * connections) without crashing, without spinning hot and without flooding the log: errors back
 * off exponentially up to `backoffMaxMs`, 429 (quota) waits at least `quotaMinDelayMs`, and an
 * empty poll that came back suspiciously fast is spaced by `minPollIntervalMs`.
 */

import type { Logger } from '../../logger.js';
import { Backoff, sleep } from './backoff.js';
import type { ZaloClient } from './client.js';
import { describeError, ZaloApiError } from './errors.js';
import type { ZaloUpdate } from './types.js';

export interface PollerOptions {
  client: ZaloClient;
  logger: Logger;
  /** Called for each update, awaited before the next poll so it can persist the update first. */
  onUpdate: (update: ZaloUpdate) => Promise<void>;
  /** Long-poll duration sent to Zalo. */
  pollTimeoutSeconds?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  quotaMinDelayMs?: number;
  minPollIntervalMs?: number;
  /** While failing, log at warn level only every this many consecutive failures. */
  logEveryFailures?: number;
}

export class ZaloPoller {
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  private readonly backoff: Backoff;
  private readonly pollTimeoutSeconds: number;
  private readonly quotaMinDelayMs: number;
  private readonly minPollIntervalMs: number;
  private readonly logEveryFailures: number;
  private failingSinceMs: number | undefined;

  constructor(private readonly options: PollerOptions) {
    this.backoff = new Backoff({ initialMs: options.backoffInitialMs ?? 1000, maxMs: options.backoffMaxMs ?? 60_000 });
    this.pollTimeoutSeconds = options.pollTimeoutSeconds ?? 30;
    this.quotaMinDelayMs = options.quotaMinDelayMs ?? 5000;
    this.minPollIntervalMs = options.minPollIntervalMs ?? 1000;
    this.logEveryFailures = Math.max(1, options.logEveryFailures ?? 10);
  }

  start(): void {
    if (this.running) return;
    this.running = this.run().catch((err: unknown) => {
      // run() catches everything itself; this is a last line of defence against a bug.
      this.options.logger.error({ err: describeError(err) }, 'zalo: polling loop crashed');
    });
  }

  /** Stops polling: aborts the pending long poll and waits for the loop to exit. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private async run(): Promise<void> {
    const { client, logger } = this.options;
    const signal = this.abort.signal;

    while (!this.stopped) {
      try {
        await client.deleteWebhook({ signal });
        logger.info({ host: client.host }, 'zalo: webhook removed, polling for updates');
        this.recovered();
        break;
      } catch (err) {
        if (this.stopped) return;
        await this.failed(err, 'deleteWebhook');
      }
    }

    while (!this.stopped) {
      const startedAtMs = Date.now();
      let updates: ZaloUpdate[];
      try {
        updates = await client.getUpdates({ timeoutSeconds: this.pollTimeoutSeconds }, { signal });
      } catch (err) {
        if (this.stopped) return;
        await this.failed(err, 'getUpdates');
        continue;
      }
      this.recovered();
      // Zalo has no offset: once handed to us an update exists nowhere else. onUpdate writes it
      // to the inbox before anything else, and the next poll waits for that.
      for (const update of updates) {
        try {
          await this.options.onUpdate(update);
        } catch (err) {
          logger.error({ err: describeError(err) }, 'zalo: update handler failed');
        }
      }
      if (updates.length > 0) continue;
      const elapsedMs = Date.now() - startedAtMs;
      if (elapsedMs < this.minPollIntervalMs) await sleep(this.minPollIntervalMs - elapsedMs, signal);
    }
  }

  private recovered(): void {
    if (this.failingSinceMs !== undefined) {
      this.options.logger.info(
        { failures: this.backoff.failures, outageMs: Date.now() - this.failingSinceMs },
        'zalo: API reachable again',
      );
    }
    this.failingSinceMs = undefined;
    this.backoff.reset();
  }

  private async failed(err: unknown, method: string): Promise<void> {
    const quota = err instanceof ZaloApiError && err.isQuotaExceeded;
    const unauthorized = err instanceof ZaloApiError && err.isUnauthorized;
    const delayMs = this.backoff.nextDelayMs(quota ? this.quotaMinDelayMs : 0);
    const failures = this.backoff.failures;
    this.failingSinceMs ??= Date.now();
    const fields = { method, failures, retryInMs: delayMs, err: describeError(err) };
    if (unauthorized) {
      // A bad token will not heal by itself, but crashing would take the other channels down too.
      this.options.logger.error(fields, 'zalo: token rejected (check ZALO_BOT_TOKEN); still retrying');
    } else if (failures === 1 || failures % this.logEveryFailures === 0) {
      this.options.logger.warn(fields, quota ? 'zalo: quota exceeded, backing off' : 'zalo: API call failed, backing off');
    } else {
      this.options.logger.debug(fields, 'zalo: API call failed again');
    }
    await sleep(delayMs, this.abort.signal);
  }
}
