import { describe, expect, it } from 'vitest';
import { loadPdf } from '../../../src/ingest/loaders/pdf.js';
import { buildDocument } from '../../../src/ingest/structure.js';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { makeLayoutPdf, type LayoutBlock } from './pdfLayoutFixtures.js';

async function pageCount(pdf: Buffer): Promise<number> {
  return (await PDFDocument.load(pdf)).getPageCount();
}

const LONG_A =
  'Ve sap xep don vi hanh chinh, sau khi lay y kien Nhan dan va duoc cap co tham quyen phe duyet, ' +
  'toan tinh da sap xep giam 21 don vi hanh chinh cap xa va 275 thon to dan pho sau khi lay y kien cu tri tai tat ca cac dia ban co lien quan trong giai doan tu nam 2018 den het nam 2020 theo dung ke hoach da de ra tu dau nhiem ky.';
const LONG_B =
  'Ban Thuong vu da chi dao thuc hien mo hinh bi thu chi bo dong thoi la truong thon tai 1.046 tren 1.312 thon to dan pho dat 79,73 phan tram va tiep tuc nhan rong o nhung noi co du dieu kien trong nhung nam tiep theo cua nhiem ky.';

function header(): LayoutBlock {
  return { header: { left: ['TINH UY HA SON', '*', 'So 214-BC/TU'], right: ['DANG CONG SAN VIET NAM', '', 'Ha Son, ngay 15 thang 3 nam 2021'] } };
}

async function tablePdf(): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.TimesRoman);
  const page = doc.addPage([595, 842]);
  const rows = [['Don vi', 'So thon', 'Ty le'], ['Huyen A', '45', '92,3%'], ['Huyen B', '30', '88,0%']];
  rows.forEach((cells, r) => cells.forEach((t, c) => page.drawText(t, { x: 72 + c * 180, y: 770 - r * 18, size: 12, font })));
  page.drawText('Nguon: so lieu tong hop.', { x: 72, y: 700, size: 12, font });
  return Buffer.from(await doc.save());
}

describe('PDF layout from positions', () => {
  it('keeps the cells of a table row on one line', async () => {
    const src = await loadPdf(await tablePdf());
    expect(src.blocks.map((b) => b.text)).toEqual(['Don vi So thon Ty le', 'Huyen A 45 92,3%', 'Huyen B 30 88,0%', 'Nguon: so lieu tong hop.']);
  });

  it('drops a running header and "Trang i/N" footers on every page, the first included', async () => {
    const pdf = await makeLayoutPdf({
      runningHeader: 'DANG BO TINH HA SON - TAI LIEU HOI NGHI LAN THU NAM',
      footer: (i, n) => `Trang ${i}/${n}`,
      bottom: 700,
      blocks: [{ heading: 'I. KET QUA' }, { p: LONG_A }, { p: LONG_B }, { heading: 'II. HAN CHE' }, { p: LONG_B }, { p: LONG_A }],
    });
    expect(await pageCount(pdf)).toBeGreaterThanOrEqual(3);
    const src = await loadPdf(pdf);
    const text = src.blocks.map((b) => b.text).join('\n');
    expect(text).not.toMatch(/TAI LIEU HOI NGHI/);
    expect(text).not.toMatch(/Trang \d/);
    expect(src.blocks.map((b) => b.text)).toEqual(['I. KET QUA', LONG_A, LONG_B, 'II. HAN CHE', LONG_B, LONG_A]);
  });

  it('joins a justified paragraph into one block, also across a page break', async () => {
    // Room for a few lines only: LONG_A starts on page 1 and ends on page 2.
    const pdf = await makeLayoutPdf({ footer: (i, n) => `- ${i}/${n} -`, bottom: 700, blocks: [{ p: 'Mo dau ngan.' }, { p: LONG_A }, { p: LONG_B }] });
    expect(await pageCount(pdf)).toBeGreaterThanOrEqual(2);
    const src = await loadPdf(pdf);
    expect(src.blocks.map((b) => b.text)).toEqual(['Mo dau ngan.', LONG_A, LONG_B]);
    for (const b of src.blocks) expect(src.originalText.slice(b.start, b.end)).toBe(b.text);
  });

  it('takes page-foot notes out with their superscript marks, and rejoins the paragraph printed around them', async () => {
    const withMark = LONG_A.replace('cap xa', 'cap xa{1}');
    const pdf = await makeLayoutPdf({
      footnotes: { 1: 'Gom thanh pho Ha Son giam 03 don vi va huyen Kim Khe giam 04 don vi.' },
      bottom: 700,
      blocks: [{ p: 'Mo dau ngan.' }, { p: withMark }, { p: LONG_B }],
    });
    expect(await pageCount(pdf)).toBeGreaterThanOrEqual(2);
    const src = await loadPdf(pdf);
    expect(src.blocks.map((b) => b.text)).toEqual(['Mo dau ngan.', LONG_A, LONG_B]);
    expect(src.footnotes.map((f) => [f.n, f.text])).toEqual([[1, 'Gom thanh pho Ha Son giam 03 don vi va huyen Kim Khe giam 04 don vi.']]);
    const anchor = src.blocks[1]!.footnoteAnchors;
    expect(anchor).toEqual([{ n: 1, offset: LONG_A.indexOf('cap xa') + 'cap xa'.length }]);
    expect(src.blocks[1]!.text).not.toMatch(/xa1/);
  });

  it('reads a two-column header printed row by row column by column, one field per block', async () => {
    const pdf = await makeLayoutPdf({
      blocks: [header(), { center: 'BAO CAO', size: 14, bold: true }, { center: 'so ket 03 nam thuc hien Nghi quyet so 18-NQ/TW' }, { center: '-----' }, { heading: 'I. KET QUA' }, { p: LONG_A }],
    });
    const src = await loadPdf(pdf);
    expect(src.blocks.slice(0, 9).map((b) => b.text)).toEqual([
      'TINH UY HA SON',
      '*',
      'So 214-BC/TU',
      'DANG CONG SAN VIET NAM',
      'Ha Son, ngay 15 thang 3 nam 2021',
      'BAO CAO',
      'so ket 03 nam thuc hien Nghi quyet so 18-NQ/TW',
      '-----',
      'I. KET QUA',
    ]);
    const doc = buildDocument({ id: 'hs', file: 'hs.pdf', source: src });
    expect(doc.meta.number).toBe('214-BC/TU');
    expect(doc.meta.date).toBe('2021-03-15');
    expect(doc.meta.place).toBe('Ha Son');
    expect(doc.meta.heading).toMatch(/^Báo cáo so ket 03 nam/);
    expect(doc.sections.map((s) => s.path.join(' › '))).toEqual(['I. KET QUA']);
  });
});
