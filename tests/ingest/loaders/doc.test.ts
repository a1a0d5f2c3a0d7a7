import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadSource, SUPPORTED_EXTENSIONS } from '../../../src/ingest/loaders/index.js';
import { REASON_CORRUPT_DOC, REASON_RTF_DOC } from '../../../src/ingest/loaders/doc.js';
import { buildDocument, sectionLabel } from '../../../src/ingest/structure.js';
import type { ParsedDocument } from '../../../src/ingest/types.js';
import { makeCorruptDocx, makeReportDocx } from '../../fixtures/makeFixtures.js';
import { reason } from './helpers.js';
import { WORD_REPORT_HEADER } from '../fixtures/wordReport.js';

// Word 97–2003 files saved by LibreOffice from tests/ingest/fixtures/wordReport.ts (see README there).
const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url));

async function parse(name: string): Promise<ParsedDocument> {
  return buildDocument({ id: name, file: name, source: await loadSource(fixture(name), '.doc') });
}

describe('.doc (Word 97–2003)', () => {
  it('is a supported extension', () => {
    expect(SUPPORTED_EXTENSIONS.has('.doc')).toBe(true);
  });

  it.each(['word-report.doc', 'word-report-tcvn3.doc'])('%s: header, signature, sections, table rows and the footnote', async (name) => {
    const d = await parse(name);
    expect(d.meta).toMatchObject({
      ...WORD_REPORT_HEADER,
      signer: 'Hà Văn Nam',
      signerTitle: 'KT. CHỦ TỊCH, PHÓ CHỦ TỊCH',
    });
    // No styles in the binary format: headings come from numbering and capitals.
    expect(d.sections.map((s) => sectionLabel(s.path))).toEqual(['Mở đầu', 'I. TÌNH HÌNH CHUNG', 'II. NHIỆM VỤ NĂM 2024']);
    const rows = d.chunks.filter((c) => c.metadata.kind === 'table');
    expect(rows.map((c) => c.metadata.sectionPath[c.metadata.sectionPath.length - 1])).toEqual([
      'Xã Nà Phặc',
      'Xã Bằng Lãng',
      'Xã Khuổi Sáp',
      'Tổng cộng',
      'Keo',
      'Quế',
    ]);
    expect(sectionLabel(rows[3]!.metadata.sectionPath)).toBe('I. TÌNH HÌNH CHUNG › Bảng 1: Diện tích rừng trồng theo xã › Tổng cộng');
    expect(rows[3]!.text).toBe('Xã: Tổng cộng; Diện tích: 120,5 ha; Tỷ lệ so với kế hoạch: 96,4%');
    expect(d.chunks.some((c) => c.text.includes('Toàn huyện có 3 xã trồng rừng tập trung, tổng diện tích 120,5 ha.'))).toBe(true);
    // The note text survives; .doc does not record where its mark stood.
    expect(d.footnotes.map((f) => f.text)).toEqual(['Gồm các xã Nà Phặc, Bằng Lãng và Khuổi Sáp.']);
    expect(d.chunks.map((c) => c.text).join('\n')).not.toMatch(/undefined|Nơi nhận|\u00ad/);
  });

  it('reads a DOCX renamed to .doc as the DOCX it is', async () => {
    const src = await loadSource(await makeReportDocx(), '.doc');
    expect(src.format).toBe('docx');
    expect(src.blocks.some((b) => b.text === 'Số 12-BC/TU')).toBe(true);
  });

  it('rejects RTF, random bytes and a truncated file with a clear reason', async () => {
    expect(await reason(loadSource(Buffer.from('{\\rtf1\\ansi Xin chào}'), '.doc'))).toBe(REASON_RTF_DOC);
    expect(await reason(loadSource(makeCorruptDocx(), '.doc'))).toBe(REASON_CORRUPT_DOC);
    expect(await reason(loadSource(fixture('word-report.doc').subarray(0, 2048), '.doc'))).toBe(REASON_CORRUPT_DOC);
  });
});
