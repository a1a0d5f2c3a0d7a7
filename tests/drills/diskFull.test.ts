import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ingestCorpus } from '../../src/ingest/pipeline.js';
import { loadIndex } from '../../src/index/store.js';
import { copyReports, factory, leftovers, PROBE, probeAnswer, readCurrent, tempDir } from './helpers.js';

/**
 * Drill: the disk fills up while a new index version is being written. The write fault hook
 * throws ENOSPC at a chosen file; the previous version must stay current and keep answering,
 * the failed attempt must not leave a half-written version or the lock behind, and the next
 * ingest (disk freed) must succeed and leave no temp directories.
 */

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await fs.rm(d, { recursive: true, force: true });
});

function enospc(): Error {
  return Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
}

const EXTRA = `ỦY BAN NHÂN DÂN HUYỆN THỬ NGHIỆM

Số 12-BC/UBND

Thử Nghiệm, ngày 5 tháng 5 năm 2021

BÁO CÁO
kết quả diễn tập ghi chỉ mục khi đầy đĩa
-----
I. KẾT QUẢ
1. Số liệu
Huyện Thử Nghiệm có 42 tổ dân phố tham gia diễn tập khôi phục sự cố ổ đĩa đầy trong năm 2021.
`;

describe('drill: disk full during an index write', () => {
  // documents.json is the first file, lexical.json the one the brief names, hnsw the native
  // save, manifest.json the last file, CURRENT the step after the version dir was renamed.
  for (const step of ['documents.json', 'lexical.json', 'hnsw', 'manifest.json', 'CURRENT']) {
    it(`ENOSPC at ${step}: the previous index survives and answers; the next ingest cleans up`, async () => {
      const root = await tempDir('enospc');
      dirs.push(root);
      const corpusDir = path.join(root, 'corpus');
      const indexDir = path.join(root, 'index');
      await copyReports(corpusDir);
      const first = await ingestCorpus({ corpusDir, indexDir, embedderFactory: factory });
      expect(first.wrote).toBe(true);
      const before = await readCurrent(indexDir);

      // A changed corpus, so the next ingest has something to write.
      await fs.writeFile(path.join(corpusDir, 'thu-nghiem-2021.txt'), EXTRA);
      await expect(
        ingestCorpus({
          corpusDir,
          indexDir,
          embedderFactory: factory,
          fault: (s) => {
            if (s === step) throw enospc();
          },
        }),
      ).rejects.toMatchObject({ code: 'ENOSPC' });

      expect(await readCurrent(indexDir)).toBe(before);
      expect(await leftovers(indexDir)).toEqual([]);
      // The lock was released: a failed writer must not block the next one.
      await expect(fs.access(path.join(indexDir, '.lock'))).rejects.toThrow();
      const snapshot = await loadIndex(indexDir, factory);
      expect(snapshot.manifest.counts.chunks).toBe(first.chunks);
      const probe = await probeAnswer(corpusDir, indexDir);
      expect(probe.answered).toBe(true);
      expect(probe.text).toContain(PROBE.fact);

      // Disk freed: the next ingest picks the change up and leaves nothing behind.
      const next = await ingestCorpus({ corpusDir, indexDir, embedderFactory: factory });
      expect(next.wrote).toBe(true);
      expect(next.added).toEqual(['thu-nghiem-2021.txt']);
      expect(await readCurrent(indexDir)).not.toBe(before);
      expect(await leftovers(indexDir)).toEqual([]);
      const versions = (await fs.readdir(indexDir)).filter((e) => e.startsWith('v-'));
      expect(versions.length).toBeLessThanOrEqual(2);
      expect((await probeAnswer(corpusDir, indexDir)).chunks).toBe(next.chunks);
    }, 60_000);
  }
});
