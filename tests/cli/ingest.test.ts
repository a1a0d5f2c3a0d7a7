import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { formatCards, formatSummary, ocrRuns, progressReporter } from '../../src/cli/ingest.js';
import { documentCard, formatCard, LOW_NO_SECTIONS, LOW_NO_TITLE } from '../../src/ingest/card.js';
import type { IngestSummary } from '../../src/ingest/pipeline.js';
import type { ParsedDocument } from '../../src/ingest/types.js';

function summary(partial: Partial<IngestSummary> = {}): IngestSummary {
  return {
    documents: 2, sections: 12, footnotes: 2, chunks: 30, added: [], changed: [], removed: [], unchanged: [], skipped: [],
    stale: [], quarantined: [], instructionLike: [], warnings: [], rebuilt: false, wrote: true, durationMs: 1234, indexDir: '/i',
    ...partial,
  } as IngestSummary;
}

function doc(partial: { id: string; heading?: string; sections?: string[]; signer?: string; ocr?: number }): ParsedDocument {
  return {
    meta: {
      id: partial.id, file: `${partial.id}.pdf`, kind: 'report', title: 't', heading: partial.heading ?? partial.id, docType: 'Báo cáo', number: '96-BC/HU',
      issuer: 'Huyện ủy Kim Khê', date: '2022-10-20', ...(partial.signer ? { signer: partial.signer, signerTitle: 'T/M BAN THƯỜNG VỤ, PHÓ BÍ THƯ' } : {}),
    },
    sections: ['Mở đầu', ...(partial.sections ?? [])].map((h) => ({ path: [h], charStart: 0, charEnd: 1 })),
    footnotes: [],
    tables: [],
    chunks: [],
    warnings: [],
    ...(partial.ocr ? { ocr: { pages: partial.ocr, durationMs: partial.ocr * 7000 } } : {}),
  };
}

describe('ingest cards and summary', () => {
  const good = doc({ id: 'kimkhe-96', heading: 'Báo cáo kết quả thực hiện mô hình', sections: ['I. KẾT QUẢ', 'II. HẠN CHẾ'], signer: 'Ma Thị Duyên', ocr: 2 });
  const bad = doc({ id: 'scan-xau' });

  it('prints one card per document with signer, counts and OCR pages', () => {
    const card = documentCard(good);
    expect(card).toMatchObject({ number: '96-BC/HU', signer: 'Ma Thị Duyên', sections: 2, ocrPages: 2, lowConfidence: [], date: '20/10/2022' });
    const text = formatCard(card);
    expect(text).toContain('người ký / signer:  Ma Thị Duyên (T/M BAN THƯỜNG VỤ, PHÓ BÍ THƯ)');
    expect(text).toContain('2 mục, 0 chú thích, 0 bảng, 2 trang OCR');
    expect(text).not.toContain('⚠');
  });

  it('flags a document read with low confidence', () => {
    const card = documentCard(bad);
    expect(card.lowConfidence).toEqual([LOW_NO_TITLE, LOW_NO_SECTIONS]);
    const s = summary({ added: ['kimkhe-96.pdf', 'scan-xau.pdf'] });
    const out = formatSummary(s, [documentCard(good), card], ocrRuns(s, [good, bad]));
    expect(out).toContain('cần kiểm tra / check: 1');
    expect(out).toContain(`⚠ scan-xau.pdf: ${LOW_NO_TITLE}; ${LOW_NO_SECTIONS}`);
    expect(out).toContain('OCR: 1 tệp, 2 trang, 14,0 s (7,0 s/trang)');
    expect(formatCards(s, [documentCard(good), card])).toMatch(/^Tài liệu \/ documents \(2\):\n\n {2}kimkhe-96\.pdf\n/);
  });

  it('lays the summary out one field per line, values in one column', () => {
    const out = formatSummary(summary({ unchanged: ['a.txt', 'b.txt', 'c.txt', 'd.txt'], skipped: [{ file: 'x.bin', reason: 'định dạng không hỗ trợ' }] }));
    const lines = out.split('\n');
    expect(lines).toContain('  giữ nguyên / unchanged: 4');
    expect(lines).toContain('    tài liệu / documents: 2');
    const columns = lines.filter((l) => /^ {2}\s*\S.*: /.test(l) && !l.startsWith('    -')).map((l) => l.indexOf(': '));
    expect(new Set(columns).size).toBe(1);
    // OCR of a document reused from the last index is not counted again.
    expect(ocrRuns(summary({ unchanged: ['kimkhe-96.pdf'] }), [good])).toEqual([]);
  });

  it('writes plain progress lines, OCR pages included, on the summary stream, ending in a blank line', () => {
    const out = new PassThrough();
    let written = '';
    out.on('data', (d: Buffer) => (written += d.toString()));
    const notTty = Object.assign(new PassThrough(), { isTTY: false }) as unknown as NodeJS.WriteStream;
    const p = progressReporter(notTty, out);
    p.onProgress({ type: 'start', totalFiles: 5 });
    p.onProgress({ type: 'ocr', file: 'scan.pdf', page: 1, index: 1, total: 2, durationMs: 7600 });
    p.onProgress({ type: 'file', file: 'scan.pdf', status: 'parsed' });
    p.done();
    expect(written).toBe('ingest: 5 tệp / files\ningest: OCR scan.pdf trang / page 1 (1/2, 7,6 s)\ningest: parsed scan.pdf\n\n');
  });
});
