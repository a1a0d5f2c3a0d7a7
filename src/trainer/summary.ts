import { citationFor } from '../answer/extractive.js';
import { fold } from '../ingest/normalize.js';
import { splitSentences } from '../ingest/sentences.js';
import type { ParsedDocument } from '../ingest/types.js';
import type { IndexSnapshot } from '../index/store.js';
import { indexTermSet } from '../index/tokenizer.js';
import { isReferenceOnly, sentenceFigureFacts, type SentenceRec } from './facts.js';
import { documentsByReference, resolveScope, topicTokens } from './scope.js';
import type { ReportSummary, SectionRole, SummaryLine, SummaryResult, SummarySection } from './types.js';

/**
 * /tomtat: a structured, cited summary of one report built from its own sentences. For each
 * section the most salient sentences are kept: those with figures, or with the terms that set
 * the section apart from the rest of the corpus (high tf·idf). Lessons, recommendations and
 * tasks sections are always covered first. The whole text is budgeted to fit in three Telegram
 * messages (≤ 3 × 4096 characters including markup).
 */

/** Text budget of the summary body; leaves room for headings, markup and the message split. */
export const SUMMARY_TEXT_BUDGET = 9_500;
export const LINE_MAX_CHARS = 260;

export interface SummaryOptions {
  budget?: number;
  /** Lines per ordinary section (lessons/recommendations/tasks get one more). */
  linesPerSection?: number;
}

export function sectionRole(path: readonly string[]): SectionRole {
  const f = fold(path.join(' | '));
  if (f.includes('bai hoc')) return 'lessons';
  if (f.includes('kien nghi') || f.includes('de xuat') || /\bde nghi\b/.test(f)) return 'recommendations';
  if (/nhi[e]?m vu/.test(f) && f.includes('giai phap')) return 'tasks';
  return 'body';
}

/** "II. KẾT QUẢ …" › "2.1. Kết quả …" → "II › 2.1"; unnumbered headings are shortened instead. */
export function sectionRef(path: readonly string[], footnote?: number): string {
  const parts = path.map((h) => {
    const num = /^\s*([IVXLC]+|\d+(?:\.\d+)*)[.)]\s/.exec(h)?.[1];
    if (num) return num;
    return h.length > 28 ? `${h.slice(0, 26).trimEnd()}…` : h;
  });
  const ref = parts.join(' › ') || 'Mở đầu';
  return footnote !== undefined ? `${ref} › chú thích ${footnote}` : ref;
}

/** Shortens a sentence at a word boundary; the kept part is verbatim source text. */
export function shorten(text: string, max = LINE_MAX_CHARS): string {
  if (text.length <= max) return text;
  const cut = text.lastIndexOf(' ', max - 1);
  return `${text.slice(0, cut > max / 2 ? cut : max - 1).replace(/[\s,;:]+$/, '')}…`;
}

export function pickDocument(snapshot: IndexSnapshot, query: string): ParsedDocument | ParsedDocument[] {
  const q = query.trim();
  if (!q) return snapshot.documents;
  const byRef = documentsByReference(snapshot, q);
  if (byRef.length === 1) return byRef[0]!;
  if (byRef.length > 1) return byRef;
  const tokens = topicTokens(q);
  const titled = snapshot.documents.filter((d) => {
    const t = new Set(topicTokens([d.meta.title, d.meta.heading, d.meta.id, d.meta.place ?? '', d.meta.issuer ?? '', d.meta.outlet ?? ''].join(' ')));
    return tokens.every((w) => t.has(w));
  });
  if (titled.length === 1) return titled[0]!;
  if (titled.length > 1) return titled;
  const scope = resolveScope(snapshot, q);
  const docs = scope && scope.kind !== 'all' ? snapshot.documents.filter((d) => scope.documents.has(d.meta.id)) : [];
  if (docs.length === 1) return docs[0]!;
  return docs;
}

/**
 * Sentences, further cut at inline list dashes ("… rõ rệt. - Việc triển khai …"): the reports
 * run list items together in one paragraph, and a summary line should be one item. The leading
 * dash is dropped; the rest is verbatim.
 */
function bulletSpans(text: string): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  for (const span of splitSentences(text)) {
    let start = span.start;
    const body = text.slice(span.start, span.end);
    for (const m of body.matchAll(/(?:^|\s)[-–•]\s+(?=[\p{Lu}\d])/gu)) {
      const at = span.start + (m.index ?? 0);
      if (at > start) out.push({ start, end: at });
      start = at + m[0].length;
    }
    if (span.end > start) out.push({ start, end: span.end });
  }
  return out
    .map((s) => {
      let { start, end } = s;
      while (start < end && /[\s\-–•]/.test(text[start]!)) start++;
      while (end > start && /\s/.test(text[end - 1]!)) end--;
      return { start, end };
    })
    .filter((s) => s.end > s.start);
}

interface Candidate {
  rec: SentenceRec;
  score: number;
  hasFigure: boolean;
  order: number;
}

function sectionCandidates(snapshot: IndexSnapshot, doc: ParsedDocument, pathKey: string): Candidate[] {
  const chunks = doc.chunks.filter((c) => c.metadata.kind === 'body' && c.metadata.sectionPath.join(' › ') === pathKey);
  const sentences: SentenceRec[] = [];
  for (const chunk of chunks) {
    for (const span of bulletSpans(chunk.text)) {
      const text = chunk.text.slice(span.start, span.end);
      if (text.length < 40 || isReferenceOnly(text)) continue;
      sentences.push({ chunk, doc, text, start: span.start, key: `${chunk.id}@${span.start}`, folded: fold(text), quizable: true });
    }
  }
  if (!sentences.length) return [];
  // The section's own key terms: frequent here, rare in the corpus.
  const tf = new Map<string, number>();
  for (const s of sentences) for (const t of indexTermSet(s.text)) tf.set(t, (tf.get(t) ?? 0) + 1);
  const weighted = [...tf.entries()]
    .filter(([t]) => !/^\d/.test(t))
    .map(([t, n]) => [t, n * snapshot.termStats.idf(t)] as const)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 15);
  const key = new Map(weighted);
  const raw = sentences.map((rec, order) => {
    const terms = indexTermSet(rec.text);
    let keyScore = 0;
    for (const t of terms) keyScore += key.get(t) ?? 0;
    // Long sentences collect more terms by sheer length; damp that.
    keyScore /= 1 + Math.log1p(rec.text.length / 200);
    const hasFigure = sentenceFigureFacts(rec).some((f) => f.unitKey !== '');
    return { rec, keyScore, hasFigure, order };
  });
  const max = Math.max(...raw.map((r) => r.keyScore), 1e-9);
  return raw.map((r) => ({ rec: r.rec, hasFigure: r.hasFigure, order: r.order, score: r.keyScore / max + (r.hasFigure ? 0.6 : 0) + (r.order === 0 ? 0.1 : 0) }));
}

function lineKind(role: SectionRole, hasFigure: boolean): SummaryLine['kind'] {
  if (role === 'lessons') return 'lesson';
  if (role === 'recommendations' || role === 'tasks') return 'recommendation';
  return hasFigure ? 'figure' : 'finding';
}

/** Rendered size of a line or heading, as the plain-text renderer lays it out. */
const lineCost = (text: string, ref: string) => text.length + ref.length + 6;
const headingCost = (heading: string) => Math.min(heading.length, 160) + 4;

export function summarizeDocument(snapshot: IndexSnapshot, doc: ParsedDocument, options: SummaryOptions = {}): ReportSummary {
  const budget = options.budget ?? SUMMARY_TEXT_BUDGET;
  const sections = doc.sections.map((s) => {
    const pathKey = s.path.join(' › ');
    const role = sectionRole(s.path);
    const ranked = sectionCandidates(snapshot, doc, pathKey).sort((a, b) => b.score - a.score);
    return { path: s.path, ref: sectionRef(s.path), role, ranked, chosen: [] as Candidate[], shown: false };
  });
  // Articles without headings have one section: give it room for more than two lines.
  const withContent = sections.filter((s) => s.ranked.length > 0).length;
  const perSection = options.linesPerSection ?? (withContent <= 2 ? 6 : withContent <= 6 ? 3 : 2);
  let used = 0;
  const show = (i: number): boolean => {
    // A section's heading and the headings of its parents (once each) are part of the cost.
    const s = sections[i]!;
    if (s.shown) return true;
    const parents = sections.filter((p) => !p.shown && p.path.length < s.path.length && p.path.every((h, k) => s.path[k] === h));
    const cost = [...parents, s].reduce((n, p) => n + headingCost(p.path.at(-1) ?? ''), 0);
    if (used + cost > budget) return false;
    used += cost;
    for (const p of [...parents, s]) p.shown = true;
    return true;
  };
  const priority = sections.map((s, i) => ({ s, i })).sort((a, b) => Number(a.s.role === 'body') - Number(b.s.role === 'body') || a.i - b.i);
  const maxLines = (role: SectionRole) => (role === 'body' ? perSection : perSection + 1);
  for (let round = 0; round < perSection + 1; round++) {
    for (const { s, i } of priority) {
      const next = s.ranked[round];
      if (!next || round >= maxLines(s.role)) continue;
      const text = shorten(next.rec.text);
      const cost = lineCost(text, s.ref);
      const headingNeeded = s.shown ? 0 : 1;
      if (used + cost + headingNeeded * headingCost(s.path.at(-1) ?? '') > budget) continue;
      if (!show(i)) continue;
      used += cost;
      s.chosen.push(next);
    }
  }
  const out: SummarySection[] = [];
  for (const s of sections) {
    if (!s.shown) continue;
    const lines: SummaryLine[] = s.chosen
      .sort((a, b) => a.rec.chunk.metadata.ordinal - b.rec.chunk.metadata.ordinal || a.rec.start - b.rec.start)
      .map((c) => ({ text: shorten(c.rec.text), kind: lineKind(s.role, c.hasFigure), citation: citationFor(c.rec.chunk, snapshot, c.rec.text) }));
    out.push({ path: s.path, ref: s.ref, role: s.role, lines });
  }
  const omittedSections = sections.filter((s) => !s.shown && s.ranked.length > 0).length;
  return { document: { id: doc.meta.id, title: doc.meta.title, ...(doc.meta.number ? { number: doc.meta.number } : {}) }, sections: out, omittedSections };
}

export function summarizeReport(snapshot: IndexSnapshot, query: string, options: SummaryOptions = {}): SummaryResult {
  const picked = pickDocument(snapshot, query);
  if (!Array.isArray(picked)) return { kind: 'summary', summary: summarizeDocument(snapshot, picked, options) };
  const candidates = (picked.length ? picked : snapshot.documents).map((d) => ({ id: d.meta.id, title: d.meta.title, ...(d.meta.number ? { number: d.meta.number } : {}) }));
  return { kind: 'choose', query, noMatch: query.trim() !== '' && picked.length === 0, candidates };
}
