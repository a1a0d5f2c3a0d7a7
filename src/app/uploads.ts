/**
 * Admin uploads reach the corpus in three steps, so that nothing is lost and nothing half-written
 * is ever indexed:
 *  1. the bytes are written (and fsync'd) to a staging folder outside `corpus/`;
 *  2. they are parsed there, exactly as ingest would (isolated parser, same limits);
 *  3. only an accepted file is moved into `corpus/` by one rename. When it replaces a document,
 *     the previous file is first copied to `corpus/.versions/`, so it can be restored.
 * A crash at any point leaves either the old or the new file in `corpus/`, never a partial one,
 * and never a leftover that the next ingest would pick up.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

export const VERSIONS_DIR = '.versions';
/** Same-file-system fallback when the staging folder is on another device (rename gives EXDEV). */
const INCOMING_DIR = '.incoming';
/** What the pre-staging code left behind after a crash: "<name>.<pid>.upload". */
const LEGACY_LEFTOVER = /\.\d+\.upload$/;

export type NameConflict = { kind: 'same'; existing: string } | { kind: 'stem'; existing: string };

function stemKey(name: string): string {
  return name.replace(/\.[^.]+$/, '').normalize('NFC').toLowerCase();
}

/**
 * An upload may not share its document id with another file: the same name is a replacement
 * (explicit only), the same stem with another extension or another case is refused outright,
 * because the id in every citation would then be ambiguous.
 */
export async function findNameConflict(corpusDir: string, name: string): Promise<NameConflict | undefined> {
  const entries = await fs.readdir(corpusDir, { withFileTypes: true }).catch(() => []);
  let stem: NameConflict | undefined;
  for (const e of entries) {
    if (!e.isFile() || e.name.startsWith('.') || e.name.endsWith('.meta.json')) continue;
    if (e.name.normalize('NFC') === name) return { kind: 'same', existing: e.name };
    if (stemKey(e.name) === stemKey(name)) stem ??= { kind: 'stem', existing: e.name };
  }
  return stem;
}

/** Writes the upload to the staging folder, durably, and returns its path. */
export async function stageUpload(stagingDir: string, name: string, content: Buffer): Promise<string> {
  await fs.mkdir(stagingDir, { recursive: true });
  const staged = path.join(stagingDir, `${process.pid}-${randomBytes(4).toString('hex')}${path.extname(name)}`);
  const handle = await fs.open(staged, 'w');
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return staged;
}

function versionName(name: string, at: Date): string {
  const ext = path.extname(name);
  const stamp = at.toISOString().replace(/[:.]/g, '-');
  return `${name.slice(0, name.length - ext.length)}.${stamp}${ext}`;
}

/** Copies the current corpus file to corpus/.versions/; returns the copy's path relative to corpus. */
export async function keepVersion(corpusDir: string, name: string, at = new Date()): Promise<string> {
  const dir = path.join(corpusDir, VERSIONS_DIR);
  await fs.mkdir(dir, { recursive: true });
  const rel = path.join(VERSIONS_DIR, versionName(name, at));
  await fs.copyFile(path.join(corpusDir, name), path.join(corpusDir, rel));
  return rel;
}

/** Versions kept for `name`, newest first (relative to corpus). */
export async function listVersions(corpusDir: string, name: string): Promise<string[]> {
  const ext = path.extname(name);
  const prefix = `${name.slice(0, name.length - ext.length)}.`;
  const entries = await fs.readdir(path.join(corpusDir, VERSIONS_DIR)).catch(() => [] as string[]);
  return entries
    .filter((e) => e.startsWith(prefix) && e.endsWith(ext) && /^\d{4}-\d\d-\d\dT[\d-]+Z$/.test(e.slice(prefix.length, e.length - ext.length)))
    .sort()
    .reverse()
    .map((e) => path.join(VERSIONS_DIR, e));
}

/** Moves the staged file into the corpus with one rename (atomic replace of the same name). */
export async function commitUpload(corpusDir: string, staged: string, name: string): Promise<void> {
  await fs.mkdir(corpusDir, { recursive: true });
  const target = path.join(corpusDir, name);
  try {
    await fs.rename(staged, target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    // Another device: copy next to the target under a hidden name first, then rename.
    const incoming = path.join(corpusDir, INCOMING_DIR);
    await fs.mkdir(incoming, { recursive: true });
    const near = path.join(incoming, path.basename(staged));
    await fs.copyFile(staged, near);
    await fs.rename(near, target);
    await fs.rm(staged, { force: true });
  }
}

/** Start-up clean-up: staged files of earlier runs, and crash leftovers of the old upload code. */
export async function cleanUploadLeftovers(corpusDir: string, stagingDir: string): Promise<string[]> {
  const removed: string[] = [];
  for (const dir of [stagingDir, path.join(corpusDir, INCOMING_DIR)]) {
    for (const e of await fs.readdir(dir).catch(() => [] as string[])) {
      await fs.rm(path.join(dir, e), { force: true, recursive: true });
      removed.push(path.join(dir, e));
    }
  }
  for (const e of await fs.readdir(corpusDir).catch(() => [] as string[])) {
    if (!LEGACY_LEFTOVER.test(e)) continue;
    await fs.rm(path.join(corpusDir, e), { force: true });
    removed.push(path.join(corpusDir, e));
  }
  return removed;
}
