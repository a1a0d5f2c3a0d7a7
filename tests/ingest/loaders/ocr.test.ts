import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PDFDocument } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { loadPdf, REASON_NO_TEXT_PDF } from '../../../src/ingest/loaders/pdf.js';
import { inkImage, ocrAvailable, otsuThreshold, parseTesseractTsv, repairRomanSequence, REASON_OCR_FAILED, REASON_OCR_MISSING, type OcrPageEvent } from '../../../src/ingest/loaders/ocr.js';
import { buildDocument } from '../../../src/ingest/structure.js';
import { fold } from '../../../src/ingest/normalize.js';
import { makeLayoutPdf } from './pdfLayoutFixtures.js';
import { reason } from './helpers.js';

const run = promisify(execFile);

/** A one-page report as a text PDF, then as a scan: rendered to an image and wrapped back into a PDF. */
async function makeScannedReport(): Promise<Buffer> {
  const text = await makeLayoutPdf({
    blocks: [
      { header: { left: ['HUYEN UY KIM KHE', '*', 'So 96-BC/HU'], right: ['DANG CONG SAN VIET NAM', '', 'Kim Khe, ngay 20 thang 10 nam 2022'] } },
      { center: 'BAO CAO', size: 14, bold: true },
      { center: 'ket qua thuc hien mo hinh bi thu chi bo dong thoi la truong thon' },
      { center: '-----' },
      { heading: 'I. KET QUA THUC HIEN' },
      {
        p: 'Den ngay 30-9-2022, co 96/104 thon, to dan pho (dat 92,31%) thuc hien mo hinh bi thu chi bo dong thoi la truong thon, to dan pho; viec thuc hien mo hinh tiet kiem ngan sach khoang 1,73 ty dong moi nam.',
      },
      { heading: 'II. HAN CHE VA NGUYEN NHAN' },
      { p: 'Con 08 thon chua thuc hien duoc mo hinh, chu yeu do bi thu chi bo la can bo huu tri cao tuoi.' },
      { header: { left: ['Noi nhan:', '- Ban Thuong vu Tinh uy,', '- Luu Van phong.'], right: ['T/M BAN THUONG VU', 'PHO BI THU', '', 'Ma Thi Duyen'] } },
    ],
  });
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ocr-test-'));
  try {
    await fs.writeFile(path.join(dir, 'text.pdf'), text);
    await run('pdftoppm', ['-r', '200', '-png', '-singlefile', path.join(dir, 'text.pdf'), path.join(dir, 'scan')]);
    const scan = await PDFDocument.create();
    const image = await scan.embedPng(await fs.readFile(path.join(dir, 'scan.png')));
    scan.addPage([595, 842]).drawImage(image, { x: 0, y: 0, width: 595, height: 842 });
    return Buffer.from(await scan.save());
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

const available = await ocrAvailable();

describe('OCR of scanned PDFs', () => {
  it.skipIf(!available)(
    'reads a scanned report through Tesseract into the same structure as a text PDF',
    async () => {
      const pdf = await makeScannedReport();
      const events: OcrPageEvent[] = [];
      const src = await loadPdf(pdf, { ocr: { onPage: (e) => events.push(e) } });
      expect(src.ocr?.pages).toBe(1);
      expect(events).toEqual([expect.objectContaining({ page: 1, index: 1, total: 1 })]);
      const doc = buildDocument({ id: 'kk', file: 'kk.pdf', source: src });
      expect(doc.meta.number).toBe('96-BC/HU');
      expect(doc.meta.date).toBe('2022-10-20');
      expect(fold(doc.meta.signer ?? '')).toBe('ma thi duyen');
      expect(doc.sections.map((s) => fold(s.path[0] ?? ''))).toEqual(expect.arrayContaining(['i. ket qua thuc hien', 'ii. han che va nguyen nhan']));
      const body = doc.chunks.map((c) => c.text).join('\n');
      expect(body).toContain('96/104');
      expect(body).toContain('92,31%');
      expect(body).toContain('1,73');
      // The paragraph comes out as one passage, not one per scanned line.
      expect(src.blocks.some((b) => b.text.includes('96/104') && b.text.includes('1,73'))).toBe(true);
    },
    120_000,
  );

  it('skips a scan with a reason naming the packages when the OCR programs are missing', async () => {
    const pdf = await makeScannedReport().catch(() => undefined);
    // Without pdftoppm on this machine a text-free PDF of our own stands in for the scan.
    const scan = pdf ?? Buffer.from(await (await PDFDocument.create()).save());
    const missing = { ocr: { tesseractPath: '/nonexistent/tesseract', pdftoppmPath: '/nonexistent/pdftoppm' } };
    const why = await reason(loadPdf(scan, missing));
    expect(why).toBe(REASON_OCR_MISSING);
    expect(why).toContain('tesseract-ocr tesseract-ocr-vie poppler-utils');
    expect(await reason(loadPdf(scan, { ocr: false }))).toBe(REASON_NO_TEXT_PDF);
  }, 60_000);
});

describe('OCR failures', () => {
  it.skipIf(!available)('skips a scan with a reason when Tesseract fails on it', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ocr-broken-'));
    try {
      // Installed (it lists the language) but crashes on every page.
      const broken = path.join(dir, 'tesseract');
      await fs.writeFile(broken, '#!/bin/sh\nif [ "$1" = "--list-langs" ]; then echo vie; exit 0; fi\necho "segfault" >&2\nexit 3\n', { mode: 0o755 });
      const why = await reason(loadPdf(await makeScannedReport(), { ocr: { tesseractPath: broken } }));
      expect(why).toMatch(new RegExp(`^${REASON_OCR_FAILED.replace(/[()/]/g, '\\$&')} \\(`));
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('OCR helpers', () => {
  it('turns Tesseract TSV into positioned lines, columns split, specks and unsure strokes dropped', () => {
    const header = 'level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext';
    const word = (line: number, left: number, text: string, conf = 95, w = 100, h = 40) => `5\t1\t1\t1\t${line}\t1\t${left}\t${100 * line}\t${w}\t${h}\t${conf}\t${text}`;
    const tsv = [
      header,
      '1\t1\t0\t0\t0\t0\t0\t0\t2480\t3508\t-1\t',
      word(1, 300, 'HUYEN'),
      word(1, 420, 'UY'),
      word(1, 1400, 'DANG'),
      word(2, 300, 'III.'),
      word(2, 420, '-', 92, 30, 70),
      word(3, 1600, 'rOP:', 0),
      word(3, 1800, '3/J__', 12),
    ].join('\n');
    const page = parseTesseractTsv(tsv, 300);
    expect(page.lines.map((l) => l.segments.map((s) => s.text).join(''))).toEqual(['HUYEN UY', 'DANG', 'III.']);
    expect(page.heightPt).toBeCloseTo((3508 * 72) / 300);
    expect(page.lines[0]!.x0).toBeCloseTo((300 * 72) / 300);
  });

  it('puts right a Roman heading number that lost a stroke', () => {
    const out = repairRomanSequence([{ text: 'I. KET QUA' }, { text: 'II. HAN CHE' }, { text: 'II. NHIEM VU' }, { text: 'TV. KIEN NGHI' }, { text: 'Noi dung.' }]);
    expect(out.map((p) => p.text)).toEqual(['I. KET QUA', 'II. HAN CHE', 'III. NHIEM VU', 'IV. KIEN NGHI', 'Noi dung.']);
    // "IH" reads as III, which is not the next number after I: left as printed.
    expect(repairRomanSequence([{ text: 'I. A' }, { text: 'IH. B' }]).map((p) => p.text)).toEqual(['I. A', 'IH. B']);
    expect(repairRomanSequence([{ text: 'I. A' }, { text: 'II. B' }, { text: 'IH. C' }]).map((p) => p.text)).toEqual(['I. A', 'II. B', 'III. C']);
  });

  it('keeps black ink and drops a red seal and light specks from a colour page', () => {
    // 4 pixels: black ink, red seal, paper, grey speck.
    const pixels = Buffer.from([20, 20, 20, 200, 16, 46, 244, 241, 232, 154, 150, 140]);
    const ppm = Buffer.concat([Buffer.from('P6\n# comment\n4 1\n255\n', 'latin1'), pixels]);
    const pgm = inkImage(ppm);
    expect(pgm.subarray(0, 11).toString('latin1')).toBe('P5\n4 1\n255\n');
    expect([...pgm.subarray(11)]).toEqual([0, 255, 255, 255]);
    expect(otsuThreshold([5, 0, 0, 0, 5])).toBe(0);
  });
});
