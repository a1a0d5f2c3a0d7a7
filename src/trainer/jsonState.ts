import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * The quiz scoreboard file (rounds.ts) is rewritten whole; writing to a temp file and renaming
 * means a crash (kill -9) leaves either the old or the new version on disk, never a torn file.
 * Kept with the trainer since the chat state moved to the shared state store (src/state).
 */
export async function writeJsonAtomic(file: string, data: unknown): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, JSON.stringify(data), 'utf8');
  await rename(tmp, file);
}

export async function readJsonFile(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as unknown;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Coalesces frequent saves into sequential atomic writes: at most one write runs at a time and
 * the latest snapshot always wins. `flush()` resolves once everything requested so far is on disk.
 */
export class JsonStateWriter {
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;
  private pendingFlush: Promise<void> | undefined;

  constructor(
    private readonly file: string,
    private readonly snapshot: () => unknown,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  /** Schedules a write of the current snapshot. */
  save(): Promise<void> {
    this.dirty = true;
    if (!this.pendingFlush) {
      this.pendingFlush = this.writing.then(async () => {
        this.pendingFlush = undefined;
        while (this.dirty) {
          this.dirty = false;
          try {
            await writeJsonAtomic(this.file, this.snapshot());
          } catch (err) {
            this.onError(err);
          }
        }
      });
      this.writing = this.pendingFlush;
    }
    return this.pendingFlush;
  }

  async flush(): Promise<void> {
    await this.writing;
    if (this.dirty) await this.save();
  }
}
