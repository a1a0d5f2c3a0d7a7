import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadText } from '../../src/ingest/loaders/text.js';
import { buildDocument, sectionLabel } from '../../src/ingest/structure.js';
import type { ParsedDocument } from '../../src/ingest/types.js';
import { corpusDir, DOC } from '../helpers.js';

function parse(id: string): ParsedDocument {
  const file = `${id}.txt`;
  return buildDocument({ id, file, source: loadText(readFileSync(path.join(corpusDir, file)), 'txt') });
}

const paths = (d: ParsedDocument) => d.sections.map((s) => sectionLabel(s.path));
const allText = (d: ParsedDocument) => d.chunks.map((c) => c.text).join('\n');

describe('report 381-BC/TU', () => {
  const d = parse(DOC.r381);

  it('reads the header and the signature', () => {
    expect(d.meta.kind).toBe('report');
    expect(d.meta.number).toBe('381-BC/TU');
    expect(d.meta.issuer).toBe('Tỉnh ủy Kon Tum');
    expect(d.meta.place).toBe('Kon Tum');
    expect(d.meta.date).toBe('2019-02-27');
    expect(d.meta.docType).toBe('Báo cáo');
    expect(d.meta.heading).toMatch(/^Báo cáo sơ kết 09 năm thực hiện mô hình bí thư cấp ủy đồng thời là chủ tịch ủy ban nhân dân cấp xã/);
    expect(d.meta.signer).toBe('Y Mửi');
    expect(d.meta.signerTitle).toBe('T/M BAN THƯỜNG VỤ, PHÓ BÍ THƯ');
    expect(d.meta.title).toContain('381-BC/TU');
  });

  it('builds the section tree', () => {
    expect(paths(d)).toEqual([
      'Mở đầu',
      'I. Tình hình triển khai thực hiện',
      'II. Kết quả triển khai thực hiện',
      'III. Đánh giá chung',
      'III. Đánh giá chung › 1. Ưu điểm',
      'III. Đánh giá chung › 2. Hạn chế, khuyết điểm và nguyên nhân',
      'III. Đánh giá chung › 2. Hạn chế, khuyết điểm và nguyên nhân › 2.1. Hạn chế, khuyết điểm',
      'III. Đánh giá chung › 2. Hạn chế, khuyết điểm và nguyên nhân › 2.2. Nguyên nhân',
      'III. Đánh giá chung › 3. Một số bài học kinh nghiệm',
      'IV. Nhiêm vụ, giải pháp trong thời gian tới',
    ]);
  });

  it('re-attaches all 9 footnotes to their anchors', () => {
    expect(d.footnotes.map((f) => f.n)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const f1 = d.footnotes[0]!;
    expect(f1.text).toMatch(/^Chọn 03 đơn vị thực hiện thí điểm gồm: Xã Đăk Pét/);
    expect(sectionLabel(f1.sectionPath, 1)).toBe('I. Tình hình triển khai thực hiện › chú thích 1');
    expect(f1.anchorSentence).toContain('(Kế hoạch số 53-KH/TU)');
    const section = (n: number) => sectionLabel(d.footnotes[n - 1]!.sectionPath);
    expect([1, 2, 3].map(section)).toEqual(Array(3).fill('I. Tình hình triển khai thực hiện'));
    expect([4, 5, 6, 7, 8].map(section)).toEqual(Array(5).fill('II. Kết quả triển khai thực hiện'));
    expect(section(9)).toBe('III. Đánh giá chung › 2. Hạn chế, khuyết điểm và nguyên nhân › 2.1. Hạn chế, khuyết điểm');
    expect(d.footnotes[3]!.text).toMatch(/^Với 14\/15 phiếu bầu/);
    expect(d.footnotes[3]!.anchorSentence).toContain('Tại xã Đăk Pét');
    expect(d.footnotes[4]!.anchorSentence).toContain('Đăk Rơ Wa');
    expect(d.footnotes[5]!.anchorSentence).toContain('thị trấn Đăk Tô');
    expect(d.footnotes[8]!.anchorSentence).toContain('mối đoàn kết thống nhất');
  });

  it('repairs sentences split at footnote marks', () => {
    expect(allText(d)).toContain('(Kế hoạch số 53-KH/TU); tổ chức Hội nghị học tập');
    expect(allText(d)).toContain('có trình độ, năng lực, kinh nghiệm về công tác đảng');
  });

  it('keeps recipients and the signature out of the passages', () => {
    expect(allText(d)).not.toMatch(/Nơi nhận|Lưu Văn phòng Tỉnh ủy|T\/M BAN THƯỜNG VỤ/);
  });

  it('cites footnote chunks as anchor section + "chú thích N"', () => {
    const fn4 = d.chunks.find((c) => c.metadata.footnote === 4)!;
    expect(fn4.metadata.kind).toBe('footnote');
    expect(sectionLabel(fn4.metadata.sectionPath, 4)).toBe('II. Kết quả triển khai thực hiện › chú thích 4');
    const body = d.chunks.find((c) => c.metadata.footnoteRefs.includes(4))!;
    expect(body.text).toContain('Tại xã Đăk Pét');
  });
});

describe('report 303-BC/TU', () => {
  const d = parse(DOC.r303);

  it('reads the header', () => {
    expect(d.meta.number).toBe('303-BC/TU');
    expect(d.meta.date).toBe('2018-06-19');
    expect(d.meta.issuer).toBe('Tỉnh ủy Kon Tum');
  });

  it('re-attaches all 19 footnotes, the NFD text composed', () => {
    expect(d.footnotes).toHaveLength(19);
    expect(d.footnotes[0]!.text).toMatch(/^Trong đó có 7 dân tộc tại chỗ/);
    expect(d.footnotes[0]!.anchorSentence).toContain('28 dân tộc');
    expect(d.footnotes[8]!.text).toContain('Ia H’Đrai'.normalize('NFC'));
    expect(sectionLabel(d.footnotes[8]!.sectionPath)).toMatch(/2\.5\. Về mô hình chi bộ quân sự xã, phường, thị trấn$/);
    expect(allText(d)).toContain('99 chi bộ quân sự/102 xã, phường, thị trấn với 872 đảng viên');
    expect(allText(d)).toBe(allText(d).normalize('NFC'));
  });

  it('keeps going through repeated numbers ("II." twice, "5.2." twice) without dropping text', () => {
    const p = paths(d);
    expect(p.filter((x) => /^II\. /.test(x) && !x.includes('›'))).toEqual(['II. KẾT QUẢ THỰC HIỆN', 'II. Đánh giá chung']);
    expect(p.filter((x) => x.includes('› 5.2. '))).toHaveLength(2);
    expect(allText(d)).toContain('thi hành kỷ luật 27 tổ chức đảng và 1.393 đảng viên');
    expect(allText(d)).toContain('Mặt trận Tổ quốc và các đoàn thể chính trị-xã hội tiếp tục đổi mới');
  });

  it('splits "2.1. Heading: body" at the colon', () => {
    expect(paths(d)).toContain(
      'II. KẾT QUẢ THỰC HIỆN › 3. Về thực hiện chủ trương trẻ hóa, tiêu chuẩn hóa, nhất thể hóa chức danh cán bộ ở cơ sở › 3.2. Hiệu quả từ việc đưa trí thức trẻ về công tác ở vùng sâu, vùng xa',
    );
    const c = d.chunks.find((x) => x.text.includes('tỉnh Kon Tum đã tuyển chọn 28 trí thức trẻ'))!;
    expect(c.metadata.sectionPath[c.metadata.sectionPath.length - 1]).toBe('3.2. Hiệu quả từ việc đưa trí thức trẻ về công tác ở vùng sâu, vùng xa');
    expect(c.text.startsWith('Thực hiện Quyết định số 170/QĐ-TTg')).toBe(true);
  });

  it('gives the text before the first heading a preamble section', () => {
    const first = d.chunks[0]!;
    expect(first.metadata.sectionPath).toEqual(['Mở đầu']);
    expect(first.text).toMatch(/^Thực hiện Công văn số 4781-CV\/BTCTW/);
  });
});

describe('article: An Giang (TTXVN)', () => {
  const d = parse(DOC.anGiang);

  it('reads headline, outlet, author, URL and the date in the URL', () => {
    expect(d.meta.kind).toBe('article');
    expect(d.meta.heading).toBe('Bí thư cấp ủy đồng thời là Chủ tịch UBND - Bài cuối: Nhân rộng mô hình');
    expect(d.meta.outlet).toBe('TTXVN');
    expect(d.meta.author).toBe('Thanh Sang');
    expect(d.meta.sourceUrl).toMatch(/^http:\/\/baotintuc\.vn\//);
    expect(d.meta.date).toBe('2019-08-04');
  });

  it('uses the short un-numbered sub-headings as sections', () => {
    expect(paths(d)).toEqual(['Mở đầu', 'Thành quả bước đầu', 'Đào tạo đội ngũ cán bộ', 'Tiến tới hợp nhất văn phòng cấp ủy với văn phòng HĐND và UBND cấp huyện']);
  });

  it('drops the photo caption printed twice, the byline and the source line', () => {
    expect(allText(d)).not.toContain('Một góc thành phố Long Xuyên');
    expect(allText(d)).not.toMatch(/Bài và ảnh|Nguồn Tin Tức|baotintuc/);
  });
});

describe('article: Đức Thọ', () => {
  const d = parse(DOC.ducTho);

  it('reads headline, date and author, drops site furniture', () => {
    expect(d.meta.heading).toMatch(/^Những thuận lợi, khó khăn khi thực hiện mô hình nhất thể hóa/);
    expect(d.meta.date).toBe('2020-04-23');
    expect(d.meta.author).toBe('Mai Thị Ngọc Hà');
    expect(allText(d)).not.toMatch(/EmailPrintAa|Ý kiến bạn đọc|Mai Thị Ngọc Hà/);
    expect(allText(d)).toContain('giảm được 06 đầu mối, 06 cấp trưởng');
  });
});

describe('chunks', () => {
  it('never span two sections and never cut a sentence', () => {
    for (const id of Object.values(DOC)) {
      const d = parse(id);
      for (const c of d.chunks.filter((x) => x.metadata.kind === 'body')) {
        const section = d.sections.find((s) => sectionLabel(s.path) === sectionLabel(c.metadata.sectionPath));
        expect(section, c.id).toBeDefined();
        // Every chunk ends where a sentence or paragraph ends.
        expect(/[.!?…:;”")»]$|[\p{L}\d)]$/u.test(c.text), c.id).toBe(true);
        expect(c.metadata.charStart).toBeLessThanOrEqual(c.metadata.charEnd);
      }
      const ids = d.chunks.map((c) => c.id);
      expect(new Set(ids).size).toBe(ids.length);
    }
  });

  it('carry offsets into the original text', () => {
    const d = parse(DOC.r381);
    const original = readFileSync(path.join(corpusDir, `${DOC.r381}.txt`), 'utf8');
    const c = d.chunks.find((x) => x.text.startsWith('Ban Thường vụ Tỉnh ủy đã ban hành Kế hoạch số 53-KH/TU'))!;
    expect(original.slice(c.metadata.charStart, c.metadata.charStart + 40)).toBe(c.text.slice(0, 40));
  });
});

describe('markdown with front-matter, parts and footnotes', () => {
  const md = [
    '---',
    'title: Báo cáo kết quả thí điểm',
    'number: 45-BC/HU',
    'issuer: Huyện ủy Mẫu Sơn',
    'date: 2021-03-10',
    '---',
    '# PHẦN I. TÌNH HÌNH CHUNG',
    '',
    'Huyện có 20 xã[^1], trong đó 12 xã thực hiện mô hình.',
    '',
    '## 1. Kết quả',
    '',
    'Giảm 36 biên chế.',
    '',
    '# PHẦN II. ĐÁNH GIÁ',
    '',
    'A. ƯU ĐIỂM',
    '',
    'Bộ máy tinh gọn.',
    '',
    '[^1]: Gồm 18 xã và 2 thị trấn.',
  ].join('\n');
  const d = buildDocument({ id: 'mau-son', file: 'mau-son.md', source: loadText(Buffer.from(md), 'md') });

  it('takes metadata from the front-matter', () => {
    expect(d.meta).toMatchObject({ number: '45-BC/HU', issuer: 'Huyện ủy Mẫu Sơn', date: '2021-03-10' });
    expect(d.meta.title).toBe('Báo cáo số 45-BC/HU (Huyện ủy Mẫu Sơn, 10/03/2021): kết quả thí điểm');
  });

  it('nests typed headings under Markdown headings', () => {
    expect(paths(d)).toEqual(['PHẦN I. TÌNH HÌNH CHUNG', 'PHẦN I. TÌNH HÌNH CHUNG › 1. Kết quả', 'PHẦN II. ĐÁNH GIÁ', 'PHẦN II. ĐÁNH GIÁ › A. ƯU ĐIỂM']);
  });

  it('re-attaches Markdown footnotes', () => {
    expect(d.footnotes).toHaveLength(1);
    expect(d.footnotes[0]).toMatchObject({ n: 1, text: 'Gồm 18 xã và 2 thị trấn.', anchorSentence: 'Huyện có 20 xã, trong đó 12 xã thực hiện mô hình.' });
    expect(sectionLabel(d.footnotes[0]!.sectionPath, 1)).toBe('PHẦN I. TÌNH HÌNH CHUNG › chú thích 1');
  });
});
