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
  it('parses sides and topic', () => {
    expect(parseCompareArgs('An Giang | Kon Tum: bí thư đồng thời là chủ tịch')).toEqual({ a: 'An Giang', b: 'Kon Tum', topic: 'bí thư đồng thời là chủ tịch' });
    expect(parseCompareArgs('An Giang | Kon Tum | đảng viên')).toEqual({ a: 'An Giang', b: 'Kon Tum', topic: 'đảng viên' });
    expect(parseCompareArgs('2018 vs 2019')).toEqual({ a: '2018', b: '2019', topic: '' });
    expect(parseCompareArgs('An Giang')).toBeUndefined();
  });

  it('puts An Giang and Kon Tum side by side on the secretary-cum-chairman model, each figure cited', () => {
    const result = compareSides(corpus.snapshot, 'An Giang | Kon Tum: bí thư đồng thời là chủ tịch');
    checkFigures(result);
    if (result.kind !== 'comparison') return;
    expect(result.sides.map((s) => s.label)).toEqual(['An Giang', 'Kon Tum']);
    const xa = result.rows.find((r) => r.key === 'xa')!;
    expect(xa.sides[0].map((f) => f.text)).toContain('119/156 xã, phường, thị trấn (đạt 76,28%)');
    expect(xa.sides[1].some((f) => f.text.startsWith('03 xã, thị trấn'))).toBe(true);
    // A side without a figure for an indicator is empty, never borrowed from the other side.
    const oneSided = result.rows.filter((r) => r.sides.some((c) => c.length === 0));
    expect(oneSided.length).toBeGreaterThan(0);
    for (const row of oneSided) {
      const [empty, full] = row.sides[0].length === 0 ? [0, 1] : [1, 0];
      for (const f of row.sides[full as 0 | 1]) expect(result.sides[empty as 0 | 1].documents).not.toContain(f.citation.document);
    }
    const text = comparisonReplies(result, 'vi', '')
      .flatMap((r) => [...r.blocks.map((b) => b.text), ...r.citations.map((c) => `${c.title} ${c.section}`)])
      .join('\n');
    expect(text).toContain('không có số liệu');
    expect(text).toContain('[1]');
  });

  it('renders within three Telegram messages and numbers every source', () => {
    const messages = loadMessages();
    for (const args of ['An Giang | Kon Tum', 'An Giang | Kon Tum: bí thư đồng thời là chủ tịch', '303-BC/TU | 381-BC/TU', '2018 | 2019']) {
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
    const periods = compareSides(corpus.snapshot, '2018 | 2019');
    expect(periods.kind).toBe('comparison');
    if (periods.kind === 'comparison') expect(periods.sides.map((s) => s.kind)).toEqual(['period', 'period']);
    expect(compareSides(corpus.snapshot, 'An Giang')).toEqual({ kind: 'usage' });
    expect(compareSides(corpus.snapshot, 'An Giang | Hà Nội')).toEqual({ kind: 'unknown', side: 'Hà Nội' });
    const none = compareSides(corpus.snapshot, 'An Giang | Kon Tum: qwxyzzy');
    expect(none).toMatchObject({ kind: 'comparison', rows: [] });
    expect(comparisonReplies(none, 'vi', '')[0]!.blocks[0]!.text).toMatch(/Không tìm thấy số liệu/);
  });
});
