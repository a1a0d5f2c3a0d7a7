/**
 * Which Zalo messages have been answered, persisted under STATE_DIR.
 *
 * Zalo can deliver a message more than once (webhook retries when we answer slowly or not at
 * all, a getUpdates answer lost on the wire, a restart), and its message ids are the only handle.
 * A message moves through two states:
 *
 *   pending  – received and written to disk before any work starts;
 *   handled  – every part of the reply went out.
 *
 * A message is only "handled" after its reply was sent, so a crash mid-answer leaves it
 * pending and it is answered after the restart. `sentParts` records how many parts of a split
 * reply already went out, so the replay does not repeat them. The one window left is a crash
 * between a successful sendMessage and the write that records it: that part is sent twice.
 *
 * Writes are atomic (temp file, fsync, rename) so a crash never leaves a torn file; a corrupt
 * file is moved aside rather than blocking start-up.
 */

import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../logger.js';

export interface PendingMessage {
  id: string;
  /** The update as received, so it can be replayed after a restart. */
  raw: unknown;
  receivedAtMs: number;
  sentParts: number;
  /** How many processes started on it; a message that keeps crashing us is eventually dropped. */
  attempts: number;
}

interface StateFileV1 {
  version: 1;
  handled: string[];
  pending: PendingMessage[];
}

export interface DedupStoreOptions {
  dir: string;
  fileName?: string;
  /** How many handled ids to remember; Zalo redeliveries come within minutes, not days. */
  maxHandled?: number;
  logger?: Logger;
}

export class DedupStore {
  private readonly handledOrder: string[] = [];
  private readonly handled = new Set<string>();
  private readonly pending = new Map<string, PendingMessage>();
  private readonly maxHandled: number;
  readonly filePath: string;
  private version = 0;
  private writtenVersion = 0;
  private writing: Promise<void> | undefined;
  private tmpCounter = 0;

  private constructor(
    options: DedupStoreOptions,
    private readonly logger?: Logger,
  ) {
    this.filePath = path.join(options.dir, options.fileName ?? 'zalo-dedup.json');
    this.maxHandled = options.maxHandled ?? 5000;
  }

  static async open(options: DedupStoreOptions): Promise<DedupStore> {
    const store = new DedupStore(options, options.logger);
    await fs.mkdir(options.dir, { recursive: true });
    await store.load();
    return store;
  }

  private async load(): Promise<void> {
    let text: string;
    try {
      text = await fs.readFile(this.filePath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    try {
      const data = JSON.parse(text) as Partial<StateFileV1>;
      for (const id of Array.isArray(data.handled) ? data.handled : []) {
        if (typeof id === 'string') this.rememberHandled(id);
      }
      for (const p of Array.isArray(data.pending) ? data.pending : []) {
        if (p && typeof p.id === 'string' && !this.handled.has(p.id)) {
          this.pending.set(p.id, {
            id: p.id,
            raw: p.raw,
            receivedAtMs: Number(p.receivedAtMs) || Date.now(),
            sentParts: Number(p.sentParts) || 0,
            attempts: Number(p.attempts) || 0,
          });
        }
      }
    } catch (err) {
      const aside = `${this.filePath}.corrupt-${Date.now()}`;
      await fs.rename(this.filePath, aside).catch(() => undefined);
      this.logger?.warn({ file: aside, err: (err as Error).message }, 'zalo: unreadable dedup state moved aside, starting empty');
    }
  }

  private rememberHandled(id: string): void {
    if (this.handled.has(id)) return;
    this.handled.add(id);
    this.handledOrder.push(id);
    while (this.handledOrder.length > this.maxHandled) {
      const old = this.handledOrder.shift();
      if (old !== undefined) this.handled.delete(old);
    }
  }

  isHandled(id: string): boolean {
    return this.handled.has(id);
  }

  isPending(id: string): boolean {
    return this.pending.has(id);
  }

  /**
   * Claims a newly received message. Returns false when it was already answered or is being
   * answered (a redelivery); true when the caller now owns it and must answer it.
   */
  async begin(id: string, raw: unknown): Promise<boolean> {
    if (this.handled.has(id) || this.pending.has(id)) return false;
    this.pending.set(id, { id, raw, receivedAtMs: Date.now(), sentParts: 0, attempts: 1 });
    await this.persist();
    return true;
  }

  /** Messages left pending by an earlier process, oldest first. Counts one more attempt each. */
  async takeLeftovers(maxAttempts: number): Promise<{ replay: PendingMessage[]; dropped: PendingMessage[] }> {
    const replay: PendingMessage[] = [];
    const dropped: PendingMessage[] = [];
    for (const p of [...this.pending.values()].sort((a, b) => a.receivedAtMs - b.receivedAtMs)) {
      if (p.attempts >= maxAttempts) {
        dropped.push(p);
        this.pending.delete(p.id);
        this.rememberHandled(p.id);
      } else {
        p.attempts += 1;
        replay.push({ ...p });
      }
    }
    if (replay.length || dropped.length) await this.persist();
    return { replay, dropped };
  }

  sentParts(id: string): number {
    return this.pending.get(id)?.sentParts ?? 0;
  }

  async recordSentParts(id: string, sentParts: number): Promise<void> {
    const p = this.pending.get(id);
    if (!p) return;
    p.sentParts = sentParts;
    await this.persist();
  }

  async complete(id: string): Promise<void> {
    this.pending.delete(id);
    this.rememberHandled(id);
    await this.persist();
  }

  /**
   * Forgets a claim without marking it handled, so that a later redelivery is answered.
   * Used when the reply could not be produced and the message should not stay pending forever.
   */
  async release(id: string): Promise<void> {
    if (this.pending.delete(id)) await this.persist();
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Waits until everything recorded so far is on disk. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing.catch(() => undefined);
    if (this.writtenVersion < this.version) await this.persist();
  }

  private async persist(): Promise<void> {
    const target = ++this.version;
    while (this.writtenVersion < target) {
      if (this.writing) {
        await this.writing;
        continue;
      }
      this.writing = this.writeNow().finally(() => {
        this.writing = undefined;
      });
      await this.writing;
    }
  }

  private async writeNow(): Promise<void> {
    const v = this.version;
    const state: StateFileV1 = { version: 1, handled: [...this.handledOrder], pending: [...this.pending.values()] };
    const tmp = `${this.filePath}.${process.pid}.${++this.tmpCounter}.tmp`;
    const fh = await fs.open(tmp, 'w');
    try {
      await fh.writeFile(JSON.stringify(state), 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await fs.rename(tmp, this.filePath);
    } catch (err) {
      await fs.rm(tmp, { force: true }).catch(() => undefined);
      throw err;
    }
    this.writtenVersion = Math.max(this.writtenVersion, v);
  }
}
