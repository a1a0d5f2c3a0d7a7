import type { Update } from 'telegraf/types';
import { legacyChatKey, type StateStore } from '../../state/index.js';
import { replicaOwner } from '../shared/inbox.js';

const CHANNEL = 'telegram';
/** How long a claim stays with its process before another may take it over (one process: a restart replays anyway). */
const LEASE_MS = 10 * 60_000;
const REPLAY_LIMIT = 10_000;

/**
 * Exactly-once bookkeeping for updates, on the StateStore's inbox.
 *
 * An update is first claimed as pending (committed) before Telegram is told it was received:
 * the next getUpdates offset, or the webhook's 200. It becomes handled only after its replies went
 * out. After a crash, pending updates are replayed and handled ids are skipped when Telegram
 * redelivers them. A reply in several parts records each part as it goes (sentParts), so a
 * replay resumes after the last recorded part. The remaining window — killed after a part was
 * sent but before its record was committed, or a send whose answer was lost — repeats that one
 * part: at most one per send in flight. It cannot lose a question.
 */
export class UpdateJournal {
  offset = 0;
  private savedOffset = 0;
  /** Claimed by this process and not yet handled: the poller's back-pressure. */
  private inFlight = 0;

  private constructor(
    private readonly store: StateStore,
    /** SQLite serves one process per STATE_DIR, so a restart is the same owner; replicas differ. */
    readonly owner: string,
    private readonly now: () => number,
    private readonly leaseMs: number,
  ) {}

  /** `leaseMs`: replicas claim with a short lease that their shared inbox renews (shared/inbox.ts). */
  static async open(store: StateStore, now: () => number = Date.now, leaseMs = LEASE_MS): Promise<UpdateJournal> {
    const journal = new UpdateJournal(store, replicaOwner(store.kind), now, leaseMs);
    await journal.reloadOffset();
    return journal;
  }

  /** A standby that became the polling leader continues from the offset the last leader committed. */
  async reloadOffset(): Promise<void> {
    const stored = await this.store.getOffset(CHANNEL);
    this.savedOffset = stored;
    if (stored > this.offset) this.offset = stored;
  }

  /** Claims a new update as pending; false for one we already have or have handled. */
  async accept(update: Update): Promise<boolean> {
    const claimed = await this.store.inboxClaim({
      channel: CHANNEL,
      updateId: String(update.update_id),
      chatKey: legacyChatKey(update),
      orderKey: update.update_id,
      payload: update,
      owner: this.owner,
      nowMs: this.now(),
      leaseMs: this.leaseMs,
    });
    if (claimed) this.inFlight++;
    return claimed;
  }

  async isKnown(updateId: number): Promise<boolean> {
    return (await this.store.inboxStatus(CHANNEL, String(updateId))) !== 'unknown';
  }

  advanceOffset(nextOffset: number): void {
    if (nextOffset > this.offset) this.offset = nextOffset;
  }

  async markHandled(updateId: number): Promise<void> {
    await this.store.inboxMarkHandled(CHANNEL, String(updateId), this.now());
    this.inFlight = Math.max(0, this.inFlight - 1);
  }

  /**
   * Parts of the update's reply already delivered (an earlier run was stopped or killed half
   * way through), so that a replay starts after them.
   */
  async sentParts(updateId: number): Promise<number> {
    return (await this.store.inboxEntry(CHANNEL, String(updateId)))?.sentParts ?? 0;
  }

  /** Committed straight after each part's send, before the next one goes out. */
  async recordSentParts(updateId: number, sentParts: number): Promise<void> {
    await this.store.inboxRecordSentParts(CHANNEL, String(updateId), sentParts);
  }

  /** Pending updates left by an earlier run (or a dead replica), in update order, for replay. */
  async pending(): Promise<Update[]> {
    const entries = await this.store.inboxTakeOver(CHANNEL, this.owner, this.now(), this.leaseMs, REPLAY_LIMIT);
    const updates = entries.map((e) => e.payload).filter((u): u is Update => typeof u === 'object' && u !== null && 'update_id' in u);
    this.inFlight += updates.length;
    return updates;
  }

  get pendingCount(): number {
    return this.inFlight;
  }

  /** Commits the offset (claims are committed as they are made). */
  async save(): Promise<void> {
    if (this.offset <= this.savedOffset) return;
    const offset = this.offset;
    await this.store.advanceOffset(CHANNEL, offset);
    this.savedOffset = Math.max(this.savedOffset, offset);
  }

  flush(): Promise<void> {
    return this.save();
  }
}
