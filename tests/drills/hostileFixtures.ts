/** Hostile documents for the ingest drills, generated on the fly (a few hundred KB each). */
import { randomBytes } from 'node:crypto';
import { createDeflate, deflateRawSync } from 'node:zlib';
import { buildZip, crc32, type RawZipEntry } from '../fixtures/makeFixtures.js';

function deflated(name: string, content: Buffer): RawZipEntry {
  return { name, data: deflateRawSync(content), method: 8, declaredUncompressedSize: content.length, crc32: crc32(content) };
}

const CONTENT_TYPES = `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`;
const RELS = `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`;

/**
 * A well-formed DOCX whose document.xml holds `paragraphs` short paragraphs: honest sizes, a
 * modest compression ratio, so it passes the zip guard, yet mammoth's DOM of it is many times
 * its size. The shape of the 199 MB bomb, scaled to the drill's lowered heap cap.
 */
export function makeHeavyDocx(paragraphs: number): Buffer {
  const parts: string[] = [];
  for (let i = 0; i < paragraphs; i++) parts.push(`<w:p><w:r><w:t>Đoạn ${i} báo cáo kết quả thực hiện nhiệm vụ năm ${i % 97}.</w:t></w:r></w:p>`);
  const xml = `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${parts.join('')}</w:body></w:document>`;
  return buildZip([deflated('[Content_Types].xml', Buffer.from(CONTENT_TYPES)), deflated('_rels/.rels', Buffer.from(RELS)), deflated('word/document.xml', Buffer.from(xml))]);
}

/**
 * A DOCX whose document.xml declares `declaredBytes` at 75:1 (the bomb: 199 MB). Only the
 * central directory is read by the guard, so the stored bytes need not inflate to that size.
 */
export function makeDeclaredHugeXmlDocx(declaredBytes: number): Buffer {
  const data = randomBytes(Math.ceil(declaredBytes / 75));
  return buildZip([
    deflated('[Content_Types].xml', Buffer.from(CONTENT_TYPES)),
    { name: 'word/document.xml', data, method: 8, declaredUncompressedSize: declaredBytes, crc32: 0 },
  ]);
}

async function deflateZeros(bytes: number): Promise<Buffer> {
  const z = createDeflate({ level: 9 });
  const out: Buffer[] = [];
  z.on('data', (b: Buffer) => out.push(b));
  const done = new Promise<void>((resolve, reject) => {
    z.on('end', () => resolve());
    z.on('error', reject);
  });
  const block = Buffer.alloc(16 * 1024 * 1024);
  for (let written = 0; written < bytes; written += block.length) {
    if (!z.write(block)) await new Promise((r) => z.once('drain', r));
  }
  z.end();
  await done;
  return Buffer.concat(out);
}

/**
 * A one-page PDF with a text layer and a content stream that inflates to `decodedBytes` (a
 * Flate bomb: about 1 MB on disk per GB decoded).
 */
export async function makeFlateBombPdf(decodedBytes: number): Promise<Buffer> {
  const stream = await deflateZeros(decodedBytes);
  const objects: Buffer[] = [
    Buffer.from('<< /Type /Catalog /Pages 2 0 R >>'),
    Buffer.from('<< /Type /Pages /Kids [3 0 R] /Count 1 >>'),
    Buffer.from('<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>'),
    Buffer.concat([Buffer.from(`<< /Length ${stream.length} /Filter /FlateDecode >>\nstream\n`), stream, Buffer.from('\nendstream')]),
    Buffer.from('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>'),
  ];
  const chunks: Buffer[] = [Buffer.from('%PDF-1.4\n')];
  const offsets: number[] = [];
  let at = chunks[0]!.length;
  objects.forEach((body, i) => {
    offsets.push(at);
    const obj = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`), body, Buffer.from('\nendobj\n')]);
    chunks.push(obj);
    at += obj.length;
  });
  const xref = [`xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`, ...offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`)].join('');
  chunks.push(Buffer.from(`${xref}trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${at}\n%%EOF\n`));
  return Buffer.concat(chunks);
}
