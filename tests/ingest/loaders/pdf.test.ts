import { describe, expect, it } from 'vitest';
import { groupLines, loadPdf, plainText, REASON_CORRUPT_PDF, REASON_ENCRYPTED_PDF, REASON_NO_TEXT_PDF } from '../../../src/ingest/loaders/pdf.js';
import { makeCorruptDocx, makeEncryptedPdf, makeFootnotePdf, makeImageOnlyPdf, makeStyledPdf, makeTextPdf, makeUnicodePdf, pdfSafeText } from '../../fixtures/makeFixtures.js';
import { reason } from './helpers.js';
import { ocrAvailable, REASON_OCR_EMPTY, REASON_OCR_MISSING } from '../../../src/ingest/loaders/ocr.js';
import { collectUnhandledRejections } from '../../helpers.js';


const REPORT_LINES = [
  'I. Tình hình chung',
  'Năm 2023, toàn tỉnh triển khai mô hình tại 156 xã,',
  'phường, thị trấn.',
  '1. Kết quả',
  'Toàn tỉnh có 45 xã thực hiện mô hình, đạt 104% kế hoạch.',
  '2. Hạn chế',
  'Tỷ lệ hộ nghèo còn 2,1%.',
];

describe('loadPdf', () => {
  it('returns one block per line, in order, across pages, without page numbers', async () => {
    const pdf = await makeTextPdf(REPORT_LINES, { linesPerPage: 3, pageNumbers: true });
    const src = await loadPdf(pdf);
    expect(src.format).toBe('pdf');
    expect(src.blocks.map((b) => b.text)).toEqual(REPORT_LINES.map(pdfSafeText));
    expect(src.originalText).toBe(REPORT_LINES.map(pdfSafeText).join('\n'));
    for (const b of src.blocks) {
      expect(src.originalText.slice(b.start, b.end)).toBe(b.text);
      expect(b.footnoteAnchors).toEqual([]);
      expect(b.headingLevel).toBeUndefined();
    }
    expect(src.footnotes).toEqual([]);
    expect(src.warnings).toEqual([]);
  });

  it('skips blank lines and keeps a lone number that is not at a page edge', async () => {
    const src = await loadPdf(await makeTextPdf(['Bang so lieu', '', '45', 'Ket thuc']));
    expect(src.blocks.map((b) => b.text)).toEqual(['Bang so lieu', '45', 'Ket thuc']);
  });

  it('extracts Vietnamese text in NFC through a ToUnicode map', async () => {
    const lines = ['I. Tình hình chung', 'Toàn tỉnh có 45 xã thực hiện mô hình', 'Đảng ủy'];
    const src = await loadPdf(makeUnicodePdf(lines.map((l) => l.normalize('NFD'))));
    expect(src.blocks.map((b) => b.text)).toEqual(lines);
  });

  it('re-attaches superscript footnotes and keeps unmatched superscripts as text', async () => {
    const src = await loadPdf(makeFootnotePdf());
    expect(src.blocks.map((b) => b.text)).toEqual([
      'I. Tình hình chung',
      'Toàn tỉnh có 45 xã thực hiện mô hình. Diện tích 100 m2.',
      'Thu nhập bình quân tăng 6,2%.',
      '2. Hạn chế',
      'Tỷ lệ hộ nghèo còn 2,1%.',
    ]);
    expect(src.blocks[1]!.footnoteAnchors).toEqual([{ n: 1, offset: 'Toàn tỉnh có 45 xã thực hiện mô hình'.length }]);
    // Numbering restarted on page 2: the second note gets the next free number.
    expect(src.blocks[4]!.footnoteAnchors).toEqual([{ n: 2, offset: 'Tỷ lệ hộ nghèo còn 2,1%'.length }]);
    expect(src.blocks.filter((b) => b.footnoteAnchors.length).length).toBe(2);
    expect(src.footnotes.map((f) => [f.n, f.text])).toEqual([
      [1, 'Gồm 12 xã huyện A và 33 xã huyện B.'],
      [2, 'Số liệu ước tính.'],
    ]);
    for (const x of [...src.blocks, ...src.footnotes]) expect(src.originalText.slice(x.start, x.end)).toBe(x.text);
    expect(src.originalText).toBe([...src.blocks, ...src.footnotes].map((x) => x.text).join('\n'));
  });

  it('keeps a numbered line at the page foot as text when no mark refers to it', async () => {
    const pdf = makeStyledPdf([
      [
        { y: 770, runs: [{ text: 'Không có chú thích.', size: 13 }] },
        { y: 90, runs: [{ text: '1', size: 8, rise: 4 }, { text: ' Ghi chú lạc.', size: 10 }] },
      ],
    ]);
    const src = await loadPdf(pdf);
    expect(src.blocks.map((b) => b.text)).toEqual(['Không có chú thích.', '1 Ghi chú lạc.']);
    expect(src.footnotes).toEqual([]);

    // After a real footnote, an unreferenced numbered line is not glued onto it.
    const mixed = makeStyledPdf([
      [
        { y: 770, runs: [{ text: 'Có chú thích', size: 13 }, { text: '1', size: 8, rise: 5 }, { text: '.', size: 13 }] },
        { y: 90, runs: [{ text: '1', size: 6, rise: 4 }, { text: ' Chú thích thật.', size: 10 }] },
        { y: 78, runs: [{ text: '3', size: 6, rise: 4 }, { text: ' Ghi chú lạc.', size: 10 }] },
      ],
    ]);
    const m = await loadPdf(mixed);
    expect(m.blocks.map((b) => [b.text, b.footnoteAnchors])).toEqual([
      ['Có chú thích.', [{ n: 1, offset: 12 }]],
      ['3 Ghi chú lạc.', []],
    ]);
    expect(m.footnotes.map((f) => [f.n, f.text])).toEqual([[1, 'Chú thích thật.']]);
  });

  it('drops running headers (the first page too) and roman page numbers', async () => {
    const page = (n: number, text: string, folio: string) => [
      { y: 810, runs: [{ text: `Báo cáo số 12-BC/TU - trang ${n}`, size: 9 }] },
      { y: 770, runs: [{ text, size: 13 }] },
      { y: 30, runs: [{ text: folio, size: 10 }] },
    ];
    const pdf = makeStyledPdf([page(1, 'Mở đầu.', 'i'), page(2, 'Phần một', 'ii'), page(3, 'tiếp theo.', '- 3 -'), page(4, 'Kết luận.', '4')]);
    const src = await loadPdf(pdf);
    expect(src.blocks.map((b) => b.text)).toEqual(['Mở đầu.', 'Phần một', 'tiếp theo.', 'Kết luận.']);
    expect(src.warnings).toEqual([expect.stringContaining('4')]);
  });

  it('does not detach the caller buffer', async () => {
    const pdf = await makeTextPdf(['abc']);
    await loadPdf(pdf);
    expect(pdf.length).toBeGreaterThan(0);
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });

  it('rejects an encrypted PDF', async () => {
    expect(await reason(loadPdf(makeEncryptedPdf()))).toBe(REASON_ENCRYPTED_PDF);
  });

  it('rejects a scanned (image-only) PDF without OCR, and one whose images hold no text with it', async () => {
    const scan = await makeImageOnlyPdf();
    expect(await reason(loadPdf(scan, { ocr: false }))).toBe(REASON_NO_TEXT_PDF);
    expect(await reason(loadPdf(scan))).toBe((await ocrAvailable()) ? REASON_OCR_EMPTY : REASON_OCR_MISSING);
  }, 60_000);

  it('rejects a PDF with only page numbers as text', async () => {
    expect(await reason(loadPdf(await makeTextPdf([''], { pageNumbers: true })))).toBe(REASON_NO_TEXT_PDF);
  });

  it('rejects random bytes, an empty file and a truncated PDF as corrupt', async () => {
    expect(await reason(loadPdf(makeCorruptDocx()))).toBe(REASON_CORRUPT_PDF);
    expect(await reason(loadPdf(Buffer.alloc(0)))).toBe(REASON_CORRUPT_PDF);
    const pdf = await makeTextPdf(REPORT_LINES);
    expect(await reason(loadPdf(pdf.subarray(0, 200)))).toBe(REASON_CORRUPT_PDF);
  });

  it('leaks no unhandled rejections across many bad inputs', async () => {
    const seen = collectUnhandledRejections();
    const inputs = [makeEncryptedPdf(), makeCorruptDocx(), await makeImageOnlyPdf(), Buffer.from('%PDF-1.7\n')];
    await Promise.all(inputs.map((b) => loadPdf(b).catch(() => undefined)));
    await new Promise((r) => setTimeout(r, 200));
    expect(seen).toEqual([]);
  });
});

describe('groupLines', () => {
  const item = (str: string, x: number, y: number, opts: { h?: number; w?: number; eol?: boolean } = {}) => ({
    str,
    dir: 'ltr',
    transform: [opts.h ?? 12, 0, 0, opts.h ?? 12, x, y],
    width: opts.w ?? str.length * 6,
    height: opts.h ?? 12,
    fontName: 'f',
    hasEOL: opts.eol ?? false,
  });

  it('keeps a raised superscript on its line and breaks on a baseline change', () => {
    const lines = groupLines([item('mô hình', 72, 700), item('1', 114, 704, { h: 8 }), item('.', 119, 700), item('Dòng sau', 72, 682)]);
    expect(lines.map(plainText)).toEqual(['mô hình1.', 'Dòng sau']);
    expect(lines[0]!.segments).toEqual([{ text: 'mô hình' }, { sup: 1, text: '1' }, { text: '.' }]);
  });

  it('breaks after hasEOL and inserts a space at a visible gap', () => {
    const lines = groupLines([item('Toàn', 72, 700, { w: 24 }), item('tỉnh', 110, 700, { eol: true }), item('xã', 72, 700)]);
    expect(lines.map(plainText)).toEqual(['Toàn tỉnh', 'xã']);
  });
});
