import { describe, expect, it } from 'vitest';
import { checkZipSafety, DEFAULT_ZIP_LIMITS, REASON_CORRUPT_DOCX, REASON_ENCRYPTED_DOCX, REASON_ZIP_BOMB } from '../../../src/ingest/loaders/zipGuard.js';
import { deflateRawSync } from 'node:zlib';
import {
  buildZip,
  crc32,
  makeCorruptDocx,
  makeEncryptedDocx,
  makeNonDocxZip,
  makeReportDocx,
  makeZipBombDocx,
  makeZipCryptoDocx,
} from '../../fixtures/makeFixtures.js';
import { reason } from './helpers.js';


describe('checkZipSafety', () => {
  it('accepts a real DOCX, with and without inflating the data', async () => {
    const docx = await makeReportDocx();
    await expect(checkZipSafety(docx)).resolves.toBeUndefined();
    await expect(checkZipSafety(docx, DEFAULT_ZIP_LIMITS, { verifyData: true })).resolves.toBeUndefined();
  });

  it('accepts a valid ZIP that is not a Word file (mammoth rejects it later)', async () => {
    await expect(checkZipSafety(makeNonDocxZip())).resolves.toBeUndefined();
  });

  it('rejects a central directory declaring ~4 GB', async () => {
    expect(await reason(checkZipSafety(makeZipBombDocx('declared')))).toContain(REASON_ZIP_BOMB);
  });

  it('rejects an entry compressed ~1000:1', async () => {
    const r = await reason(checkZipSafety(makeZipBombDocx('ratio')));
    expect(r).toContain(REASON_ZIP_BOMB);
    expect(r).toContain('word/document.xml');
  });

  it('rejects too many entries from the end record alone', async () => {
    expect(await reason(checkZipSafety(makeZipBombDocx('entries')))).toMatch(/5001 mục/);
  });

  it('honours custom limits', async () => {
    const docx = await makeReportDocx();
    const r = await reason(checkZipSafety(docx, { ...DEFAULT_ZIP_LIMITS, maxTotalUncompressedBytes: 1000 }));
    expect(r).toContain(REASON_ZIP_BOMB);
  });

  it('lets a lying bomb through the central-directory check but catches it when inflating', async () => {
    const bomb = makeZipBombDocx('lying');
    await expect(checkZipSafety(bomb)).resolves.toBeUndefined();
    expect(await reason(checkZipSafety(bomb, DEFAULT_ZIP_LIMITS, { verifyData: true }))).toContain(REASON_ZIP_BOMB);
  });

  it('reports random bytes as corrupt', async () => {
    expect(await reason(checkZipSafety(makeCorruptDocx()))).toBe(REASON_CORRUPT_DOCX);
    expect(await reason(checkZipSafety(Buffer.alloc(0)))).toBe(REASON_CORRUPT_DOCX);
  });

  it('reports a truncated ZIP as corrupt', async () => {
    const docx = await makeReportDocx();
    expect(await reason(checkZipSafety(docx.subarray(0, Math.floor(docx.length / 2))))).toBe(REASON_CORRUPT_DOCX);
  });

  it('reports an OLE (password-protected Word) file as encrypted', async () => {
    const r = await reason(checkZipSafety(makeEncryptedDocx()));
    expect(r).toBe(REASON_ENCRYPTED_DOCX);
    expect(r).toMatch(/mật khẩu/);
    expect(r).toMatch(/encrypted/);
  });

  it('reports ZipCrypto and "strong encryption" entries as encrypted', async () => {
    expect(await reason(checkZipSafety(makeZipCryptoDocx()))).toBe(REASON_ENCRYPTED_DOCX);
    expect(await reason(checkZipSafety(makeZipCryptoDocx(0x41)))).toBe(REASON_ENCRYPTED_DOCX);
  });

  it('reports an entry shorter than declared as corrupt, not as a bomb', async () => {
    const body = Buffer.from('<w:document/>');
    const zip = buildZip([{ name: 'word/document.xml', data: body, method: 0, declaredUncompressedSize: body.length, crc32: crc32(body) }]);
    await expect(checkZipSafety(zip, DEFAULT_ZIP_LIMITS, { verifyData: true })).resolves.toBeUndefined();
    const short = buildZip([{ name: 'word/document.xml', data: deflateRawSync(body), method: 8, declaredUncompressedSize: body.length + 50 }]);
    expect(await reason(checkZipSafety(short, DEFAULT_ZIP_LIMITS, { verifyData: true }))).toBe(REASON_CORRUPT_DOCX);
  });
});
