import { beforeAll, describe, expect, it } from 'vitest';
import type { ReportAssistant } from '../../src/app/assistant.js';
import { coverage } from '../../src/retrieval/hybrid.js';
import { figureMatches, unitNearNumber } from '../../src/retrieval/figures.js';
import { corpusAssistant, DOC } from '../helpers.js';

let assistant: ReportAssistant;
beforeAll(async () => {
  assistant = await corpusAssistant();
});

describe('hybrid retrieval', () => {
  it('fuses lexical and vector results and ranks the answering passage first', async () => {
    const { retrieved } = await assistant.retrieve('Kon Tum có bao nhiêu chi bộ quân sự xã, phường, thị trấn?');
    expect(retrieved[0]!.chunk.text).toContain('99 chi bộ quân sự/102 xã, phường, thị trấn');
  });

  it('requires the named place to match the passage, its section or its document', async () => {
    const { retrieved } = await assistant.retrieve('Đức Thọ giảm được bao nhiêu đầu mối?');
    expect(retrieved[0]!.chunk.metadata.documentId).toBe(DOC.ducTho);
    for (const r of retrieved.slice(0, 3)) expect(r.entityMatch).toBeGreaterThan(0.5);
    const otherPlace = retrieved.find((r) => r.chunk.metadata.documentId === DOC.anGiang);
    if (otherPlace) expect(otherPlace.score).toBeLessThan(retrieved[0]!.score / 2);
  });

  it('favours passages with figures for "how many" questions', async () => {
    const { retrieved } = await assistant.retrieve('Từ năm 2008 đến quý I-2018 đã thi hành kỷ luật bao nhiêu đảng viên?');
    expect(retrieved[0]!.chunk.text).toContain('1.393');
  });

  it('brings in the footnote for the sentence it annotates, and ranks it by its anchor', async () => {
    const { retrieved } = await assistant.retrieve('Bí thư Đảng ủy xã Đăk Pét được bầu với bao nhiêu phiếu?');
    expect(retrieved[0]!.chunk.metadata.footnote).toBe(4);
    // Footnotes 5 and 6 annotate other communes: they rank below.
    const fn5 = retrieved.findIndex((r) => r.chunk.metadata.footnote === 5);
    expect(fn5 === -1 || fn5 > 0).toBe(true);
  });

  it('measures coverage through the best alternative of each concept', () => {
    const groups = [
      { label: 'a', alternatives: [['ubnd'], ['uy', 'ban', 'uy_ban']], weight: 2 },
      { label: 'b', alternatives: [['xa']], weight: 1 },
    ];
    expect(coverage(groups, new Set(['uy', 'ban', 'uy_ban', 'xa']))).toBeCloseTo(1);
    expect(coverage(groups, new Set(['xa']))).toBeCloseTo(1 / 3);
    expect(coverage(groups, new Set(['xa']), new Set(['ubnd']), 0.5)).toBeCloseTo((1 + 2 * 0.5) / 3);
  });
});

describe('figures', () => {
  it('skips years, dates and document codes', () => {
    const text = 'Nghị quyết số 22-NQ/TW, ngày 02-02-2008, năm 2019: có 119/156 xã (đạt 76,28%) và 27.023 đảng viên.';
    expect(figureMatches(text).map((m) => m[0].trim())).toEqual(['119/156', '76,28%', '27.023']);
  });

  it('links a unit to a nearby figure', () => {
    expect(unitNearNumber('kết nạp được 12.668 đảng viên', ['dang', 'vien'])).toBe(true);
    expect(unitNearNumber('tổng số đảng viên của Đảng bộ tỉnh lên 26.773 đồng chí', ['dang', 'vien'])).toBe(true);
    expect(unitNearNumber('Nghị quyết 22-NQ/TW của Đảng', ['dang', 'vien'])).toBe(false);
  });
});
