import { expect } from 'vitest';
import { splitSigner } from '../../src/answer/documentDetails.js';
import { fold } from '../../src/ingest/normalize.js';
import type { IndexSnapshot } from '../../src/index/store.js';
import { corpusFacts, figureIdentity, figureKind, shortLabel } from '../../src/trainer/facts.js';
import { optionEvidence } from '../../src/trainer/quizTeach.js';
import { POLL_LIMITS, quizPollFor } from '../../src/trainer/render.js';
import type { QuizQuestion } from '../../src/trainer/types.js';

/**
 * What every quiz question must be, whatever its kind and corpus: one right option that the
 * cited passage (or the document card) contains, distinct distractors of the same kind, Telegram
 * limits kept, and nothing asked about page furniture.
 */

const DOC_NUMBER_SUFFIX = /^\d+(.*)$/;
const CLOZE = new Set(['figure', 'place', 'docnumber', 'body']);

function checkCommon(q: QuizQuestion): void {
  expect(Number.isInteger(q.answer)).toBe(true);
  expect(q.answer).toBeGreaterThanOrEqual(0);
  expect(q.answer).toBeLessThan(q.options.length);
  const folded = q.options.map((o) => fold(o).trim());
  expect(new Set(folded).size, JSON.stringify(q.options)).toBe(q.options.length);
  expect(q.text.length).toBeLessThanOrEqual(POLL_LIMITS.question);
  // Cut at a word boundary: "…" never follows half a word of a longer one.
  expect(q.text).not.toMatch(/\p{L}…\p{L}/u);
  for (const o of q.options) expect(o.length).toBeLessThanOrEqual(POLL_LIMITS.option);
  const poll = quizPollFor(q, 'vi');
  expect(poll.explanation.length).toBeLessThanOrEqual(POLL_LIMITS.explanation);
  expect(poll.correctOptionId).toBe(q.answer);
  expect(poll.options.length).toBeGreaterThanOrEqual(POLL_LIMITS.minOptions);
}

/** Questions from the document card: the answer is the card's own field, the others other documents'. */
function checkCard(snapshot: IndexSnapshot, q: QuizQuestion): void {
  const doc = snapshot.documentById.get(q.citation.document)!;
  expect(doc).toBeDefined();
  const valueOf = (meta: typeof doc.meta) =>
    q.kind === 'issuer' ? meta.issuer : q.kind === 'year' ? /^\d{4}/.exec(meta.date ?? '')?.[0] : meta.signer ? splitSigner(meta.signer).name : undefined;
  const right = q.options[q.answer]!;
  expect(right).toBe(valueOf(doc.meta));
  expect(q.citation.quote).toContain(right);
  const others = new Set(snapshot.documents.filter((d) => d !== doc).map((d) => valueOf(d.meta)));
  for (const o of q.options) {
    if (o === right) continue;
    // Years may be neighbours of the right one; names and bodies are always other documents'.
    if (q.kind === 'year') expect(o).toMatch(/^(19|20)\d{2}$/);
    else expect(others.has(o), o).toBe(true);
  }
}

export function checkQuizQuestion(snapshot: IndexSnapshot, q: QuizQuestion): void {
  checkCommon(q);
  if (q.kind === 'issuer' || q.kind === 'signer' || q.kind === 'year') return checkCard(snapshot, q);
  const chunk = snapshot.chunkById.get(q.citation.chunkId);
  expect(chunk, q.id).toBeDefined();
  expect(chunk!.text).toContain(q.citation.quote);
  expect(q.citation.document).toBe(chunk!.metadata.documentId);
  expect(q.citation.title.length).toBeGreaterThan(0);
  expect(q.citation.section.length).toBeGreaterThan(0);
  expect(q.explanation).toContain(q.citation.quote);
  // No questions on furniture: table rows, number/date lines, bare references.
  expect(chunk!.metadata.kind).not.toBe('table');
  expect(q.citation.quote).not.toMatch(/^Số\s+\d+[-/][\p{Lu}]/u);
  // The evidence is in the cited passage.
  expect(fold(q.citation.quote)).toContain(fold(q.evidence));

  if (q.kind === 'truefalse') {
    expect(q.options).toHaveLength(2);
    expect(q.statement).toBeDefined();
    if (q.statementTrue) {
      expect(q.answer).toBe(0);
      expect(q.citation.quote).toContain(q.statement!);
    } else {
      expect(q.answer).toBe(1);
      expect(q.citation.quote).not.toContain(q.statement!);
    }
    return;
  }

  expect(q.options.length).toBeGreaterThanOrEqual(3);
  const right = q.options[q.answer]!;
  if (q.kind !== 'source') {
    expect(optionEvidence(right)).toBe(q.evidence);
    expect(fold(q.citation.quote)).toContain(fold(optionEvidence(right)));
  } else expect(q.evidence).toBe(q.citation.quote);
  const wrong = q.options.filter((_, i) => i !== q.answer);
  if (CLOZE.has(q.kind)) expect(q.text).toContain('____');
  if (q.kind === 'figure') {
    expect(q.figureKind).toBeDefined();
    for (const o of q.options) expect(figureKind(o), `${o} in ${JSON.stringify(q.options)}`).toBe(q.figureKind);
    const ids = q.options.map(figureIdentity);
    expect(new Set(ids).size).toBe(ids.length);
  }
  if (q.kind === 'place' || q.kind === 'compare') {
    const places = new Set(corpusFacts(snapshot).placeDisplay.values());
    for (const o of q.options) expect(places.has(o), o).toBe(true);
  }
  if (q.kind === 'compare') {
    // Every option is a place of the sentence: the question compares what the passage lists.
    for (const o of q.options) expect(q.citation.quote).toContain(o);
  }
  if (q.kind === 'docnumber') {
    const suffix = DOC_NUMBER_SUFFIX.exec(right)?.[1];
    for (const o of wrong) expect(DOC_NUMBER_SUFFIX.exec(o)?.[1]).toBe(suffix);
  }
  if (q.kind === 'body') {
    for (const o of wrong) expect(fold(q.citation.quote)).not.toContain(fold(o));
  }
  if (q.kind === 'item') {
    // The wrong options are not named in the section the right one comes from.
    const section = chunk!.metadata.sectionPath.join(' › ');
    const doc = snapshot.documentById.get(q.citation.document)!;
    const sectionText = fold(doc.chunks.filter((c) => c.metadata.sectionPath.join(' › ') === section).map((c) => c.text).join(' '));
    for (const o of wrong) expect(sectionText, o).not.toContain(fold(optionEvidence(o)));
  }
  if (q.kind === 'source') {
    const labels = new Map(snapshot.documents.map((d) => [d.meta.id, shortLabel(d)]));
    expect(right.replace(/…$/, '')).toBe(labels.get(q.citation.document)!.slice(0, right.replace(/…$/, '').length));
    for (const o of q.options) expect([...labels.values()].some((l) => l.startsWith(o.replace(/…$/, ''))), o).toBe(true);
  }
}
