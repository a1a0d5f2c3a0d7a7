import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { answerJson } from '../../src/answer/format.js';
import { scoreAnswers, type QaItem } from '../../src/answer/scoring.js';
import { corpusAssistant, repoRoot } from '../helpers.js';

// The development question set lives beside the repository (../shared/eval), as in CI.
const devPath = path.join(repoRoot, '..', 'shared', 'eval', 'dev.jsonl');

/** Answers every question of a JSONL set with the offline assistant and scores the answers. */
async function scoreFile(file: string) {
  const items = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as QaItem);
  const assistant = await corpusAssistant();
  const answers = [];
  for (const item of items) answers.push(answerJson((await assistant.ask(item.question)).answer));
  return scoreAnswers(items, answers);
}

describe('dev question set', () => {
  it.skipIf(!existsSync(devPath))('scores at least 90% by the shared rules', async () => {
    const r = await scoreFile(devPath);
    expect(r.passed / r.total, JSON.stringify(r.failures)).toBeGreaterThanOrEqual(0.9);
  });
});

describe('our own regression questions (eval/extra.jsonl)', () => {
  it('score at least 90%: paraphrases, no-diacritic, English, footnotes, refusals', async () => {
    const r = await scoreFile(path.join(repoRoot, 'eval', 'extra.jsonl'));
    expect(r.passed / r.total, JSON.stringify(r.failures)).toBeGreaterThanOrEqual(0.9);
  });
});

describe('scorer', () => {
  it('applies the matching rules of the reference scorer', () => {
    const items: QaItem[] = [
      { id: 'a', question: 'q1', facts: ['119/156', ['76,28%', '76.28%']], source: ['Nhân rộng'], section: ['Thành quả'] },
      { id: 'b', question: 'q2', answerable: false },
      { id: 'c', question: 'q3', facts: ['chú thích 1'], source: ['381'] },
    ];
    const r = scoreAnswers(items, [
      { question: 'q1', answered: true, answer: 'An Giang: 119/156 (76.28%)', citations: [{ document: 'x', title: 'Nhan rong mo hinh', section: 'Thanh qua buoc dau', quote: '' }] },
      { question: 'q2', answered: false, answer: '', citations: [] },
      { question: 'q3', answered: true, answer: 'xem chú thích 12', citations: [{ document: '381', title: '', section: '', quote: '' }] },
    ]);
    expect(r.passed).toBe(2);
    expect(r.failures).toEqual([{ id: 'c', why: 'facts missing' }]);
  });
});
