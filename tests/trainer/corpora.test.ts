import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReportAssistant } from '../../src/app/assistant.js';
import { evalSets, materializeCorpus } from '../../src/app/evalSets.js';
import { loadMessages } from '../../src/bot/messages.js';
import { renderReply, TELEGRAM_MAX_MESSAGE_CHARS } from '../../src/channels/telegram/format.js';
import { localEmbedderFactory } from '../../src/index/embedder.js';
import type { IndexSnapshot } from '../../src/index/store.js';
import { sectionLabel } from '../../src/ingest/structure.js';
import { compareSides } from '../../src/trainer/compare.js';
import { corpusFacts } from '../../src/trainer/facts.js';
import { trainerLanguage } from '../../src/trainer/language.js';
import { generateQuiz } from '../../src/trainer/quiz.js';
import { parseQuizTopic } from '../../src/trainer/quizTeach.js';
import { comparisonReplies, summaryReplies } from '../../src/trainer/render.js';
import { bulletSpans, summarizeReport } from '../../src/trainer/summary.js';
import type { ComparisonResult, QuestionKind } from '../../src/trainer/types.js';
import { repoRoot } from '../helpers.js';
import { checkQuizQuestion } from './checks.js';

/**
 * The trainer over the shipped reports and, when ../shared/eval/dev2 is there, its documents
 * too (as CI has it): quizzes, summaries and comparisons must hold for reports the code was not
 * written against. Everything is derived from the documents' own cards, never from their names.
 */

const dev2 = evalSets(repoRoot).dev2;
const dev2Here = dev2.corpusDirs.every((d) => existsSync(d));
const corpusDirForTest = dev2Here ? materializeCorpus(dev2) : join(repoRoot, 'corpus');

let dir: string | undefined;
let snapshot: IndexSnapshot | undefined;
const snap = (): IndexSnapshot => {
  if (!snapshot) throw new Error('index not open');
  return snapshot;
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trainer-corpora-'));
  snapshot = (await ReportAssistant.open({ corpusDir: corpusDirForTest, indexDir: join(dir, 'index'), embedderFactory: localEmbedderFactory() })).index;
}, 120_000);
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const topicOf = (d: IndexSnapshot['documents'][number]) => d.meta.number ?? d.meta.id;

describe('quizzes over both corpora', () => {
  it('every question of every document has one right option in its cited passage and distractors of its kind', () => {
    for (const doc of snap().documents) {
      for (const seed of [1, 2, 3]) {
        const { questions } = generateQuiz(snap(), { topic: topicOf(doc), count: 8, seed });
        expect(questions.length, `${doc.meta.id} seed ${seed}`).toBeGreaterThanOrEqual(3);
        for (const q of questions) {
          checkQuizQuestion(snap(), q);
          expect(q.citation.document).toBe(doc.meta.id);
        }
        expect(new Set(questions.map((q) => q.sentenceKey)).size).toBe(questions.length);
      }
    }
  });

  it('asks on what reports teach, who signed and which body issued, and ranks localities', () => {
    const wanted: QuestionKind[] = ['item', 'source', 'signer', 'issuer', 'year', ...(dev2Here ? (['compare'] as const) : [])];
    // "Ai ký / cơ quan nào ban hành văn bản số X?" needs another signer or issuer for a wrong option:
    // the shipped reports alone have one of each.
    const distinct = (field: 'signer' | 'issuer') => new Set(snap().documents.filter((d) => d.meta.number && d.meta[field]).map((d) => d.meta[field])).size;
    const minimum = (kind: QuestionKind) => (kind === 'compare' ? 1 : (kind === 'signer' || kind === 'issuer') && distinct(kind) < 2 ? 0 : 2);
    for (const kind of wanted) {
      const { questions } = generateQuiz(snap(), { count: 12, seed: `kind-${kind}`, kinds: [kind] });
      expect(questions.length, kind).toBeGreaterThanOrEqual(minimum(kind));
      if (minimum(kind) === 0) expect(questions, 'no question without a wrong option').toEqual([]);
      for (const q of questions) {
        expect(q.kind).toBe(kind);
        checkQuizQuestion(snap(), q);
      }
    }
  });

  it('never asks about table rows, number/date lines or reference-only footnotes', () => {
    const facts = corpusFacts(snap());
    const furniture = facts.sentences.filter((s) => s.chunk.metadata.kind === 'table' || /^Số\s+\d+[-/]\p{Lu}/u.test(s.text));
    for (const s of furniture) expect(s.quizable, s.text).toBe(false);
    for (const seed of ['x', 'y']) {
      for (const q of generateQuiz(snap(), { count: 50, seed }).questions) checkQuizQuestion(snap(), q);
    }
  });

  it('picks kinds from the words of the topic', () => {
    expect(parseQuizTopic('bài học 412-BC/TU')).toEqual({ topic: '412-BC/TU', kinds: ['item'] });
    expect(parseQuizTopic('số liệu').kinds).toEqual(['figure', 'compare', 'truefalse']);
    expect(parseQuizTopic('An Giang')).toEqual({ topic: 'An Giang', kinds: [] });
    const lessons = generateQuiz(snap(), { topic: 'bài học', count: 6, seed: 1 }).questions;
    expect(lessons.length).toBeGreaterThan(0);
    for (const q of lessons) expect(q.kind).toBe('item');
    const figures = generateQuiz(snap(), { topic: 'số liệu', count: 6, seed: 1 }).questions;
    expect(figures.length).toBeGreaterThan(0);
    for (const q of figures) expect(['figure', 'compare', 'truefalse']).toContain(q.kind);
  });
});

function checkRows(result: ComparisonResult, args: string): void {
  if (result.kind !== 'comparison') return;
  for (const row of result.rows) {
    expect(row.sides.length, args).toBe(result.sides.length);
    const filled = row.sides.flat();
    // Like with like: one indicator (measure, status, unit) on every side of a row.
    for (const f of filled) {
      expect(f.indicator, `${args}: ${f.text}`).toBe(row.key);
      expect(f.status).toBe(row.status);
      expect(f.unitKey).toBe(filled[0]!.unitKey);
      const chunk = snap().chunkById.get(f.citation.chunkId)!;
      expect(chunk.text).toContain(f.citation.quote);
      expect(f.citation.quote).toContain(f.text);
    }
    // Without a topic only indicators every side reports are shown.
    if (!result.topic) for (const cell of row.sides) expect(cell.length, args).toBeGreaterThan(0);
  }
}

describe('comparisons over both corpora', () => {
  it('pair figures of the same unit and status on every side, for documents, places and years', () => {
    const numbered = snap().documents.filter((d) => d.meta.number);
    const argsList: string[] = [];
    for (let i = 0; i + 1 < numbered.length; i++) argsList.push(`${numbered[i]!.meta.number} | ${numbered[i + 1]!.meta.number}`);
    if (numbered.length >= 3) argsList.push(`${numbered[0]!.meta.number} | ${numbered[1]!.meta.number} | ${numbered[2]!.meta.number}`);
    const places = [...new Set(snap().documents.map((d) => d.meta.place).filter((p): p is string => Boolean(p)))];
    for (let i = 0; i + 1 < places.length; i++) argsList.push(`${places[i]} | ${places[i + 1]}`, `${places[i]} | ${places[i + 1]}: đảng viên`);
    // One place over time, wherever two reports of one place have different years.
    for (const p of places) {
      const years = [...new Set(snap().documents.filter((d) => d.meta.place === p).map((d) => d.meta.date?.slice(0, 4)).filter(Boolean))];
      if (years.length >= 2) argsList.push(`${years[0]} | ${years[1]}`, `${p} ${years[0]} | ${p} ${years[1]}`);
    }
    const messages = loadMessages();
    let rows = 0;
    for (const args of argsList) {
      const result = compareSides(snap(), args);
      expect(['comparison', 'noCommonPlace'], args).toContain(result.kind);
      checkRows(result, args);
      if (result.kind === 'comparison') rows += result.rows.length;
      const rendered = comparisonReplies(result, 'vi', '').flatMap((r) => renderReply(r, messages));
      expect(rendered.length, args).toBeLessThanOrEqual(3);
      for (const m of rendered) expect(m.html.length).toBeLessThanOrEqual(TELEGRAM_MAX_MESSAGE_CHARS);
    }
    expect(rows).toBeGreaterThan(0);
  });
});

describe('summaries over both corpora', () => {
  it('fit one message by default and three in full, citing every section they name', () => {
    const messages = loadMessages();
    for (const doc of snap().documents) {
      for (const suffix of ['', ' đầy đủ']) {
        const result = summarizeReport(snap(), `${doc.meta.id}${suffix}`);
        expect(result.kind, doc.meta.id).toBe('summary');
        if (result.kind !== 'summary') continue;
        expect(result.summary.full).toBe(suffix !== '');
        for (const section of result.summary.sections) {
          expect(section.lines.length, section.path.join(' › ')).toBeGreaterThan(0);
          for (const line of section.lines) {
            expect(line.citation.section).toBe(sectionLabel(section.path));
            const chunk = snap().chunkById.get(line.citation.chunkId)!;
            expect(chunk.text).toContain(line.citation.quote);
            expect(line.citation.quote.startsWith(line.text.replace(/…$/, ''))).toBe(true);
          }
        }
        const rendered = summaryReplies(result, 'vi').flatMap((r) => renderReply(r, messages));
        expect(rendered.length, doc.meta.id).toBeLessThanOrEqual(suffix ? 3 : 1);
        for (const m of rendered) expect(m.html.length, doc.meta.id).toBeLessThan(TELEGRAM_MAX_MESSAGE_CHARS);
        const lines = rendered.map((m) => m.html).join('\n');
        // Every section heading shown has its reference on the lines under it.
        for (const section of result.summary.sections) expect(lines).toContain(`[${section.ref}]`);
      }
    }
  });

  it('keep lessons or recommendations of reports that have them', () => {
    for (const doc of snap().documents) {
      const has = doc.sections.some((s) => /bài học|kiến nghị|đề xuất/iu.test(s.path.join(' ')));
      const result = summarizeReport(snap(), doc.meta.id);
      if (!has || result.kind !== 'summary') continue;
      const roles = new Set(result.summary.sections.map((s) => s.role));
      expect(roles.has('lessons') || roles.has('recommendations'), doc.meta.id).toBe(true);
    }
  });

  it('never split a sentence at the dash inside a name or a range', () => {
    const text = 'Phòng Tổ chức - Nội vụ huyện đã tham mưu giai đoạn 2017 - 2021 đạt kết quả. - Việc bố trí cán bộ còn khó khăn; - Nguồn cán bộ còn thiếu.';
    const spans = bulletSpans(text).map((s) => text.slice(s.start, s.end));
    expect(spans).toEqual(['Phòng Tổ chức - Nội vụ huyện đã tham mưu giai đoạn 2017 - 2021 đạt kết quả.', 'Việc bố trí cán bộ còn khó khăn;', 'Nguồn cán bộ còn thiếu.']);
  });
});

describe('trainer language', () => {
  it('follows what the user wrote, not the alias', () => {
    expect(trainerLanguage('')).toBe('vi');
    expect(trainerLanguage('bài học Hà Sơn')).toBe('vi');
    expect(trainerLanguage('an giang')).toBe('vi');
    expect(trainerLanguage('what are the lessons of the report')).toBe('en');
  });
});
