import { describe, expect, it } from 'vitest';
import { loadDocx, sourceFromMammothHtml } from '../../../src/ingest/loaders/docx.js';
import { type LoadedSource } from '../../../src/ingest/loaders/types.js';
import { REASON_CORRUPT_DOCX, REASON_ENCRYPTED_DOCX, REASON_ZIP_BOMB } from '../../../src/ingest/loaders/zipGuard.js';
import {
  makeCorruptDocx,
  makeEncryptedDocx,
  makeNonDocxZip,
  makeReportDocx,
  makeRichDocx,
  makeZipBombDocx,
  REPORT_FOOTNOTES,
} from '../../fixtures/makeFixtures.js';
import { reason } from './helpers.js';

/** Offsets refer to originalText exactly; blocks and footnotes are NFC single lines in order. */
function expectConsistent(src: LoadedSource): void {
  let prevEnd = -1;
  for (const b of src.blocks) {
    expect(src.originalText.slice(b.start, b.end)).toBe(b.text);
    expect(b.text).toBe(b.text.normalize('NFC'));
    expect(b.text).not.toMatch(/\n|^\s|\s$/);
    expect(b.start).toBeGreaterThan(prevEnd);
    prevEnd = b.end;
    for (const a of b.footnoteAnchors) {
      expect(a.offset).toBeGreaterThanOrEqual(0);
      expect(a.offset).toBeLessThanOrEqual(b.text.length);
      expect(src.footnotes.some((f) => f.n === a.n)).toBe(true);
    }
  }
  for (const f of src.footnotes) {
    expect(src.originalText.slice(f.start, f.end)).toBe(f.text);
    expect(f.start).toBeGreaterThan(prevEnd);
    prevEnd = f.end;
  }
  expect(src.originalText).toBe([...src.blocks.map((b) => b.text), ...src.footnotes.map((f) => f.text)].join('\n'));
}


describe('loadDocx: report fixture', () => {
  it('keeps paragraphs in order with Word heading levels', async () => {
    const src = await loadDocx(await makeReportDocx());
    expect(src.format).toBe('docx');
    expectConsistent(src);
    expect(src.blocks.map((b) => [b.text, b.headingLevel])).toEqual([
      ['ĐẢNG BỘ TỈNH AN GIANG', undefined],
      ['Số 12-BC/TU', undefined],
      ['An Giang, ngày 15 tháng 12 năm 2023', undefined],
      ['BÁO CÁO', undefined],
      ['Kết quả thực hiện mô hình “Dân vận khéo” năm 2023', undefined],
      ['I. Tình hình chung', 1],
      ['Năm 2023, toàn tỉnh triển khai mô hình tại 156 xã, phường, thị trấn.', undefined],
      ['1. Kết quả', 2],
      ['Toàn tỉnh có 45 xã thực hiện mô hình. Tổng kinh phí 12,5 tỷ đồng, đạt 104% kế hoạch.', undefined],
      ['Thu nhập bình quân đạt 58,3 triệu đồng/người/năm, tăng 6,2% so với năm 2022.', undefined],
      ['2. Hạn chế', 2],
      ['Một số địa phương chưa quan tâm đúng mức; tỷ lệ hộ nghèo còn 2,1%.', undefined],
    ]);
    expect(src.blocks.every((b) => !('headingLevel' in b) || b.headingLevel !== undefined)).toBe(true);
  });

  it('re-attaches the real footnotes where their marks stood', async () => {
    const src = await loadDocx(await makeReportDocx());
    expect(src.footnotes.map((f) => [f.n, f.text])).toEqual([
      [1, REPORT_FOOTNOTES[1]],
      [2, REPORT_FOOTNOTES[2]],
    ]);
    const b1 = src.blocks.find((b) => b.text.startsWith('Toàn tỉnh có 45 xã'))!;
    expect(b1.footnoteAnchors).toEqual([{ n: 1, offset: 'Toàn tỉnh có 45 xã thực hiện mô hình'.length }]);
    expect(b1.text.slice(0, b1.footnoteAnchors[0]!.offset)).toBe('Toàn tỉnh có 45 xã thực hiện mô hình');
    const b2 = src.blocks.find((b) => b.text.startsWith('Thu nhập'))!;
    expect(b2.text.slice(b2.footnoteAnchors[0]!.offset)).toBe(', tăng 6,2% so với năm 2022.');
    expect(b2.footnoteAnchors[0]!.n).toBe(2);
    // No mark or back-link residue anywhere.
    expect(src.originalText).not.toMatch(/\[\d\]|↑|\ufdd0/);
    expect(src.blocks.filter((b) => b.footnoteAnchors.length).length).toBe(2);
  });
});

describe('loadDocx: edge cases', () => {
  it('handles layout and data tables, lists, line breaks, entities, endnotes and repeated notes', async () => {
    const src = await loadDocx(await makeRichDocx());
    expectConsistent(src);
    expect(src.blocks.map((b) => b.text)).toEqual([
      'TỈNH ỦY AN GIANG',
      'Số 7-BC/TU',
      'ĐẢNG CỘNG SẢN VIỆT NAM',
      'An Giang, ngày 1 tháng 3 năm 2024',
      'a) Về công tác dân vận',
      'Tỷ lệ <đạt> 95% & "vượt" sau tab rồi',
      'dòng mới',
      'Mục thứ nhất',
      'Mục con',
      'Mục thứ hai',
      'Chỉ tiêu | Kết quả ‖ Số xã | 45',
      'Nhắc lại chú thích.',
      'Nơi nhận:',
      '- Như trên,',
      '- Lưu VT.',
      'T/M BAN THƯỜNG VỤ',
      'BÍ THƯ',
      'Nguyễn Văn A',
    ]);
    expect(src.blocks[10]!.table).toEqual({ header: ['Chỉ tiêu', 'Kết quả'], rows: [['Số xã', '45']] });
    expect(src.blocks[4]!.headingLevel).toBe(3);
    const marked = src.blocks[5]!;
    expect(marked.footnoteAnchors).toEqual([
      { n: 1, offset: 'Tỷ lệ <đạt> 95% & "vượt"'.length },
      { n: 2, offset: 'Tỷ lệ <đạt> 95% & "vượt" sau tab'.length },
      { n: 3, offset: marked.text.length },
    ]);
    // The second reference to footnote 1 keeps number 1; the endnote comes after the footnotes.
    expect(src.blocks[11]!.footnoteAnchors).toEqual([{ n: 1, offset: 'Nhắc lại chú thích'.length }]);
    expect(src.footnotes.map((f) => [f.n, f.text])).toEqual([
      [1, 'Chú thích A & B <1>.'],
      [2, 'Đoạn một. Đoạn hai.'],
      [3, 'Chú thích cuối văn bản.'],
    ]);
  });

  it('normalises decomposed Vietnamese to NFC and keeps anchors right', () => {
    const nfd = 'Tình hình'.normalize('NFD');
    const src = sourceFromMammothHtml(
      `<p>${nfd}<sup><a href="#footnote-7" id="footnote-ref-7">[1]</a></sup>  xong</p>` +
        '<ol><li id="footnote-7"><p>Ghi chú. <a href="#footnote-ref-7">↑</a></p></li></ol>',
    );
    expectConsistent(src);
    expect(src.blocks[0]).toMatchObject({ text: 'Tình hình xong', footnoteAnchors: [{ n: 1, offset: 9 }] });
    expect(src.footnotes).toEqual([{ n: 1, text: 'Ghi chú.', start: 15, end: 23 }]);
  });

  it('moves a mark standing alone in a paragraph to the end of the previous block', () => {
    const src = sourceFromMammothHtml(
      '<p>Câu trước.</p><p><sup><a href="#footnote-1" id="footnote-ref-1">[1]</a></sup></p>' +
        '<ol><li id="footnote-1"><p> <a href="http://example.com">Nguồn</a> <a href="#footnote-ref-1">↑</a></p></li></ol>',
    );
    expectConsistent(src);
    expect(src.blocks).toEqual([{ text: 'Câu trước.', start: 0, end: 10, footnoteAnchors: [{ n: 1, offset: 10 }] }]);
    expect(src.footnotes.map((f) => f.text)).toEqual(['Nguồn']);
  });

  it('decodes numeric entities and ignores images and bookmarks', () => {
    const src = sourceFromMammothHtml('<h2><a id="_Toc1"></a>Ph&#7847;n &#x41;</h2><p><img src="" alt="logo" />Chữ</p><p> </p>');
    expect(src.blocks).toEqual([
      { text: 'Phần A', start: 0, end: 6, headingLevel: 2, footnoteAnchors: [] },
      { text: 'Chữ', start: 7, end: 10, footnoteAnchors: [] },
    ]);
  });
});

describe('loadDocx: unreadable input', () => {
  it('rejects a password-protected DOCX', async () => {
    expect(await reason(loadDocx(makeEncryptedDocx()))).toBe(REASON_ENCRYPTED_DOCX);
  });

  it('rejects random bytes and a truncated DOCX as corrupt', async () => {
    expect(await reason(loadDocx(makeCorruptDocx()))).toBe(REASON_CORRUPT_DOCX);
    const docx = await makeReportDocx();
    expect(await reason(loadDocx(docx.subarray(0, 2000)))).toBe(REASON_CORRUPT_DOCX);
  });

  it('rejects a ZIP that is not a Word document', async () => {
    expect(await reason(loadDocx(makeNonDocxZip()))).toBe(REASON_CORRUPT_DOCX);
  });

  it('rejects zip bombs before mammoth inflates them', async () => {
    for (const kind of ['declared', 'ratio', 'entries', 'lying'] as const) {
      expect(await reason(loadDocx(makeZipBombDocx(kind)))).toContain(REASON_ZIP_BOMB);
    }
  });
});
