import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ingestCorpus } from '../../src/ingest/pipeline.js';
import { localEmbedderFactory } from '../../src/index/embedder.js';
import { acquireLock, IndexLockedError, loadIndex, readManifest } from '../../src/index/store.js';
import { ReportAssistant } from '../../src/app/assistant.js';
import { makeCorruptDocx, makeEncryptedPdf, makeReportDocx, makeTextPdf, makeZipBombDocx } from '../fixtures/makeFixtures.js';
import { corpusDir, DOC, tempDir } from '../helpers.js';

const factory = localEmbedderFactory();

function smallCorpus(): string {
  const dir = tempDir('corpus-');
  copyFileSync(path.join(corpusDir, `${DOC.r381}.txt`), path.join(dir, `${DOC.r381}.txt`));
  copyFileSync(path.join(corpusDir, `${DOC.ducTho}.txt`), path.join(dir, `${DOC.ducTho}.txt`));
  return dir;
}

describe('ingest pipeline', () => {
  it('indexes the corpus and reports documents, sections, footnotes and chunks', async () => {
    const corpus = smallCorpus();
    const index = path.join(tempDir(), 'index');
    const s = await ingestCorpus({ corpusDir: corpus, indexDir: index, embedderFactory: factory });
    expect(s.documents).toBe(2);
    expect(s.footnotes).toBe(9);
    expect(s.sections).toBeGreaterThan(8);
    expect(s.chunks).toBeGreaterThan(20);
    expect(s.added).toHaveLength(2);
    expect(s.wrote).toBe(true);
    const manifest = await readManifest(index);
    expect(manifest?.embedderId).toBe(factory.id);
    expect(Object.keys(manifest!.files).sort()).toEqual([`${DOC.ducTho}.txt`, `${DOC.r381}.txt`]);
  });

  it('re-processes only changed, added or removed files', async () => {
    const corpus = smallCorpus();
    const index = path.join(tempDir(), 'index');
    await ingestCorpus({ corpusDir: corpus, indexDir: index, embedderFactory: factory });

    const again = await ingestCorpus({ corpusDir: corpus, indexDir: index, embedderFactory: factory });
    expect(again.wrote).toBe(false);
    expect(again.unchanged).toHaveLength(2);

    const file = path.join(corpus, `${DOC.ducTho}.txt`);
    writeFileSync(file, readFileSync(file, 'utf8').replace('giảm được 06 đầu mối', 'giảm được 07 đầu mối'));
    copyFileSync(path.join(corpusDir, `${DOC.anGiang}.txt`), path.join(corpus, `${DOC.anGiang}.txt`));
    const changed = await ingestCorpus({ corpusDir: corpus, indexDir: index, embedderFactory: factory });
    expect(changed.changed).toEqual([`${DOC.ducTho}.txt`]);
    expect(changed.added).toEqual([`${DOC.anGiang}.txt`]);
    expect(changed.unchanged).toEqual([`${DOC.r381}.txt`]);
    const snap = await loadIndex(index, factory);
    expect(snap.chunks.some((c) => c.text.includes('07 đầu mối'))).toBe(true);

    const { rmSync } = await import('node:fs');
    rmSync(path.join(corpus, `${DOC.anGiang}.txt`));
    const removed = await ingestCorpus({ corpusDir: corpus, indexDir: index, embedderFactory: factory });
    expect(removed.removed).toEqual([`${DOC.anGiang}.txt`]);
    expect((await loadIndex(index, factory)).documents).toHaveLength(2);
  });

  it('rebuilds everything when the embedder changes', async () => {
    const corpus = smallCorpus();
    const index = path.join(tempDir(), 'index');
    await ingestCorpus({ corpusDir: corpus, indexDir: index, embedderFactory: factory });
    const other = localEmbedderFactory(128);
    const s = await ingestCorpus({ corpusDir: corpus, indexDir: index, embedderFactory: other });
    expect(s.rebuilt).toBe(true);
    expect(s.rebuildReason).toContain(other.id);
    expect((await readManifest(index))?.embedderId).toBe(other.id);
  });

  it('leaves the previous index usable when a write fails midway (crash, disk full)', async () => {
    const corpus = smallCorpus();
    const index = path.join(tempDir(), 'index');
    await ingestCorpus({ corpusDir: corpus, indexDir: index, embedderFactory: factory });
    const before = await readManifest(index);
    copyFileSync(path.join(corpusDir, `${DOC.anGiang}.txt`), path.join(corpus, `${DOC.anGiang}.txt`));
    for (const step of ['lexical.json', 'hnsw', 'manifest.json', 'CURRENT']) {
      await expect(
        ingestCorpus({
          corpusDir: corpus,
          indexDir: index,
          embedderFactory: factory,
          fault: (s) => {
            if (s === step) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
          },
        }),
      ).rejects.toThrow(/ENOSPC/);
      expect((await readManifest(index))?.createdAt).toBe(before?.createdAt);
      const snap = await loadIndex(index, factory);
      expect(snap.documents).toHaveLength(2);
    }
    // No half-written version is left behind, and the next ingest completes.
    expect(readdirSync(index).filter((e) => e.endsWith('.tmp'))).toEqual([]);
    const ok = await ingestCorpus({ corpusDir: corpus, indexDir: index, embedderFactory: factory });
    expect(ok.documents).toBe(3);
  });

  it('refuses a second concurrent writer with a clear message, and takes over a dead writer’s lock', async () => {
    const index = path.join(tempDir(), 'index');
    const release = await acquireLock(index);
    const other = { pid: process.ppid };
    writeFileSync(path.join(index, '.lock'), JSON.stringify(other));
    await expect(ingestCorpus({ corpusDir: smallCorpus(), indexDir: index, embedderFactory: factory })).rejects.toBeInstanceOf(IndexLockedError);
    await release();
    // A lock left by a process that no longer exists.
    mkdirSync(index, { recursive: true });
    writeFileSync(path.join(index, '.lock'), JSON.stringify({ pid: 2 ** 22 - 7 }));
    const s = await ingestCorpus({ corpusDir: smallCorpus(), indexDir: index, embedderFactory: factory });
    expect(s.documents).toBe(2);
    expect(existsSync(path.join(index, '.lock'))).toBe(false);
  });

  it('reports bad files per file and indexes the rest', async () => {
    const corpus = smallCorpus();
    writeFileSync(path.join(corpus, 'empty.txt'), '');
    writeFileSync(path.join(corpus, 'junk.txt'), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)));
    writeFileSync(path.join(corpus, 'broken.docx'), makeCorruptDocx());
    writeFileSync(path.join(corpus, 'bomb.docx'), makeZipBombDocx());
    writeFileSync(path.join(corpus, 'locked.pdf'), makeEncryptedPdf());
    writeFileSync(path.join(corpus, 'notes.xlsx'), 'x');
    writeFileSync(path.join(corpus, 'huge.txt'), Buffer.alloc(9 * 1024 * 1024, 'a'));
    const s = await ingestCorpus({ corpusDir: corpus, indexDir: path.join(tempDir(), 'index'), embedderFactory: factory });
    expect(s.documents).toBe(2);
    const reasons = Object.fromEntries(s.skipped.map((k) => [k.file, k.reason]));
    expect(reasons['empty.txt']).toMatch(/rỗng|empty/);
    expect(reasons['junk.txt']).toMatch(/nhị phân|binary/);
    expect(reasons['broken.docx']).toMatch(/hỏng|corrupt/);
    expect(reasons['bomb.docx']).toMatch(/zip bomb/);
    expect(reasons['locked.pdf']).toMatch(/mã hóa|encrypted/);
    expect(reasons['notes.xlsx']).toMatch(/không hỗ trợ|unsupported/);
    expect(reasons['huge.txt']).toMatch(/quá lớn|too large/);
  });

  it('ingests a .docx with heading styles and real footnotes, and a text PDF, and answers from them', async () => {
    const corpus = tempDir('corpus-');
    writeFileSync(path.join(corpus, 'bao-cao-dan-van.docx'), await makeReportDocx());
    writeFileSync(
      path.join(corpus, 'bao-cao-pdf.pdf'),
      await makeTextPdf(['UY BAN NHAN DAN TINH BINH AN', 'So: 12/BC-UBND', 'BAO CAO', 'I. Tinh hinh chung', 'Toan tinh co 45 xa hoan thanh chuong trinh', 'nong thon moi trong nam.']),
    );
    const index = path.join(tempDir(), 'index');
    const s = await ingestCorpus({ corpusDir: corpus, indexDir: index, embedderFactory: factory });
    expect(s.skipped).toEqual([]);
    expect(s.documents).toBe(2);
    const snap = await loadIndex(index, factory);
    const docx = snap.documentById.get('bao-cao-dan-van')!;
    expect(docx.meta.number).toBe('12-BC/TU');
    expect(docx.sections.map((x) => x.path.join(' › '))).toContain('I. Tình hình chung › 1. Kết quả');
    expect(docx.footnotes.map((f) => [f.n, f.sectionPath.join(' › ')])).toEqual([
      [1, 'I. Tình hình chung › 1. Kết quả'],
      [2, 'I. Tình hình chung › 1. Kết quả'],
    ]);
    const pdf = snap.documentById.get('bao-cao-pdf')!;
    expect(pdf.chunks.some((c) => c.text.includes('45 xa hoan thanh chuong trinh nong thon moi'))).toBe(true);

    const assistant = await ReportAssistant.open({ corpusDir: corpus, indexDir: index, embedderFactory: factory });
    const { answer } = await assistant.ask('45 xã thực hiện mô hình gồm những xã nào?');
    expect(answer.answered).toBe(true);
    expect(answer.citations.some((c) => c.section.endsWith('chú thích 1'))).toBe(true);
  });
});
