import { describe, expect, it } from 'vitest';
import { loadText } from '../../src/ingest/loaders/text.js';
import { buildDocument, sectionLabel } from '../../src/ingest/structure.js';
import type { ParsedDocument } from '../../src/ingest/types.js';

/** Documents in shapes the shipped corpus lacks, written for these tests (all invented). */
function parse(text: string, format: 'txt' | 'md' = 'txt'): ParsedDocument {
  return buildDocument({ id: 'doc', file: `doc.${format}`, source: loadText(Buffer.from(text), format) });
}

const paths = (d: ParsedDocument) => d.sections.map((s) => sectionLabel(s.path));
const bodyText = (d: ParsedDocument) => d.chunks.map((c) => c.text).join('\n');

describe('news article from another outlet', () => {
  const article = [
    'BÁO ĐỒNG LAM ĐIỆN TỬ',
    'Xã hội › Nông thôn mới',
    '',
    'Thứ Hai, 03/10/2022 - 15:45',
    '',
    'Hòa Bắc: Trưởng thôn kiêm công an viên – gọn mà hiệu quả',
    '',
    '(BĐL) - Sau một năm thí điểm, 18/20 thôn của xã Hòa Bắc đã bố trí trưởng thôn kiêm công an viên, đạt 90%.',
    '',
    'Ông Lê Văn Tư phát biểu tại hội nghị. Ảnh: P.V',
    '',
    'Bộ máy gọn hơn',
    '',
    'Việc kiêm nhiệm giúp xã giảm 18 người hoạt động không chuyên trách, tiết kiệm hơn 300 triệu đồng mỗi năm.',
    '',
    'Một góc thôn Phú Hạ (Ảnh minh họa)',
    '',
    'Tags: kiêm nhiệm, Hòa Bắc',
    '',
    'TRẦN MINH ĐỨC',
    '',
    'Tin liên quan:',
    '- Hòa Nam: 12/15 thôn có bí thư kiêm trưởng thôn',
    '- Đồng Lam kết nạp 1.500 đảng viên năm 2021',
    '',
    '© Bản quyền thuộc về Báo Đồng Lam điện tử',
  ].join('\n');
  const d = parse(article);

  it('sends outlet, rubric and date lines to metadata, the first real headline to the title', () => {
    expect(d.meta).toMatchObject({
      kind: 'article',
      heading: 'Hòa Bắc: Trưởng thôn kiêm công an viên – gọn mà hiệu quả',
      outlet: 'Báo Đồng Lam điện tử',
      date: '2022-10-03',
      author: 'Trần Minh Đức',
    });
  });

  it('makes subheads sections and keeps furniture out of the passages', () => {
    expect(paths(d)).toEqual(['Mở đầu', 'Bộ máy gọn hơn']);
    const text = bodyText(d);
    expect(text).toContain('18/20 thôn của xã Hòa Bắc');
    expect(text).toContain('giảm 18 người hoạt động không chuyên trách');
    expect(text).not.toMatch(/Ảnh|Tags|Tin liên quan|12\/15|1\.500|Bản quyền|TRẦN MINH ĐỨC|Xã hội ›|Thứ Hai/);
  });

  it('drops a "Tin liên quan:" list in mid-article but keeps the subhead after it', () => {
    const mid = parse(
      [
        'Tiêu đề bài viết về mô hình mới ở xã',
        'Đoạn mở đầu có 12/15 thôn thực hiện mô hình, đạt 80%.',
        'Tin liên quan:',
        '- Xã khác: 9/10 thôn thực hiện',
        'Những việc cần làm',
        'Thời gian tới, xã phấn đấu 15/15 thôn thực hiện mô hình vào năm 2025.',
      ].join('\n\n'),
    );
    expect(paths(mid)).toEqual(['Mở đầu', 'Những việc cần làm']);
    expect(bodyText(mid)).not.toContain('9/10');
  });

  it('reads "Name - Body" and "Theo …" bylines', () => {
    const body = 'Tiêu đề bài viết về mô hình mới\n\nNội dung bài viết, đạt 90% kế hoạch đề ra trong năm.\n\n';
    expect(parse(`${body}Nguyễn Thị Hoa - Ban Tuyên giáo Huyện ủy`).meta).toMatchObject({ author: 'Nguyễn Thị Hoa', outlet: 'Ban Tuyên giáo Huyện ủy' });
    expect(parse(`${body}Theo TTXVN`).meta.author).toBe('TTXVN');
  });
});

describe('Markdown front matter, footnotes and pipe tables', () => {
  const md = [
    '---',
    'title: "Báo cáo kết quả kiêm nhiệm chức danh năm 2023"',
    'number: "21-BC/HU"',
    'issuer: "Huyện ủy Đồng Lam"',
    'place: "Đồng Lam"',
    'date: "2023-11-02"',
    'signer: "Lò Thị Mai"',
    'signer_title: "T/M Ban Thường vụ, Phó Bí thư"',
    '---',
    '',
    '# BÁO CÁO',
    '',
    '**Kết quả kiêm nhiệm chức danh năm 2023**',
    '',
    '## I. Kết quả',
    '',
    'Đến ngày 30-9-2023, có **14/16 xã** thực hiện mô hình[^1].',
    '',
    '**Bảng 1. Kết quả theo xã**',
    '',
    '| TT | Xã | Số thôn | Tỷ lệ (%) |',
    '|---:|----|--------:|----------:|',
    '| 1 | Xã Hòa Bắc | 20 | 90,0 |',
    '| 2 | Xã Hòa Nam | 15 | 80,0 |',
    '',
    '[^1]: Trừ các xã Hòa Đông và Hòa Tây.',
  ].join('\n');
  const d = parse(md, 'md');

  it('takes every front-matter key into the metadata', () => {
    expect(d.meta).toMatchObject({
      number: '21-BC/HU',
      issuer: 'Huyện ủy Đồng Lam',
      place: 'Đồng Lam',
      date: '2023-11-02',
      signer: 'Lò Thị Mai',
      signerTitle: 'T/M Ban Thường vụ, Phó Bí thư',
      heading: 'Báo cáo kết quả kiêm nhiệm chức danh năm 2023',
    });
  });

  it('attaches [^n] notes to their anchors, emphasis markers removed', () => {
    expect(d.footnotes[0]).toMatchObject({ n: 1, text: 'Trừ các xã Hòa Đông và Hòa Tây.', anchorSentence: 'Đến ngày 30-9-2023, có 14/16 xã thực hiện mô hình.' });
    expect(sectionLabel(d.footnotes[0]!.sectionPath, 1)).toBe('I. Kết quả › chú thích 1');
  });

  it('turns pipe-table rows into table passages under the caption', () => {
    const rows = d.chunks.filter((c) => c.metadata.kind === 'table').map((c) => [sectionLabel(c.metadata.sectionPath), c.text]);
    expect(rows).toEqual([
      ['I. Kết quả › Bảng 1. Kết quả theo xã › Xã Hòa Bắc', 'Xã: Xã Hòa Bắc; Số thôn: 20; Tỷ lệ: 90,0%'],
      ['I. Kết quả › Bảng 1. Kết quả theo xã › Xã Hòa Nam', 'Xã: Xã Hòa Nam; Số thôn: 15; Tỷ lệ: 80,0%'],
    ]);
    expect(bodyText(d)).not.toMatch(/\||\*\*|---/);
  });
});
