import { describe, expect, it } from 'vitest';
import { indexTerms } from '../../src/index/tokenizer.js';
import { LexicalIndex, LexicalIndexBuilder, type LexicalDoc } from '../../src/index/lexical.js';

const doc = (id: string, text: string, section = '', context = ''): LexicalDoc => ({ id, text, section, context });

describe('LexicalIndex (BM25+ over typed-array postings)', () => {
  it('prefers the shorter passage for the same term frequency', () => {
    const index = LexicalIndex.build([
      doc('long', 'kết nạp đảng viên mới trong năm, cùng nhiều nội dung khác về công tác xây dựng tổ chức cơ sở đảng ở các xã'),
      doc('short', 'kết nạp đảng viên mới'),
      doc('other', 'giá vàng tăng'),
    ]);
    const hits = index.search(indexTerms('kết nạp'), 5);
    expect(hits.map((h) => h.chunkId)).toEqual(['short', 'long']);
    expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score);
  });

  it('weighs a match in the text above the headings, and the headings above the context', () => {
    const index = LexicalIndex.build([
      doc('context', 'một đoạn văn', '', 'tinh gọn bộ máy'),
      doc('section', 'một đoạn văn', 'tinh gọn bộ máy', ''),
      doc('text', 'tinh gọn bộ máy', '', ''),
    ]);
    expect(index.search(indexTerms('tinh gọn'), 5).map((h) => h.chunkId)).toEqual(['text', 'section', 'context']);
  });

  it('matches a typo only when asked to, and below an exact match', () => {
    const index = LexicalIndex.build([doc('a', 'tỉnh An Giang'), doc('b', 'tỉnh Kiên Giang và tỉnh An Giang'), doc('c', 'thành phố Huế')]);
    expect(index.search(['giag'], 5)).toEqual([]);
    const fuzzy = index.search(['giag'], 5, undefined, new Set(['giag']));
    expect(fuzzy.map((h) => h.chunkId).sort()).toEqual(['a', 'b']);
    const exact = index.search(['giang'], 5);
    expect(exact[0]!.score).toBeGreaterThan(fuzzy[0]!.score);
  });

  it('boosts terms and ignores unknown ones', () => {
    const index = LexicalIndex.build([doc('a', 'bí thư chi bộ'), doc('b', 'chủ tịch xã')]);
    const plain = index.search(['bi', 'chu'], 5);
    expect(plain).toHaveLength(2);
    const boosted = index.search(['bi', 'chu', 'khong_co'], 5, new Map([['chu', 3]]));
    expect(boosted[0]!.chunkId).toBe('b');
  });

  it('keeps the same best results whether it sorts everything or keeps a heap', () => {
    const docs = Array.from({ length: 400 }, (_, i) => doc(`d${i}`, `xã số ${i} có ${'đảng viên '.repeat(1 + (i % 7))} và ${i % 3 ? 'chi bộ' : 'tổ dân phố'}`));
    const index = LexicalIndex.build(docs);
    const terms = indexTerms('đảng viên chi bộ');
    const all = index.search(terms, 1000);
    const top = index.search(terms, 7);
    expect(all.length).toBe(400);
    expect(top).toEqual(all.slice(0, 7));
    for (let i = 1; i < all.length; i++) expect(all[i - 1]!.score).toBeGreaterThanOrEqual(all[i]!.score);
  });

  it('round-trips through an unaligned buffer and refuses a truncated one', () => {
    const index = LexicalIndex.build([doc('a', 'Hội đồng nhân dân'), doc('b', 'Ủy ban nhân dân', 'I. Chính quyền')]);
    const { header, parts } = index.serialize();
    const bytes = Buffer.concat(parts);
    const unaligned = new Uint8Array(bytes.length + 1).subarray(1);
    unaligned.set(bytes);
    const again = LexicalIndex.deserialize(JSON.parse(JSON.stringify(header)), unaligned);
    expect(again.search(indexTerms('ủy ban'), 2)).toEqual(index.search(indexTerms('ủy ban'), 2));
    expect(() => LexicalIndex.deserialize(header, bytes.subarray(0, bytes.length - 4))).toThrow(/size/);
  });

  it('counts each passage once per term over its text and headings', () => {
    const builder = new LexicalIndexBuilder();
    builder.add(doc('a', 'đảng viên, đảng viên', 'đảng viên'));
    builder.add(doc('b', 'quần chúng', 'đảng viên'));
    builder.add(doc('c', 'quần chúng', '', 'đảng viên'));
    const df = new Map(builder.documentFrequencies());
    expect(df.get('dang_vien')).toBe(2);
    expect(df.get('quan')).toBe(2);
    expect(builder.documentCount).toBe(3);
  });

  it('finds the best passages within a scope even when every global top hit lies outside it', () => {
    const distractors = Array.from({ length: 200 }, (_, i) => doc(`other-${i}`, 'hạn chế của mô hình bí thư đồng thời là chủ tịch, hạn chế, hạn chế'));
    const index = LexicalIndex.build([...distractors, doc('ours#1', 'những hạn chế của mô hình còn nhiều'), doc('ours#2', 'kết quả tốt')]);
    const terms = indexTerms('hạn chế của mô hình');
    // Globally the place's passage is not among the first 40 …
    expect(index.search(terms, 40).map((h) => h.chunkId)).not.toContain('ours#1');
    // … but scoped to its document it comes first, and nothing outside the scope is returned.
    const scoped = index.search(terms, 5, undefined, undefined, { within: (id) => id.startsWith('ours#') });
    expect(scoped.map((h) => h.chunkId)).toEqual(['ours#1']);
  });
});
