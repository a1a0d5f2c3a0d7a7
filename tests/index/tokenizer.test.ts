import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { bigrams, indexTerms, indexTermSet, syllables, wordTokens } from '../../src/index/tokenizer.js';
import { corpusDir } from '../helpers.js';
import { LexicalIndex } from '../../src/index/lexical.js';

describe('Vietnamese tokenizer', () => {
  it('yields folded syllables and canonical numbers', () => {
    expect(syllables('Chủ tịch UBND: 27.023 đảng viên, 76,28%')).toEqual(['chu', 'tich', 'ubnd', '27023', 'dang', 'vien', '76.28']);
  });

  it('adds syllable bigrams', () => {
    expect(bigrams(['bi', 'thu', 'cap'])).toEqual(['bi_thu', 'thu_cap']);
    expect(indexTerms('bí thư')).toEqual(['bi', 'thu', 'bi_thu']);
  });

  it('builds the same term set in one pass as indexTerms does', () => {
    const samples = ['Bí thư, Chủ tịch: 27.023 đảng viên (76,28%) — 2a b', '', '   ', '12-2017 và 1.234,5'];
    for (const f of readdirSync(corpusDir).filter((x) => x.endsWith('.txt'))) {
      const text = readFileSync(path.join(corpusDir, f), 'utf8');
      for (let i = 0; i < text.length; i += 700) samples.push(text.slice(i, i + 700));
    }
    for (const text of samples) expect(indexTermSet(text)).toEqual(new Set(indexTerms(text)));
  });

  it('keeps accented and folded forms aligned', () => {
    expect(wordTokens('Bị bí thư')).toEqual([
      { surface: 'bị', folded: 'bi' },
      { surface: 'bí', folded: 'bi' },
      { surface: 'thư', folded: 'thu' },
    ]);
  });
});

describe('lexical index', () => {
  const docs = [
    { id: 'a', text: 'Đồng chí Bí thư Đảng ủy đồng thời là Chủ tịch Ủy ban nhân dân xã.', section: '', context: '' },
    { id: 'b', text: 'Thu nhập bình quân tăng; thu hút đầu tư; thư viện xã được nâng cấp.', section: '', context: '' },
    { id: 'c', text: 'Hội đồng nhân dân bầu các chức danh.', section: '', context: '' },
  ];
  const index = LexicalIndex.build(docs);

  it('finds "chủ tịch" from "chu tich"', () => {
    const hits = index.search(indexTerms('chu tich'), 5);
    expect(hits[0]?.chunkId).toBe('a');
  });

  it('"bi thu" ranks the phrase far above passages that only contain "thu"', () => {
    const hits = index.search(indexTerms('bi thu'), 5);
    expect(hits[0]?.chunkId).toBe('a');
    const b = hits.find((h) => h.chunkId === 'b');
    expect(b === undefined || b.score < hits[0]!.score / 2).toBe(true);
  });

  it('survives a round trip through its header and binary parts', () => {
    const { header, parts } = index.serialize();
    const binary = Buffer.concat(parts);
    const again = LexicalIndex.deserialize(JSON.parse(JSON.stringify(header)), binary);
    expect(again.search(indexTerms('hội đồng nhân dân'), 1)[0]?.chunkId).toBe('c');
  });
});
