import { describe, expect, it } from 'vitest';
import { loadMessages } from '../../src/bot/messages.js';
import { renderReply } from '../../src/channels/telegram/format.js';
import { compareSides, parseCompareArgs } from '../../src/trainer/compare.js';
import { comparisonReplies } from '../../src/trainer/render.js';
import type { ComparisonResult } from '../../src/trainer/types.js';
import { useCorpus } from './helpers.js';

const corpus = useCorpus();

const NUMBER = /\d+(?:[.,]\d+)*(?:\/\d+)?%?/g;

/** Every figure shown is a slice of its cited passage, and every number in it is too. */
function checkFigures(result: ComparisonResult): void {
  if (result.kind !== 'comparison') throw new Error(`expected a comparison, got ${result.kind}`);
  for (const row of result.rows) {
    for (const cell of row.sides) {
      for (const f of cell) {
        const chunk = corpus.snapshot.chunkById.get(f.citation.chunkId)!;
        expect(chunk.text).toContain(f.citation.quote);
        expect(f.citation.quote).toContain(f.text);
        for (const n of f.text.match(NUMBER) ?? []) expect(f.citation.quote).toContain(n);
        expect(f.citation.quote).toContain(f.context.replace(/^…|…$/g, ''));
      }
    }
  }
}

describe('/sosanh comparisons', () => {
  it('parses two or three sides and a topic', () => {
    expect(parseCompareArgs('An Giang | Kon Tum: bí thư đồng thời là chủ tịch')).toEqual({ sides: ['An Giang', 'Kon Tum'], topic: 'bí thư đồng thời là chủ tịch' });
    expect(parseCompareArgs('An Giang | Kon Tum | Đức Thọ')).toEqual({ sides: ['An Giang', 'Kon Tum', 'Đức Thọ'], topic: '' });
    expect(parseCompareArgs('2018 vs 2019')).toEqual({ sides: ['2018', '2019'], topic: '' });
    expect(parseCompareArgs('An Giang')).toBeUndefined();
  });

  it('pairs only figures of one indicator: a ratio of communes never against a count of military cells', () => {
    const result = compareSides(corpus.snapshot, 'An Giang | Kon Tum: bí thư đồng thời là chủ tịch');
    checkFigures(result);
    if (result.kind !== 'comparison') return;
    expect(result.sides.map((s) => s.label)).toEqual(['An Giang', 'Kon Tum']);
    const ratio = result.rows.find((r) => r.sides[0]!.some((f) => f.text === '119/156 xã, phường, thị trấn (đạt 76,28%)'));
    expect(ratio).toBeDefined();
    expect(ratio!.key).toBe('ratio|actual|commune');
    for (const row of result.rows) for (const cell of row.sides) for (const f of cell) expect(f.indicator).toBe(row.key);
    // The 2020 target 156/156 is a target row, never set against a result.
    for (const row of result.rows) for (const f of row.sides.flat()) if (f.text.startsWith('156/156')) expect(row.status).toBe('target');
    // "102 xã" is the base of "99 chi bộ quân sự/102 xã": not a figure of its own.
    expect(result.rows.flatMap((r) => r.sides.flat()).some((f) => f.text.startsWith('102 xã'))).toBe(false);
    // A side without a figure for an indicator is empty, never borrowed from the other side.
    const oneSided = result.rows.filter((r) => r.sides.some((c) => c.length === 0));
    expect(oneSided.length).toBeGreaterThan(0);
    const text = comparisonReplies(result, 'vi', '')
      .flatMap((r) => [...r.blocks.map((b) => b.text), ...r.citations.map((c) => `${c.title} ${c.section}`)])
      .join('\n');
    expect(text).toContain('không có số liệu');
    expect(text).toContain('[1]');
  });

  it('renders within three Telegram messages and numbers every source', () => {
    const messages = loadMessages();
    for (const args of ['An Giang | Kon Tum: đảng viên', 'An Giang | Kon Tum: bí thư đồng thời là chủ tịch', '303-BC/TU | 381-BC/TU', '381-BC/TU | 303-BC/TU | An Giang', '2018 | 2019']) {
      const result = compareSides(corpus.snapshot, args);
      checkFigures(result);
      const replies = comparisonReplies(result, 'vi', '');
      const rendered = replies.flatMap((r) => renderReply(r, messages));
      expect(rendered.length, args).toBeLessThanOrEqual(3);
      const body = replies.flatMap((r) => r.blocks.map((b) => b.text)).join('\n');
      const cited = new Set(replies.flatMap((r) => r.citations.map((c) => c.n)));
      for (const m of body.matchAll(/\[(\d+)\]/g)) expect(cited.has(Number(m[1])), `${args}: [${m[1]}]`).toBe(true);
    }
  });

  it('compares periods and documents, and explains bad input', () => {
    // Two years of one province: the Kon Tum reports of 2018 and 2019.
    const periods = compareSides(corpus.snapshot, '2018 | 2019');
    expect(periods.kind).toBe('comparison');
    if (periods.kind === 'comparison') {
      expect(periods.sides.map((s) => s.kind)).toEqual(['period', 'period']);
      expect(periods.sides.map((s) => s.label)).toEqual(['Kon Tum 2018', 'Kon Tum 2019']);
    }
    // 2019 and 2020 have no place in common (An Giang/Kon Tum against Đức Thọ).
    expect(compareSides(corpus.snapshot, '2018 | 2020').kind).toBe('noCommonPlace');
    expect(compareSides(corpus.snapshot, 'An Giang')).toEqual({ kind: 'usage' });
    expect(compareSides(corpus.snapshot, 'An Giang | Hà Nội')).toEqual({ kind: 'unknown', side: 'Hà Nội' });
    const none = compareSides(corpus.snapshot, 'An Giang | Kon Tum: qwxyzzy');
    expect(none).toMatchObject({ kind: 'comparison', rows: [] });
    expect(comparisonReplies(none, 'vi', '')[0]!.blocks[0]!.text).toMatch(/Không tìm thấy số liệu/);
    expect(compareSides(corpus.snapshot, 'A | B | C | D')).toEqual({ kind: 'usage' });
  });
});
