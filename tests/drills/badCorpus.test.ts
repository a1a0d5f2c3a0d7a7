import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestCorpus, type IngestSummary } from '../../src/ingest/pipeline.js';
import { makeCorruptDocx, makeEncryptedPdf, makeZipBombDocx } from '../fixtures/makeFixtures.js';
import { copyReports, factory, PROBE, probeAnswer, REPORTS_DIR, tempDir } from './helpers.js';

/**
 * Drill: a corpus folder with every kind of bad file a user drops in next to the good reports.
 * Each bad file must be skipped with a reason (no crash, no partial index), the good reports
 * indexed and answering.
 */

let root = '';
let corpusDir = '';
let indexDir = '';
let summary: IngestSummary;
let goodReports: string[] = [];

/** xorshift32 noise: deterministic, and NUL bytes occur as in any binary file. */
function junk(size: number): Buffer {
  const out = Buffer.alloc(size);
  let x = 0x9e3779b9;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const BAD = {
  'hong.docx': 'corrupt DOCX (random bytes)',
  'mat-khau.pdf': 'encrypted PDF',
  'rong.txt': 'empty file',
  'qua-lon.txt': '20 MB text file',
  'rac-nhi-phan.txt': 'binary junk named .txt',
  'bom-nen.docx': 'DOCX zip bomb (declared 4 GB)',
  'bom-ti-le.docx': 'DOCX zip bomb (1000:1 ratio)',
  'bom-noi-doi.docx': 'DOCX zip bomb (lying sizes)',
} as const;

beforeAll(async () => {
  root = await tempDir('badcorpus');
  corpusDir = path.join(root, 'corpus');
  indexDir = path.join(root, 'index');
  goodReports = await copyReports(corpusDir);
  const write = (name: keyof typeof BAD, data: Buffer) => fs.writeFile(path.join(corpusDir, name), data);
  await write('hong.docx', makeCorruptDocx());
  await write('mat-khau.pdf', makeEncryptedPdf());
  await write('rong.txt', Buffer.alloc(0));
  // Real report text repeated to 20 MB: valid UTF-8, only its size is wrong.
  const report = await fs.readFile(path.join(REPORTS_DIR, goodReports[0]!));
  const copies = Math.ceil((20 * 1024 * 1024) / report.length);
  await write('qua-lon.txt', Buffer.concat(Array.from({ length: copies }, () => report)).subarray(0, 20 * 1024 * 1024));
  await write('rac-nhi-phan.txt', junk(256 * 1024));
  await write('bom-nen.docx', makeZipBombDocx('declared'));
  await write('bom-ti-le.docx', makeZipBombDocx('ratio'));
  await write('bom-noi-doi.docx', makeZipBombDocx('lying'));
  summary = await ingestCorpus({ corpusDir, indexDir, embedderFactory: factory });
}, 120_000);

afterAll(async () => {
  if (root) await fs.rm(root, { recursive: true, force: true });
});

describe('drill: a corpus full of bad files', () => {
  it('skips every bad file with a reason', () => {
    const skipped = new Map(summary.skipped.map((s) => [s.file, s.reason]));
    for (const [file, what] of Object.entries(BAD)) {
      expect(skipped.has(file), `${file} (${what}) should be skipped`).toBe(true);
      expect(skipped.get(file)?.trim().length, `${file} needs a reason`).toBeGreaterThan(5);
    }
    expect(skipped.get('rong.txt')).toMatch(/rỗng|empty/i);
    expect(skipped.get('qua-lon.txt')).toMatch(/lớn|large/i);
    expect(skipped.get('rac-nhi-phan.txt')).toMatch(/nhị phân|binary/i);
    expect(summary.skipped).toHaveLength(Object.keys(BAD).length);
  });

  it('indexes the good reports and only them', () => {
    expect(summary.wrote).toBe(true);
    expect(summary.documents).toBe(goodReports.length);
    expect([...summary.added].sort()).toEqual([...goodReports].sort());
  });

  it('answers from the good reports', async () => {
    const probe = await probeAnswer(corpusDir, indexDir);
    expect(probe.answered).toBe(true);
    expect(probe.text).toContain(PROBE.fact);
  });

  it('keeps the verdicts on a re-run without re-parsing, and stays up to date', async () => {
    const again = await ingestCorpus({ corpusDir, indexDir, embedderFactory: factory });
    expect(again.wrote).toBe(false);
    expect(new Set(again.skipped.map((s) => s.file))).toEqual(new Set(Object.keys(BAD)));
  });
});
