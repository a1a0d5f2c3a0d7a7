import type { Logger } from 'pino';
import type { StateStore } from '../../state/index.js';

/**
 * Polling with several replicas: Telegram and Zalo hand each update to whichever getUpdates
 * asks, so exactly one replica may poll. It holds a named lease in the store (tryLease with a
 * TTL, renewed well inside it); the others are standbys that try for the lease on the same beat
 * and take over at most ttlMs + renewEveryMs after the leader died (kill -9 included: nothing
 * has to be released).
 */

export interface LeaderLeaseOptions {
  store: StateStore;
  /** e.g. 'poll:telegram'. */
  name: string;
  holder: string;
  logger: Logger;
  /** A silent leader loses the lease after this. */
  ttlMs?: number;
  renewEveryMs?: number;
  now?: () => number;
}

export const LEADER_TTL_MS = 6000;
export const LEADER_RENEW_MS = 1500;

/** What runs only while this replica leads: started on election, stopped when the lease is lost or on close. */
export type LeaderWork = () => Promise<() => Promise<void>>;

export class LeaderLease {
  private timer: NodeJS.Timeout | undefined;
  private stopWork: (() => Promise<void>) | undefined;
  /** Last time the store confirmed the lease; after ttlMs without one we must assume it is gone. */
  private heldUntilMs = 0;
  private beat: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly ttlMs: number;
  private readonly renewEveryMs: number;
  private readonly now: () => number;

  constructor(
    private readonly options: LeaderLeaseOptions,
    private readonly work: LeaderWork,
  ) {
    this.ttlMs = options.ttlMs ?? LEADER_TTL_MS;
    this.renewEveryMs = options.renewEveryMs ?? LEADER_RENEW_MS;
    this.now = options.now ?? Date.now;
  }

  get isLeader(): boolean {
    return this.stopWork !== undefined;
  }

  /** Tries at once, then on every beat. */
  start(): Promise<void> {
    this.timer = setInterval(() => void this.step(), this.renewEveryMs);
    this.timer.unref();
    return this.step();
  }

  /** One beat: take or renew the lease, start or stop the work accordingly. */
  step(): Promise<void> {
    this.beat = this.beat.then(() => this.check());
    return this.beat;
  }

  private async check(): Promise<void> {
    if (this.closed) return;
    const { store, name, holder, logger } = this.options;
    const t = this.now();
    let held: boolean;
    try {
      held = await store.tryLease(name, holder, t, this.ttlMs);
      if (held) this.heldUntilMs = t + this.ttlMs;
    } catch (err) {
      // The store is unreachable: keep leading only while the last confirmed lease lasts.
      held = t < this.heldUntilMs;
      logger.warn({ err, lease: name, stillLeading: held }, 'lease renewal failed');
    }
    if (held && !this.stopWork && !this.closed) {
      logger.info({ lease: name }, 'lease taken: this replica leads');
      this.stopWork = await this.work();
    } else if (!held && this.stopWork) {
      logger.warn({ lease: name }, 'lease lost: another replica leads');
      await this.stepDown();
    }
  }

  private async stepDown(): Promise<void> {
    const stop = this.stopWork;
    this.stopWork = undefined;
    await stop?.();
  }

  /** Stops the work and releases the lease so a standby takes over on its next beat. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.beat;
    const wasLeader = this.isLeader;
    await this.stepDown();
    if (wasLeader) {
      await this.options.store.releaseLease(this.options.name, this.options.holder).catch((err: unknown) => {
        this.options.logger.warn({ err }, 'lease not released; it expires');
      });
    }
  }
}
