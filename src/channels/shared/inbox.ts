import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { StateKind, StateStore } from '../../state/index.js';
import { KeyedSerial, Semaphore, type ChatLanes, type LaneFactory, type LaneHandlers } from './lanes.js';

/**
 * Several replicas sharing one PostgreSQL store: every update is claimed exactly once by the
 * replica that received it (the inbox's INSERT … ON CONFLICT DO NOTHING), but replies within a
 * chat must still go out in the order the chat's updates were received, whichever replica
 * received them. So a replica does not process "its" update: it takes the chat's lock (a
 * PostgreSQL advisory lock, dropped by the server when the holder's connection dies) and drains
 * the chat's pending updates oldest first. A replica that receives the next update while another
 * holds the chat waits for the lock and then finds nothing left, or the updates that arrived
 * meanwhile.
 *
 * Two safety nets:
 * - a per-update processing mark (a lease named after the update) taken under the chat lock, so
 *   that a chat lock silently lost with its connection (a database restart) cannot let a second
 *   replica answer the update the first one is still answering;
 * - a take-over timer: claims and marks carry short leases renewed while their replica lives;
 *   pending updates whose lease ran out (a replica killed mid-answer) are taken over and drained.
 */

/** The claim owner of this process: one per replica on PostgreSQL; one local owner on SQLite (a restart is the same owner). */
export function replicaOwner(kind: StateKind): string {
  return kind === 'sqlite' ? 'local' : `${hostname()}:${process.pid}`;
}

export interface SharedInboxTuning {
  /** A dead replica's claims and processing marks are taken over after this. */
  leaseMs: number;
  /** Leases of live work are extended this often (well under leaseMs). */
  renewEveryMs: number;
  /** How often expired claims are looked for. */
  takeOverEveryMs: number;
  /** Wait before draining a chat again after a failure (database down) or a held mark. */
  retryMs: number;
  /** Chats drained at once by this replica; each pins one lock connection (below the lock pool). */
  maxConcurrentChats: number;
  /** Expired claims taken over per tick. */
  takeOverBatch: number;
}

export const SHARED_INBOX_TUNING: SharedInboxTuning = {
  leaseMs: 10_000,
  renewEveryMs: 3000,
  takeOverEveryMs: 2000,
  retryMs: 1000,
  maxConcurrentChats: 8,
  takeOverBatch: 200,
};

export interface SharedInboxOptions<T> {
  store: StateStore;
  channel: string;
  /** The owner the channel claims with (replicaOwner). */
  owner: string;
  logger: Logger;
  tuning?: Partial<SharedInboxTuning>;
  /** The inbox's chat key of an update when the channel's lane key differs (Telegram poll answers). */
  chatKeyOf?: (item: T) => string;
  now?: () => number;
}

type DrainOutcome = 'drained' | 'held' | 'unfinished';

export class SharedInbox<T> implements ChatLanes<T> {
  private readonly serial = new KeyedSerial();
  private readonly slots: Semaphore;
  /** Chats whose drain is queued but not started: a further claim is covered by it. */
  private readonly queued = new Map<string, Promise<void>>();
  private readonly retrying = new Set<string>();
  /** Processing marks this replica holds (renewed with the claims). */
  private readonly marks = new Set<string>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly tuning: SharedInboxTuning;
  private readonly now: () => number;
  private readonly log: Logger;
  private tick = 0;
  private closed = false;

  constructor(
    private readonly options: SharedInboxOptions<T>,
    private readonly handlers: LaneHandlers<T>,
  ) {
    this.tuning = { ...SHARED_INBOX_TUNING, ...options.tuning };
    this.slots = new Semaphore(this.tuning.maxConcurrentChats);
    this.now = options.now ?? Date.now;
    this.log = options.logger.child({ component: 'shared-inbox' });
  }

  /** The factory a channel is given: its handlers in, shared lanes out (timers started). */
  static lanes<T>(options: SharedInboxOptions<T>): LaneFactory<T> {
    return (handlers) => {
      const inbox = new SharedInbox<T>(options, handlers);
      inbox.start();
      return inbox;
    };
  }

  start(): void {
    const every = (ms: number, fn: () => Promise<unknown>) => {
      const timer = setInterval(() => void fn().catch((err: unknown) => this.log.warn({ err }, 'shared inbox housekeeping failed')), ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(this.tuning.renewEveryMs, () => this.renew());
    every(this.tuning.takeOverEveryMs, () => this.takeOver());
  }

  submit(chatKey: string, item: T): Promise<void> {
    return this.drainSoon(this.options.chatKeyOf?.(item) ?? chatKey);
  }

  /**
   * Stops renewing and taking over, and gives this replica's unstarted claims back at once (their
   * lease expires now) so another replica answers them without waiting out the lease.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    const { store, channel, owner } = this.options;
    await store.inboxRenew(channel, owner, this.now(), -1).catch((err: unknown) => this.log.warn({ err }, 'could not hand back claims'));
  }

  /** Pending updates whose replica stopped renewing: taken over (a fresh owner per tick, never renewed) and drained. */
  async takeOver(): Promise<number> {
    if (this.closed) return 0;
    const { store, channel, owner } = this.options;
    const entries = await store.inboxTakeOver(channel, `${owner}/t${++this.tick}`, this.now(), this.tuning.leaseMs, this.tuning.takeOverBatch);
    if (entries.length === 0) return 0;
    const chats = new Set(entries.map((e) => e.chatKey));
    this.log.info({ updates: entries.length, chats: chats.size }, 'taking over updates of a replica whose lease ran out');
    for (const chat of chats) void this.drainSoon(chat);
    return entries.length;
  }

  private async renew(): Promise<void> {
    const { store, channel, owner } = this.options;
    const nowMs = this.now();
    await store.inboxRenew(channel, owner, nowMs, this.tuning.leaseMs);
    for (const mark of this.marks) await store.tryLease(mark, owner, nowMs, this.tuning.leaseMs);
  }

  private drainSoon(chatKey: string): Promise<void> {
    const waiting = this.queued.get(chatKey);
    if (waiting) return waiting;
    const run = this.serial.run(chatKey, async () => {
      // From here on a new claim may arrive after this drain looked: it needs a drain of its own.
      this.queued.delete(chatKey);
      if (this.closed) return;
      const outcome = await this.slots.run(() => this.drainLocked(chatKey));
      if (outcome !== 'drained') this.retryLater(chatKey);
    });
    this.queued.set(chatKey, run);
    return run;
  }

  private retryLater(chatKey: string): void {
    if (this.closed || this.retrying.has(chatKey)) return;
    this.retrying.add(chatKey);
    setTimeout(() => {
      this.retrying.delete(chatKey);
      void this.drainSoon(chatKey);
    }, this.tuning.retryMs).unref();
  }

  private async drainLocked(chatKey: string): Promise<DrainOutcome> {
    const { store, channel } = this.options;
    try {
      return await store.withLock(`chat:${channel}:${chatKey}`, () => this.drainChat(chatKey));
    } catch (err) {
      // The database is unreachable or restarting: the claims are safe in it; try again shortly.
      this.log.warn({ err, chatKey }, 'chat drain failed; retrying');
      return 'unfinished';
    }
  }

  /** Under the chat lock: the chat's pending updates, oldest first, whoever received them. */
  private async drainChat(chatKey: string): Promise<DrainOutcome> {
    const { store, channel, owner } = this.options;
    let previous: string | undefined;
    for (;;) {
      // Stopping: what is left stays pending and is handed back on close().
      if (this.closed) return 'drained';
      const entry = await store.inboxNextForChat(channel, chatKey);
      if (!entry) return 'drained';
      // Processing returned without marking it handled (stopping, or the store refused the mark).
      if (entry.updateId === previous) return 'unfinished';
      previous = entry.updateId;
      const mark = `inbox:${channel}:${entry.updateId}`;
      // Someone else is answering it (our lock was lost with its connection); they go on draining.
      if (!(await store.tryLease(mark, owner, this.now(), this.tuning.leaseMs))) return 'held';
      this.marks.add(mark);
      try {
        // Handled between our read and the mark, by the holder whose mark just ran out.
        if ((await store.inboxStatus(channel, entry.updateId)) !== 'pending') continue;
        const item = this.handlers.decode(entry.payload);
        if (item === undefined) {
          this.log.warn({ updateId: entry.updateId }, 'stored update cannot be processed; dropped');
          await store.inboxMarkHandled(channel, entry.updateId, this.now());
          continue;
        }
        await this.handlers.process(item).catch((err: unknown) => this.log.error({ err, updateId: entry.updateId }, 'update processing failed'));
      } finally {
        this.marks.delete(mark);
        await store.releaseLease(mark, owner).catch((err: unknown) => this.log.warn({ err }, 'processing mark not released; it expires'));
      }
    }
  }
}
