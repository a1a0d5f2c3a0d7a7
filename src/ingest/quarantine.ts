/**
 * Documents whose parse crashed (memory cap, time limit, dead worker) are recorded here, by
 * content hash, in `corpus/.rejected/quarantine.json`. The pipeline never parses recorded bytes
 * again, so one hostile file cannot take every start-up down with it; the file itself stays where
 * the admin put it (replacing or deleting it is the admin's call), and the record says why.
 * Dot-folders are not part of the corpus, so the record is never indexed itself.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

export const QUARANTINE_DIR = '.rejected';
const RECORD_FILE = 'quarantine.json';

const entrySchema = z.object({ file: z.string(), reason: z.string(), at: z.string() });
const recordSchema = z.object({ version: z.literal(1), entries: z.record(z.string(), entrySchema) });

export type QuarantineEntry = z.infer<typeof entrySchema>;

function recordPath(corpusDir: string): string {
  return path.join(corpusDir, QUARANTINE_DIR, RECORD_FILE);
}

/** Recorded entries by content hash; a missing or unreadable record is an empty one. */
export async function readQuarantine(corpusDir: string): Promise<Map<string, QuarantineEntry>> {
  try {
    const parsed = recordSchema.safeParse(JSON.parse(await fs.readFile(recordPath(corpusDir), 'utf8')));
    return new Map(parsed.success ? Object.entries(parsed.data.entries) : []);
  } catch {
    return new Map();
  }
}

/** Adds one entry; written atomically (temp file + rename) so a crash leaves the old record. */
export async function quarantine(corpusDir: string, contentSha256: string, entry: QuarantineEntry): Promise<void> {
  const entries = await readQuarantine(corpusDir);
  entries.set(contentSha256, entry);
  const target = recordPath(corpusDir);
  await fs.mkdir(path.dirname(target), { recursive: true });
  const tmp = `${target}.${process.pid}.tmp`;
  await fs.writeFile(tmp, JSON.stringify({ version: 1, entries: Object.fromEntries(entries) }, null, 2));
  await fs.rename(tmp, target);
}
