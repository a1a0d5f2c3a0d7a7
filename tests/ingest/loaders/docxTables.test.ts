import { describe, expect, it } from 'vitest';
import { sourceFromMammothHtml } from '../../../src/ingest/loaders/docx.js';
import { buildDocument, sectionLabel } from '../../../src/ingest/structure.js';

const td = (s: string, attrs = '') => `<td${attrs}><p>${s}</p></td>`;
const th = (s: string, attrs = '') => `<th${attrs}><p><strong>${s}</strong></p></th>`;

describe('DOCX data tables as mammoth writes them', () => {
  it('merges two header rows per column and expands column and row spans', () => {
    const html =
      '<p><strong>BÁO CÁO</strong></p><p><strong>Kết quả kết nạp đảng viên</strong></p>' +
      '<p><strong>I. KẾT QUẢ</strong></p>' +
      '<p>Biểu 2. Kết quả theo năm</p>' +
      '<table><thead>' +
      `<tr>${th('Đơn vị', ' rowspan="2"')}${th('Năm 2022', ' colspan="2"')}</tr>` +
      `<tr>${th('Kết nạp')}${th('Tỷ lệ (%)')}</tr>` +
      '</thead><tbody>' +
      `<tr>${td('Huyện A')}${td('120')}${td('95,2')}</tr>` +
      `<tr>${td('Huyện B')}${td('80')}${td('101,3')}</tr>` +
      '</tbody></table>';
    const src = sourceFromMammothHtml(html);
    const table = src.blocks.find((b) => b.table)!.table!;
    expect(table.header).toEqual(['Đơn vị', 'Năm 2022 – Kết nạp', 'Năm 2022 – Tỷ lệ (%)']);
    expect(table.rows).toEqual([
      ['Huyện A', '120', '95,2'],
      ['Huyện B', '80', '101,3'],
    ]);
    const d = buildDocument({ id: 'x', file: 'x.docx', source: src });
    const rows = d.chunks.filter((c) => c.metadata.kind === 'table');
    expect(rows.map((c) => sectionLabel(c.metadata.sectionPath))).toEqual(['I. KẾT QUẢ › Biểu 2. Kết quả theo năm › Huyện A', 'I. KẾT QUẢ › Biểu 2. Kết quả theo năm › Huyện B']);
    expect(rows[1]!.text).toBe('Đơn vị: Huyện B; Năm 2022 – Kết nạp: 80; Năm 2022 – Tỷ lệ: 101,3%');
  });

  it('takes the first row as the header when no cell is marked as one, and carries row spans down', () => {
    const html =
      '<table>' +
      `<tr>${td('Vùng')}${td('Xã')}${td('Diện tích (ha)')}</tr>` +
      `<tr>${td('Vùng cao', ' rowspan="2"')}${td('Xã C')}${td('12')}</tr>` +
      `<tr>${td('Xã D')}${td('7,5')}</tr>` +
      '</table>';
    const table = sourceFromMammothHtml(html).blocks[0]!.table!;
    expect(table.header).toEqual(['Vùng', 'Xã', 'Diện tích (ha)']);
    expect(table.rows).toEqual([
      ['Vùng cao', 'Xã C', '12'],
      ['Vùng cao', 'Xã D', '7,5'],
    ]);
  });

  it('keeps a one-row or one-column table as ordinary text', () => {
    const src = sourceFromMammothHtml(`<table><tr>${td('Ghi chú: số liệu sơ bộ')}</tr><tr>${td('Nguồn: Sở Nội vụ')}</tr></table>`);
    expect(src.blocks.map((b) => [b.text, b.table])).toEqual([
      ['Ghi chú: số liệu sơ bộ', undefined],
      ['Nguồn: Sở Nội vụ', undefined],
    ]);
  });

  it('keeps a footnote mark inside a table cell attached to that row', () => {
    const html =
      '<p>Bảng thống kê thôn theo xã, cập nhật đến cuối năm.</p>' +
      `<table><tr>${td('Xã')}${td('Số thôn')}</tr><tr>${td('Xã E<sup><a href="#footnote-1" id="footnote-ref-1">[1]</a></sup>')}${td('9')}</tr></table>` +
      '<ol><li id="footnote-1"><p>Sáp nhập năm 2020. <a href="#footnote-ref-1">↑</a></p></li></ol>';
    const d = buildDocument({ id: 'y', file: 'y.docx', source: sourceFromMammothHtml(html) });
    expect(d.footnotes[0]).toMatchObject({ n: 1, text: 'Sáp nhập năm 2020.', anchorSentence: 'Xã: Xã E; Số thôn: 9' });
    expect(sectionLabel(d.footnotes[0]!.sectionPath, 1)).toBe('Bảng 1 › Xã E › chú thích 1');
    expect(d.chunks.find((c) => c.metadata.kind === 'table')!.metadata.footnoteRefs).toEqual([1]);
  });
});
