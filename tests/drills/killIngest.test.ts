import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ingestCorpus } from '../../src/ingest/pipeline.js';
import { loadIndex } from '../../src/index/store.js';
import { generateSyntheticCorpus } from '../../src/bench/synthetic.js';
import { factory, leftovers, PROBE, probeAnswer, readCurrent, REPORTS_DIR, ROOT, tempDir } from './helpers.js';

/**
 * Drill: `kill -9` of `ingest` while it writes a new index version. The old version must still
 * load and answer, and the next ingest must complete, taking over the lock the dead process
 * left behind and cleaning up its half-written version directory.
 *
 * The ingest runs as `node --import tsx src/cli/ingest.ts` rather than `npx tsx …`: npx and the
 * tsx launcher would sit between us and the process holding the lock, and SIGKILL does not
 * propagate to grandchildren, so the writer itself would survive the "kill".
 */

const CLI = path.join(ROOT, 'src/cli/ingest.ts');
const children: ChildProcess[] = [];
let root = '';

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  if (root) await fs.rm(root, { recursive: true, force: true });
});

function runIngest(corpusDir: string, indexDir: string): { child: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, '--corpus', corpusDir, '--index', indexDir], {
    cwd: ROOT,
    env: { ...process.env, EMBEDDINGS_PROVIDER: 'local', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, out })),
  );
  return { child, done };
}

describe('drill: kill -9 during ingest', () => {
  it('keeps the old index answering and lets the next ingest take over the stale lock', async () => {
    root = await tempDir('kill');
    const indexDir = path.join(root, 'index');
    const bigCorpus = path.join(root, 'synthetic');
    // The old index: the real reports.
    const first = await ingestCorpus({ corpusDir: REPORTS_DIR, indexDir, embedderFactory: factory });
    expect(first.wrote).toBe(true);
    const before = await readCurrent(indexDir);
    // Big enough that writing the new version takes a while (2,000 chunks: seconds).
    const synth = await generateSyntheticCorpus({ sourceDir: REPORTS_DIR, outDir: bigCorpus, targetChunks: 2_000, questions: 0 });

    const run = runIngest(bigCorpus, indexDir);
    let exited = false;
    void run.done.then(() => (exited = true));
    // Wait for the half-written version directory, then kill the writer mid-write.
    const deadline = Date.now() + 90_000;
    let sawTmp = false;
    while (!exited && Date.now() < deadline) {
      if ((await leftovers(indexDir)).some((e) => e.startsWith('v-'))) {
        sawTmp = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    // (The failure message must not await the child: that would wait for it to finish.)
    if (!sawTmp) expect.fail(`ingest never reached the write phase:\n${(await run.done).out}`);
    run.child.kill('SIGKILL');
    const killed = await run.done;
    expect(killed.signal, `code ${killed.code}: ${killed.out}`).toBe('SIGKILL');

    // The crash left its traces: a stale lock naming the dead pid (and usually the tmp dir).
    const lock = JSON.parse(await fs.readFile(path.join(indexDir, '.lock'), 'utf8')) as { pid: number };
    expect(lock.pid).toBe(run.child.pid);
    // CURRENT still names the old, complete version: it loads and answers.
    expect(await readCurrent(indexDir)).toBe(before);
    const old = await loadIndex(indexDir, factory);
    expect(old.manifest.counts.chunks).toBe(first.chunks);
    const probe = await probeAnswer(REPORTS_DIR, indexDir);
    expect(probe.answered).toBe(true);
    expect(probe.text).toContain(PROBE.fact);

    // The next ingest takes the dead process's lock over and completes.
    const again = await runIngest(bigCorpus, indexDir).done;
    expect(again.code, again.out).toBe(0);
    expect(await readCurrent(indexDir)).not.toBe(before);
    expect(await leftovers(indexDir)).toEqual([]);
    await expect(fs.access(path.join(indexDir, '.lock'))).rejects.toThrow();
    const fresh = await loadIndex(indexDir, factory);
    expect(fresh.manifest.counts.chunks).toBeGreaterThanOrEqual(synth.expectedChunks - 5);
    expect(fresh.manifest.counts.documents).toBe(synth.files);
  }, 240_000);
});
