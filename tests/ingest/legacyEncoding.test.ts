import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { convertLegacyText, detectLegacyEncoding } from '../../src/ingest/legacyEncoding.js';
import { loadText } from '../../src/ingest/loaders/text.js';
import { buildDocument } from '../../src/ingest/structure.js';
import { latin1Bytes, toTcvn3, toVni } from './fixtures/legacyEncode.js';

const tables = JSON.parse(readFileSync(new URL('../../lexicon/legacy-encodings.json', import.meta.url), 'utf8')) as {
  tcvn3: Record<string, string>;
  vni: Record<string, string>;
};

/** glibc's published TCVN 5712 table, when this machine's iconv has it. */
function iconvTcvn(bytes: number[]): string | undefined {
  try {
    return execFileSync('iconv', ['-f', 'TCVN5712-1', '-t', 'UTF-8'], { input: Buffer.from(bytes) }).toString('utf8');
  } catch {
    return undefined;
  }
}

const SENTENCE = 'báo cáo kết quả thực hiện mô hình bí thư đảng ủy đồng thời là chủ tịch ủy ban nhân dân xã, đạt 76,28%';

describe('legacy tables', () => {
  const glibc = iconvTcvn([0x61]);
  it.skipIf(glibc === undefined)('TCVN3 agrees with glibc iconv TCVN5712-1 byte for byte', () => {
    const entries = Object.entries(tables.tcvn3);
    const decoded = [...(iconvTcvn(entries.map(([ch]) => ch.charCodeAt(0))) ?? '')];
    expect(decoded).toEqual(entries.map(([, unicode]) => unicode));
  });

  it('covers every Vietnamese lower-case letter in TCVN3 and every letter in VNI', () => {
    const letters = [...new Set([...'aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹỵđ'])];
    const tcvnValues = new Set(Object.values(tables.tcvn3));
    const vniValues = new Set(Object.values(tables.vni));
    for (const l of letters.filter((c) => !/[aeiouy]/.test(c))) {
      expect(tcvnValues.has(l), `TCVN3 ${l}`).toBe(true);
      // VNI writes ì and í as Latin-1 itself: no table entry needed.
      if (l === 'ì' || l === 'í') continue;
      expect(vniValues.has(l), `VNI ${l}`).toBe(true);
      expect(vniValues.has(l.toUpperCase()), `VNI ${l.toUpperCase()}`).toBe(true);
    }
    // Spot checks against the VNI Windows layout: base letter + mark byte.
    expect(tables.vni['aø']).toBe('à');
    expect(tables.vni['eä']).toBe('ệ');
    expect(tables.vni['ö']).toBe('ư');
    expect(tables.vni['OÅ']).toBe('Ổ');
    expect(tables.tcvn3['¸']).toBe('á');
    expect(tables.tcvn3['\u00ad']).toBe('ư');
  });
});

describe('detectLegacyEncoding / convertLegacyText', () => {
  it('reads TCVN3 and VNI text back to Unicode', () => {
    const tcvn = toTcvn3(SENTENCE);
    expect(tcvn).toContain('B¸o'.toLowerCase());
    expect(detectLegacyEncoding(tcvn)).toBe('tcvn3');
    expect(convertLegacyText(tcvn).text).toBe(SENTENCE);
    const vniText = toVni('Báo cáo của Ủy ban nhân dân tỉnh Đắk Lắk: 119/156 xã, phường, thị trấn');
    expect(detectLegacyEncoding(vniText)).toBe('vni');
    expect(convertLegacyText(vniText).text).toBe('Báo cáo của Ủy ban nhân dân tỉnh Đắk Lắk: 119/156 xã, phường, thị trấn');
  });

  it('leaves Unicode text, and Unicode lines of a mixed document, untouched', () => {
    const unicode = 'Tỉnh ủy Kon Tum. Đến nay có 86/102 xã (đạt 84,3%). © Báo Đắk Lắk';
    expect(detectLegacyEncoding(unicode)).toBeUndefined();
    expect(convertLegacyText(unicode).text).toBe(unicode);
    const mixed = `${toTcvn3(SENTENCE)}\nDòng Unicode: Tỉnh ủy Hà Giang`;
    expect(convertLegacyText(mixed).text).toBe(`${SENTENCE}\nDòng Unicode: Tỉnh ủy Hà Giang`);
  });

  it('restores the capitals TCVN3 sets with the capitals font', () => {
    expect(convertLegacyText(toTcvn3('CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nđồng thời là chủ tịch')).text.split('\n')[0]).toBe(
      'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM',
    );
  });
});

describe('8-bit .txt files', () => {
  const report = ['TỈNH ỦY HÀ GIANG', 'Số 12-BC/TU', 'BÁO CÁO', 'kết quả thực hiện mô hình', 'I. Kết quả', 'Toàn tỉnh có 119/156 xã thực hiện mô hình bí thư đồng thời là chủ tịch, đạt 76,28%.'];

  it.each([
    ['TCVN3', toTcvn3],
    ['VNI', toVni],
  ])('%s bytes are decoded, converted and parsed', (_name, encode) => {
    const bytes = latin1Bytes(report.map(encode).join('\n'));
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes)).toThrow();
    const src = loadText(bytes, 'txt');
    const d = buildDocument({ id: 'legacy', file: 'legacy.txt', source: src });
    expect(d.meta.number).toBe('12-BC/TU');
    expect(d.meta.issuer).toBe('Tỉnh ủy Hà Giang');
    expect(d.sections.map((s) => s.path.join(' › '))).toEqual(['I. Kết quả']);
    expect(d.chunks[0]!.text).toBe(report[5]);
  });
});
