import { describe, expect, it } from 'vitest';
import { fold } from '../../src/ingest/normalize.js';
import { corpusFacts, figureIdentity, figureKind, sentenceFigureFacts, type SentenceRec } from '../../src/trainer/facts.js';
import { figureDistractors, generateQuiz } from '../../src/trainer/quiz.js';
import { seededRng } from '../../src/trainer/random.js';
import type { QuizQuestion } from '../../src/trainer/types.js';
import { checkQuizQuestion } from './checks.js';
import { useCorpus } from './helpers.js';

const corpus = useCorpus();

const checkQuestion = (q: QuizQuestion): void => checkQuizQuestion(corpus.snapshot, q);

describe('quiz generation on each report', () => {
  it('produces valid, cited, non-repeating questions for every document', () => {
    for (const doc of corpus.snapshot.documents) {
      const topic = doc.meta.number ?? doc.meta.id;
      for (const seed of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) {
        const { questions, scope } = generateQuiz(corpus.snapshot, { topic, count: 8, seed });
        expect(scope?.kind, topic).toBe('document');
        // The Đức Thọ article is short (a dozen sentences, few figures): fewer questions there.
        expect(questions.length, `${topic} seed ${seed}`).toBeGreaterThanOrEqual(doc.chunks.length < 10 ? 3 : 6);
        for (const q of questions) {
          checkQuestion(q);
          // Topic narrowing: every question comes from the chosen report.
          expect(q.citation.document).toBe(doc.meta.id);
        }
        expect(new Set(questions.map((q) => q.sentenceKey)).size).toBe(questions.length);
        expect(new Set(questions.map((q) => q.id)).size).toBe(questions.length);
      }
    }
  });

  it('mixes kinds over the whole corpus and never asks from reference-only footnotes or short fragments', () => {
    const { questions } = generateQuiz(corpus.snapshot, { count: 30, seed: 'mix' });
    expect(questions.length).toBe(30);
    const kinds = new Set(questions.map((q) => q.kind));
    for (const k of ['figure', 'truefalse', 'item', 'source']) expect(kinds.has(k as QuizQuestion['kind']), k).toBe(true);
    for (const q of questions) {
      checkQuestion(q);
      // Card questions quote the card ("Báo cáo số 303-BC/TU, 19/06/2018"); the others a real sentence.
      if (!['issuer', 'signer', 'year'].includes(q.kind)) expect(q.citation.quote.length).toBeGreaterThanOrEqual(40);
      expect(q.citation.quote).not.toMatch(/^Hướng dẫn số 28-HD\/BTCTU/);
    }
  });

  it('holds over long rounds across the whole corpus', () => {
    for (const seed of ['a', 'b', 'c']) {
      const { questions } = generateQuiz(corpus.snapshot, { count: 50, seed });
      expect(questions.length).toBeGreaterThanOrEqual(40);
      for (const q of questions) checkQuestion(q);
      expect(new Set(questions.map((q) => q.sentenceKey)).size).toBe(questions.length);
    }
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const a = generateQuiz(corpus.snapshot, { count: 6, seed: 42 }).questions;
    const b = generateQuiz(corpus.snapshot, { count: 6, seed: 42 }).questions;
    const c = generateQuiz(corpus.snapshot, { count: 6, seed: 43 }).questions;
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(JSON.stringify(c)).not.toBe(JSON.stringify(a));
  });

  it('excludes what a round already asked', () => {
    const first = generateQuiz(corpus.snapshot, { topic: 'An Giang', count: 5, seed: 7 }).questions;
    const exclude = first.flatMap((q) => [q.sentenceKey, q.id]);
    const second = generateQuiz(corpus.snapshot, { topic: 'An Giang', count: 5, seed: 7, exclude }).questions;
    expect(second.length).toBeGreaterThan(0);
    for (const q of second) expect(exclude).not.toContain(q.sentenceKey);
  });

  it('narrows by place, document number, year and keyword', () => {
    const angiang = generateQuiz(corpus.snapshot, { topic: 'An Giang', count: 6, seed: 1 });
    expect(angiang.scope?.kind).toBe('place');
    for (const q of angiang.questions) expect(q.citation.document).toBe('ttxvn-2019-an-giang-nhan-rong-mo-hinh');

    const r381 = generateQuiz(corpus.snapshot, { topic: '381-BC/TU', count: 6, seed: 1 });
    for (const q of r381.questions) expect(q.citation.document).toBe('kontum-381-BC-TU-2019-so-ket-bi-thu-dong-thoi-chu-tich-xa');

    const folded = generateQuiz(corpus.snapshot, { topic: 'an giang', count: 3, seed: 1 });
    expect(folded.questions.length).toBeGreaterThan(0);
    for (const q of folded.questions) expect(q.citation.document).toBe('ttxvn-2019-an-giang-nhan-rong-mo-hinh');

    const pet = generateQuiz(corpus.snapshot, { topic: 'Đăk Pét', count: 3, seed: 1 });
    expect(pet.questions.length).toBeGreaterThan(0);
    for (const q of pet.questions) expect(corpus.snapshot.chunkById.get(q.citation.chunkId)!.text).toMatch(/Đăk Pét/);

    const year = generateQuiz(corpus.snapshot, { topic: '2018', count: 3, seed: 1 });
    for (const q of year.questions) expect(q.citation.document).toBe('kontum-303-BC-TU-2018-tong-ket-nghi-quyet-22');

    const keyword = generateQuiz(corpus.snapshot, { topic: 'chi bộ quân sự', count: 3, seed: 1 });
    expect(keyword.questions.length).toBeGreaterThan(0);
    for (const q of keyword.questions) {
      const c = corpus.snapshot.chunkById.get(q.citation.chunkId)!;
      expect(fold([c.text, ...c.metadata.sectionPath].join(' '))).toContain('chi bo quan su');
    }

    expect(generateQuiz(corpus.snapshot, { topic: 'Hà Nội', count: 3 }).scope).toBeUndefined();
    expect(generateQuiz(corpus.snapshot, { topic: 'qwxyzzy', count: 3 }).questions).toEqual([]);
  });
});

describe('figure distractors', () => {
  const sentenceWith = (text: string): SentenceRec => {
    const doc = corpus.snapshot.documents[0]!;
    return { chunk: doc.chunks[0]!, doc, text, start: 0, key: `test@${text}`, folded: fold(text), quizable: true };
  };
  const cases: [string, string, RegExp][] = [
    ['Tỉnh có 27.023 đảng viên trong toàn Đảng bộ.', '27.023', /^\d{1,3}(\.\d{3})+$/],
    // Other places' figures for the same indicator (13/13 xã) are fair distractors too.
    ['Toàn tỉnh có 119/156 xã, phường, thị trấn thực hiện mô hình.', '119/156', /^\d+\/\d+$/],
    ['Kết quả đạt 76,28% so với kế hoạch của tỉnh đề ra.', '76,28%', /^\d{1,2},\d{2}%$/],
    ['Chọn 03 đơn vị thực hiện thí điểm trong toàn tỉnh.', '03', /^0\d$/],
    ['Đã luân chuyển 311 lượt cán bộ về cơ sở trong nhiệm kỳ.', '311', /^\d{3}$/],
  ];
  for (const [text, raw, shape] of cases) {
    it(`keeps the format of ${raw}`, () => {
      const fact = sentenceFigureFacts(sentenceWith(text)).find((f) => f.raw === raw)!;
      expect(fact).toBeDefined();
      for (const seed of [1, 2, 3, 4, 5]) {
        const wrong = figureDistractors(fact, corpusFacts(corpus.snapshot), seededRng(seed));
        expect(wrong).toHaveLength(3);
        expect(new Set(wrong.map(figureIdentity)).size).toBe(3);
        for (const w of wrong) {
          expect(w, `${raw} → ${w}`).toMatch(shape);
          expect(figureIdentity(w)).not.toBe(figureIdentity(raw));
          expect(figureKind(w)).toBe(fact.kind);
        }
      }
    });
  }

  it('finds units after figures, including lists of administrative units', () => {
    const facts = sentenceFigureFacts(sentenceWith('Toàn tỉnh An Giang hiện có 119/156 xã, phường, thị trấn (đạt 76,28%) và 03 xã, thị trấn thí điểm.'));
    expect(facts.map((f) => [f.raw, f.unit, f.unitKey])).toEqual([
      ['119/156', 'xã, phường, thị trấn', 'xa'],
      ['76,28%', '%', '%'],
      ['03', 'xã, thị trấn', 'xa'],
    ]);
  });

  it('does not treat labels, dates and document codes as figures', () => {
    const facts = sentenceFigureFacts(sentenceWith('Theo Hướng dẫn số 28-HD/BTCTU, ngày 07-5-2009 (Biểu số 5), Hội nghị Trung ương 6 khóa X, nhiệm kỳ 2015-2020.'));
    expect(facts.map((f) => f.raw)).toEqual([]);
  });
});

describe('stems', () => {
  it('never give the answer away in the source label or elsewhere in the passage', () => {
    const { questions } = generateQuiz(corpus.snapshot, { count: 40, seed: 'leak' });
    for (const q of questions) {
      if (q.kind === 'truefalse' || q.kind === 'figure') continue;
      expect(fold(q.text), q.text).not.toContain(fold(q.options[q.answer]!));
    }
  });
});
