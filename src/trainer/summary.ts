import { citationFor } from '../answer/extractive.js';
import { shortDocumentLabel } from '../answer/labels.js';
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

/** Text budget of the default summary: one Telegram message with its heading and note. */
export const SUMMARY_TEXT_BUDGET = 3_300;
/** Text budget of "/tomtat X đầy đủ": at most three messages. */
export const FULL_SUMMARY_TEXT_BUDGET = 9_500;
export const LINE_MAX_CHARS = 260;
export const SHORT_LINE_MAX_CHARS = 220;

export interface SummaryOptions {
  /** Long form ("đầy đủ"): up to three messages instead of one. */
  full?: boolean;
  budget?: number;
  /** Lines per ordinary section (lessons/recommendations/tasks get one more). */
  linesPerSection?: number;
}

export function sectionRole(path: readonly string[]): SectionRole {
  const f = fold(path.join(' | '));
  const last = fold(path.at(-1) ?? '');
  if (f.includes('bai hoc')) return 'lessons';
  if (f.includes('kien nghi') || f.includes('de xuat') || /\bde nghi\b/.test(f)) return 'recommendations';
  if (/nhi[e]?m vu/.test(f) && (f.includes('giai phap') || f.includes('phuong huong'))) return 'tasks';
  if (/\bnguyen nhan\b/.test(last)) return 'causes';
  if (/\b(han che|khuyet diem|ton tai|kho khan|vuong mac|yeu kem)\b/.test(last)) return 'limits';
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
export function bulletSpans(text: string): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  for (const span of splitSentences(text)) {
    let start = span.start;
    const body = text.slice(span.start, span.end);
    // A dash opens an item only after a sentence or clause end, or at a line start: the dash in a
    // name ("Ban Tổ chức - Nội vụ") or a range ("2017 - 2021") stays inside its sentence.
    for (const m of body.matchAll(/(?:^|(?<=[.;:!?])[ \t]+|\n\s*)[-–•]\s+(?=[\p{Lu}\d])/gu)) {
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
  // "Thực hiện Công văn số … của …" only says why the report was written: not a finding.
  const citesOrder = (text: string) => /^(thuc hien|can cu|theo)\s/.test(fold(text)) && /\bso\s+\d+[-/]/.test(fold(text.slice(0, 80)));
  return raw.map((r) => ({
    rec: r.rec,
    hasFigure: r.hasFigure,
    order: r.order,
    score: r.keyScore / max + (r.hasFigure ? 0.6 : 0) + (r.order === 0 ? 0.1 : 0) - (citesOrder(r.rec.text) ? 1.5 : 0),
  }));
}

function lineKind(role: SectionRole, hasFigure: boolean): SummaryLine['kind'] {
  if (role === 'lessons') return 'lesson';
  if (role === 'recommendations' || role === 'tasks') return 'recommendation';
  if (role === 'limits' || role === 'causes') return 'finding';
  return hasFigure ? 'figure' : 'finding';
}

/** Rendered size of a line or heading, as the plain-text renderer lays it out. */
const lineCost = (text: string, ref: string) => text.length + ref.length + 6;
const headingCost = (heading: string) => Math.min(heading.length, 160) + 4;

export function summarizeDocument(snapshot: IndexSnapshot, doc: ParsedDocument, options: SummaryOptions = {}): ReportSummary {
  const lineMax = options.full ? LINE_MAX_CHARS : SHORT_LINE_MAX_CHARS;
  const budget = options.budget ?? (options.full ? FULL_SUMMARY_TEXT_BUDGET : SUMMARY_TEXT_BUDGET);
  const sections = doc.sections.map((s) => {
    const pathKey = s.path.join(' › ');
    const role = sectionRole(s.path);
    // Sentences that only cite the order behind the report score below zero and are left out.
    const ranked = sectionCandidates(snapshot, doc, pathKey).filter((c) => c.score > 0).sort((a, b) => b.score - a.score);
    return { path: s.path, ref: sectionRef(s.path), role, ranked, chosen: [] as Candidate[], shown: false };
  });
  // Articles without headings have one section: give it room for more than two lines.
  const withContent = sections.filter((s) => s.ranked.length > 0).length;
  const perSection = options.linesPerSection ?? (options.full ? (withContent <= 2 ? 6 : withContent <= 6 ? 3 : 2) : withContent <= 2 ? 4 : 1);
  let used = 0;
  const show = (i: number): boolean => {
    // A section's heading and the headings of its parents (once each) are part of the cost.
    const s = sections[i]!;
    if (s.shown) return true;
    // Only sections with lines are shown; their reference ("II › 1") names the parents.
    const cost = headingCost(s.path.at(-1) ?? '') + s.ref.length;
    if (used + cost > budget) return false;
    used += cost;
    s.shown = true;
    return true;
  };
  const priority = sections.map((s, i) => ({ s, i })).sort((a, b) => Number(a.s.role === 'body') - Number(b.s.role === 'body') || a.i - b.i);
  const maxLines = (role: SectionRole) => (role === 'body' ? perSection : perSection + 1);
  for (let round = 0; round < perSection + 1; round++) {
    for (const { s, i } of priority) {
      const next = s.ranked[round];
      if (!next || round >= maxLines(s.role)) continue;
      const text = shorten(next.rec.text, lineMax);
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
    // A parent heading without lines of its own is named through its children's references.
    if (!s.shown || !s.chosen.length) continue;
    const lines: SummaryLine[] = s.chosen
      .sort((a, b) => a.rec.chunk.metadata.ordinal - b.rec.chunk.metadata.ordinal || a.rec.start - b.rec.start)
      .map((c) => ({ text: shorten(c.rec.text, lineMax), kind: lineKind(s.role, c.hasFigure), citation: citationFor(c.rec.chunk, snapshot, c.rec.text) }));
    out.push({ path: s.path, ref: s.ref, role: s.role, lines });
  }
  const omittedSections = sections.filter((s) => !s.chosen.length && s.ranked.length > 0).length;
  return {
    document: { id: doc.meta.id, title: doc.meta.title, label: shortDocumentLabel(doc.meta), ...(doc.meta.number ? { number: doc.meta.number } : {}) },
    sections: out,
    omittedSections,
    full: Boolean(options.full),
  };
}

/** "/tomtat 412 đầy đủ" (or "day du", "full"): the long form. */
export function parseSummaryArgs(args: string): { query: string; full: boolean } {
  const m = /(?:^|\s)(?:đầy đủ|day du|full|chi tiết|chi tiet)\s*$/iu.exec(args.normalize('NFC'));
  return m ? { query: args.normalize('NFC').slice(0, m.index).trim(), full: true } : { query: args.trim(), full: false };
}

export function summarizeReport(snapshot: IndexSnapshot, args: string, options: SummaryOptions = {}): SummaryResult {
  const parsed = parseSummaryArgs(args);
  const query = parsed.query;
  if (parsed.full) options = { ...options, full: true };
  const picked = pickDocument(snapshot, query);
  if (!Array.isArray(picked)) return { kind: 'summary', summary: summarizeDocument(snapshot, picked, options) };
  const candidates = (picked.length ? picked : snapshot.documents).map((d) => ({ id: d.meta.id, title: d.meta.title, ...(d.meta.number ? { number: d.meta.number } : {}) }));
  return { kind: 'choose', query, noMatch: query.trim() !== '' && picked.length === 0, candidates };
}
