import { describe, expect, it } from 'vitest';
import { loadDocx } from '../../../src/ingest/loaders/docx.js';
import { buildDocument, sectionLabel } from '../../../src/ingest/structure.js';
import type { ParsedDocument } from '../../../src/ingest/types.js';
import { toTcvn3 } from '../fixtures/legacyEncode.js';
import { makeWordReportDocx, WORD_REPORT_HEADER } from '../fixtures/wordReport.js';

async function parse(docx: Buffer): Promise<ParsedDocument> {
  return buildDocument({ id: 'mau-son-15', file: 'mau-son-15.docx', source: await loadDocx(docx) });
}

const tableRows = (d: ParsedDocument) => d.chunks.filter((c) => c.metadata.kind === 'table').map((c) => [sectionLabel(c.metadata.sectionPath), c.text]);

describe('Word report: header table, bold headings, data tables, signature table', async () => {
  const d = await parse(await makeWordReportDocx());

  it('reads the header table as the document header, not as an article title', () => {
    expect(d.meta).toMatchObject(WORD_REPORT_HEADER);
  });

  it('reads the signature table as signer and capacity', () => {
    expect(d.meta.signer).toBe('Hà Văn Nam');
    expect(d.meta.signerTitle).toBe('KT. CHỦ TỊCH, PHÓ CHỦ TỊCH');
    expect(d.chunks.map((c) => c.text).join('\n')).not.toMatch(/Nơi nhận|PHÓ CHỦ TỊCH|Hà Văn Nam/);
  });

  it('takes bold Normal paragraphs for headings, nested under the numbered ones', () => {
    expect(d.sections.map((s) => sectionLabel(s.path))).toEqual([
      'Mở đầu',
      'I. TÌNH HÌNH CHUNG',
      'I. TÌNH HÌNH CHUNG › Kết quả nổi bật',
      'II. NHIỆM VỤ NĂM 2024',
      'PHỤ LỤC',
    ]);
  });

  it('turns each data-table row into a passage of "column: cell" pairs with units, cited by caption and row', () => {
    expect(tableRows(d)).toEqual([
      ['I. TÌNH HÌNH CHUNG › Kết quả nổi bật › Bảng 1: Diện tích rừng trồng theo xã › Xã Nà Phặc', 'Xã: Xã Nà Phặc; Diện tích: 52,0 ha; Tỷ lệ so với kế hoạch: 104,0%'],
      ['I. TÌNH HÌNH CHUNG › Kết quả nổi bật › Bảng 1: Diện tích rừng trồng theo xã › Xã Bằng Lãng', 'Xã: Xã Bằng Lãng; Diện tích: 41,5 ha; Tỷ lệ so với kế hoạch: 92,2%'],
      ['I. TÌNH HÌNH CHUNG › Kết quả nổi bật › Bảng 1: Diện tích rừng trồng theo xã › Xã Khuổi Sáp', 'Xã: Xã Khuổi Sáp; Diện tích: 27,0 ha; Tỷ lệ so với kế hoạch: 90,0%'],
      ['I. TÌNH HÌNH CHUNG › Kết quả nổi bật › Bảng 1: Diện tích rừng trồng theo xã › Tổng cộng', 'Xã: Tổng cộng; Diện tích: 120,5 ha; Tỷ lệ so với kế hoạch: 96,4%'],
      // The appendix after the signature is body again; its table has no caption.
      ['PHỤ LỤC › Bảng 2 › Keo', 'Loài cây: Keo; Diện tích: 80,5 ha'],
      ['PHỤ LỤC › Bảng 2 › Quế', 'Loài cây: Quế; Diện tích: 40,0 ha'],
    ]);
    expect(d.tables.map((t) => [t.caption, t.rowCount, t.columns])).toEqual([
      ['Bảng 1: Diện tích rừng trồng theo xã', 4, ['Xã', 'Diện tích (ha)', 'Tỷ lệ so với kế hoạch (%)']],
      ['Bảng 2', 2, ['Loài cây', 'Diện tích (ha)']],
    ]);
    // The caption is the table's label, not a passage of its own.
    expect(d.chunks.filter((c) => c.metadata.kind === 'body').map((c) => c.text).join('\n')).not.toContain('Bảng 1:');
  });

  it('keeps the real Word footnote attached to its anchor', () => {
    expect(d.footnotes).toHaveLength(1);
    expect(d.footnotes[0]).toMatchObject({ n: 1, text: 'Gồm các xã Nà Phặc, Bằng Lãng và Khuổi Sáp.' });
    expect(d.footnotes[0]!.anchorSentence).toBe('Toàn huyện có 3 xã trồng rừng tập trung, tổng diện tích 120,5 ha.');
    expect(sectionLabel(d.footnotes[0]!.sectionPath, 1)).toBe('I. TÌNH HÌNH CHUNG › chú thích 1');
  });
});

describe('Word report typed in TCVN3 (.VnTime fonts)', async () => {
  const d = await parse(await makeWordReportDocx({ encode: toTcvn3 }));

  it('converts the text to Unicode before reading structure', () => {
    expect(d.meta).toMatchObject({ number: '15/BC-UBND', issuer: 'Ủy ban nhân dân huyện Mẫu Sơn', date: '2024-04-03', signer: 'Hà Văn Nam' });
    expect(d.footnotes[0]!.text).toBe('Gồm các xã Nà Phặc, Bằng Lãng và Khuổi Sáp.');
    expect(tableRows(d)[1]![1]).toBe('Xã: Xã Bằng Lãng; Diện tích: 41,5 ha; Tỷ lệ so với kế hoạch: 92,2%');
  });
});
