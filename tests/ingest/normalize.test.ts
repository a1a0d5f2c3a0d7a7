import { describe, expect, it } from 'vitest';
import { canonicalNumber, fold, foldSlow, hasVietnameseMarks, normalizeText } from '../../src/ingest/normalize.js';

describe('normalizeText', () => {
  it('composes NFD input into NFC', () => {
    const nfd = 'Tỉnh ủy Kon Tum'.normalize('NFD');
    expect(nfd).not.toBe('Tỉnh ủy Kon Tum');
    expect(normalizeText(nfd)).toBe('Tỉnh ủy Kon Tum');
  });

  it('unifies the old and new tone-mark placement', () => {
    expect(normalizeText('Tỉnh uỷ')).toBe('Tỉnh ủy');
    expect(normalizeText('hoà hợp, khoẻ, thuý')).toBe('hòa hợp, khỏe, thúy');
    expect(normalizeText('HOÀ')).toBe('HÒA');
    // "qu" + "y": the u belongs to the consonant; "quý" is right in both styles.
    expect(normalizeText('quý')).toBe('quý');
    // Closed syllables keep the tone on the main vowel.
    expect(normalizeText('toàn, quyền')).toBe('toàn, quyền');
  });

  it('straightens quotes and apostrophes, turns non-breaking spaces and tabs into spaces', () => {
    expect(normalizeText('“Ia H’Drai”\u00a0và\tđó')).toBe('"Ia H\'Drai" và đó');
  });
});

describe('fold', () => {
  it('removes every diacritic and đ, lower-cases', () => {
    expect(fold('Bí thư Đảng ủy xã Đăk Pét')).toBe('bi thu dang uy xa dak pet');
    expect(fold('Tỉnh uỷ')).toBe(fold('Tỉnh ủy'));
    expect(fold('chủ tịch'.normalize('NFD'))).toBe('chu tich');
  });

  it('keeps length-independent results for curly and straight apostrophes', () => {
    expect(fold('Ia H’Đrai')).toBe(fold("Ia H'Drai"));
  });
});

describe('canonicalNumber', () => {
  it('reads Vietnamese thousands and decimal separators', () => {
    expect(canonicalNumber('27.023')).toBe('27023');
    expect(canonicalNumber('76,28')).toBe('76.28');
    expect(canonicalNumber('76.28')).toBe('76.28');
    expect(canonicalNumber('1.393')).toBe('1393');
    expect(canonicalNumber('119')).toBe('119');
  });
});

describe('hasVietnameseMarks', () => {
  it('tells accented input from accent-free input', () => {
    expect(hasVietnameseMarks('chủ tịch')).toBe(true);
    expect(hasVietnameseMarks('Đ')).toBe(true);
    expect(hasVietnameseMarks('chu tich xa')).toBe(false);
  });
});

describe('fold fast path', () => {
  it('folds exactly as the definition does, on the reports and on random characters', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const path = await import('node:path');
    const dir = path.join(import.meta.dirname, '../../corpus');
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.txt'))) {
      const text = readFileSync(path.join(dir, f), 'utf8');
      expect(fold(text)).toBe(foldSlow(text));
      expect(fold(text.normalize('NFD'))).toBe(foldSlow(text.normalize('NFD')));
    }
    let seed = 12345;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    const pools = [[0x20, 0x7e], [0xa0, 0x24f], [0x300, 0x36f], [0x1e00, 0x1eff], [0x2000, 0x206f], [0x370, 0x3ff], [0x400, 0x4ff], [0xac00, 0xac20]] as const;
    for (let k = 0; k < 300; k++) {
      let s = '';
      for (let i = 0; i < 40; i++) {
        const [a, b] = pools[next() % (k % 3 === 0 ? pools.length : 5)]!;
        s += String.fromCharCode(a + (next() % (b - a + 1)));
      }
      expect(fold(s)).toBe(foldSlow(s));
    }
    expect(fold('Ủy ban nhân dân tỉnh Đắk Lắk — “Đảng”')).toBe('uy ban nhan dan tinh dak lak — "dang"');
    expect(fold('x'.repeat(20_000) + 'Á')).toBe('x'.repeat(20_000) + 'a');
  });
});
