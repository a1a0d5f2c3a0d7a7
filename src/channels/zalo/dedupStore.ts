/**
 * Which Zalo messages have been answered, on the StateStore's inbox.
 *
 * Zalo can deliver a message more than once (webhook retries when we answer slowly or not at
 * all, a getUpdates answer lost on the wire, a restart), and its message ids are the only handle.
 * A message moves through two states:
 *
 *   pending  – claimed (committed) before any work starts;
 *   handled  – every part of the reply went out.
 *
 * A message is only "handled" after its reply was sent, so a crash mid-answer leaves it
 * pending and it is answered after the restart. `sentParts` records how many parts of a split
 * reply already went out, so the replay does not repeat them. The one window left is a crash
 * between a successful sendMessage and the commit that records it: that part is sent twice.
 *
 * A message that crashes the process whenever it is answered must not crash it forever. The
 * inbox's take-over count cannot tell: it counts every restart a message was pending through,
 * including those it spent queued behind other messages of its chat, and a backlog across a few
 * restarts would be dropped. So each start of a *replayed* answer leaves a start mark (a row in
 * the `zalo-starts` inbox channel, handled at once and pruned by age like any handled row); a
 * fresh answer costs no extra write.
 */

import { legacyChatKey, type StateStore } from '../../state/index.js';
import { replicaOwner } from '../shared/inbox.js';
import type { Logger } from '../../logger.js';

const CHANNEL = 'zalo';
/** Start marks of replayed answers: `<message id>#<n>`, one row per start. */
const STARTS_CHANNEL = 'zalo-starts';
const LEASE_MS = 10 * 60_000;
const REPLAY_LIMIT = 10_000;

export interface PendingMessage {
  id: string;
  /** The update as received, so it can be replayed after a restart. */
  raw: unknown;
  receivedAtMs: number;
  sentParts: number;
}

export interface DedupStoreOptions {
  store: StateStore;
  logger?: Logger;
  /** Claim lease: replicas claim with a short one that their shared inbox renews (shared/inbox.ts). */
  leaseMs?: number;
  now?: () => number;
}

export class DedupStore {
  private inFlight = 0;
  /** Arrival order; Zalo has no update counter, so milliseconds with a tie-breaker. */
  private lastOrderKey = 0;
  /** Who claims (shared/inbox.ts replicaOwner): one local owner on SQLite, one per replica on PostgreSQL. */
  readonly owner: string;
  private readonly now: () => number;

  private constructor(
    private readonly store: StateStore,
    now: () => number,
    private readonly leaseMs: number,
  ) {
    this.owner = replicaOwner(store.kind);
    this.now = now;
  }

  static async open(options: DedupStoreOptions): Promise<DedupStore> {
    return new DedupStore(options.store, options.now ?? Date.now, options.leaseMs ?? LEASE_MS);
  }

  async isHandled(id: string): Promise<boolean> {
    return (await this.store.inboxStatus(CHANNEL, id)) === 'handled';
  }

  async isPending(id: string): Promise<boolean> {
    return (await this.store.inboxStatus(CHANNEL, id)) === 'pending';
  }

  /**
   * Claims a newly received message. Returns false when it was already answered or is being
   * answered (a redelivery); true when the caller now owns it and must answer it.
   */
  async begin(id: string, raw: unknown, chatKey?: string): Promise<boolean> {
    const nowMs = this.now();
    this.lastOrderKey = Math.max(nowMs * 1000, this.lastOrderKey + 1);
    const claimed = await this.store.inboxClaim({
      channel: CHANNEL,
      updateId: id,
      chatKey: chatKey ?? legacyChatKey(raw),
      orderKey: this.lastOrderKey,
      payload: raw,
      owner: this.owner,
      nowMs,
      leaseMs: this.leaseMs,
    });
    if (claimed) this.inFlight++;
    return claimed;
  }

  /** Messages left pending by an earlier process, oldest first. */
  async takeLeftovers(): Promise<PendingMessage[]> {
    const nowMs = this.now();
    // A start mark left pending by a kill between its two writes: it counts all the same.
    for (const mark of await this.store.inboxTakeOver(STARTS_CHANNEL, this.owner, nowMs, 0, REPLAY_LIMIT)) {
      await this.store.inboxMarkHandled(STARTS_CHANNEL, mark.updateId, nowMs);
    }
    const leftovers: PendingMessage[] = [];
    for (const e of await this.store.inboxTakeOver(CHANNEL, this.owner, nowMs, this.leaseMs, REPLAY_LIMIT)) {
      leftovers.push({ id: e.updateId, raw: e.payload, receivedAtMs: e.receivedAtMs, sentParts: e.sentParts });
      this.inFlight++;
    }
    return leftovers;
  }

  /**
   * Records one more start of a replayed answer; returns its number (1 for the first replay).
   * Stops counting past `limit + 1`, which is all a caller comparing with `limit` needs.
   */
  async recordStart(id: string, limit: number): Promise<number> {
    const nowMs = this.now();
    for (let n = 1; n <= limit; n++) {
      const mark = `${id}#${n}`;
      const claim = { channel: STARTS_CHANNEL, updateId: mark, chatKey: '', orderKey: n, payload: null, owner: this.owner, nowMs, leaseMs: 0 };
      if (await this.store.inboxClaim(claim)) {
        await this.store.inboxMarkHandled(STARTS_CHANNEL, mark, nowMs);
        return n;
      }
    }
    return limit + 1;
  }

  async sentParts(id: string): Promise<number> {
    const status = await this.store.inboxStatus(CHANNEL, id);
    if (status !== 'pending') return 0;
    const entry = await this.store.inboxEntry(CHANNEL, id);
    return entry?.sentParts ?? 0;
  }

  async recordSentParts(id: string, sentParts: number): Promise<void> {
    await this.store.inboxRecordSentParts(CHANNEL, id, sentParts);
  }

  async complete(id: string): Promise<void> {
    await this.store.inboxMarkHandled(CHANNEL, id, this.now());
    this.inFlight = Math.max(0, this.inFlight - 1);
  }

  /**
   * Forgets a claim without marking it handled, so that a later redelivery is answered.
   * Used when the reply could not be produced and the message should not stay pending forever.
   */
  async release(id: string): Promise<void> {
    await this.store.inboxRelease(CHANNEL, id);
    this.inFlight = Math.max(0, this.inFlight - 1);
  }

  get pendingCount(): number {
    return this.inFlight;
  }

  /** Every change is committed as it is made. */
  async flush(): Promise<void> {}
}
