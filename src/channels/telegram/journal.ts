import { join } from 'node:path';
import type { Update } from 'telegraf/types';
import { JsonStateWriter, readJsonFile } from '../../bot/jsonFile.js';

interface JournalFile {
  version: 1;
  offset: number;
  pending: Update[];
  handled: number[];
}

const HANDLED_KEPT = 5000;

/**
 * Exactly-once bookkeeping for updates, persisted in STATE_DIR/telegram-updates.json.
 *
 * An update is first recorded as pending (and written to disk) before Telegram is told it was
 * received: the next getUpdates offset, or the webhook's 200. It becomes handled only after its
 * replies went out. After a crash, pending updates are replayed and handled ids are skipped when
 * Telegram redelivers them. The remaining window — killed after a reply was sent but before the
 * handled mark reached disk — can repeat that one reply; it cannot lose a question.
 */
export class UpdateJournal {
  offset = 0;
  private readonly pendingById = new Map<number, Update>();
  private readonly handled = new Set<number>();
  private readonly writer: JsonStateWriter;

  private constructor(file: string, onError: (err: unknown) => void) {
    this.writer = new JsonStateWriter(
      file,
      (): JournalFile => ({
        version: 1,
        offset: this.offset,
        pending: [...this.pendingById.values()],
        handled: [...this.handled],
      }),
      onError,
    );
  }

  static async open(dir: string, onError: (err: unknown) => void = () => {}): Promise<UpdateJournal> {
    const journal = new UpdateJournal(join(dir, 'telegram-updates.json'), onError);
    const raw = (await readJsonFile(join(dir, 'telegram-updates.json'))) as Partial<JournalFile> | undefined;
    if (raw) {
      journal.offset = typeof raw.offset === 'number' ? raw.offset : 0;
      for (const id of raw.handled ?? []) if (typeof id === 'number') journal.handled.add(id);
      for (const u of raw.pending ?? []) {
        if (u && typeof u.update_id === 'number' && !journal.handled.has(u.update_id)) journal.pendingById.set(u.update_id, u);
      }
    }
    return journal;
  }

  /** Records a new update as pending; false for one we already have or have handled. */
  accept(update: Update): boolean {
    const id = update.update_id;
    if (this.handled.has(id) || this.pendingById.has(id)) return false;
    this.pendingById.set(id, update);
    return true;
  }

  isKnown(updateId: number): boolean {
    return this.handled.has(updateId) || this.pendingById.has(updateId);
  }

  advanceOffset(nextOffset: number): void {
    if (nextOffset > this.offset) this.offset = nextOffset;
  }

  markHandled(updateId: number): Promise<void> {
    this.pendingById.delete(updateId);
    this.handled.add(updateId);
    // Prune in batches: sorting on every update once the cap is reached would be wasteful.
    if (this.handled.size > HANDLED_KEPT * 1.2) {
      const oldest = [...this.handled].sort((a, b) => a - b).slice(0, this.handled.size - HANDLED_KEPT);
      for (const id of oldest) this.handled.delete(id);
    }
    return this.writer.save();
  }

  /** Pending updates in arrival order, for replay after a restart. */
  pending(): Update[] {
    return [...this.pendingById.values()].sort((a, b) => a.update_id - b.update_id);
  }

  get pendingCount(): number {
    return this.pendingById.size;
  }

  save(): Promise<void> {
    return this.writer.save();
  }

  flush(): Promise<void> {
    return this.writer.flush();
  }
}
