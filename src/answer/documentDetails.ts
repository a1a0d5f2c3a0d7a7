import { fold } from '../ingest/normalize.js';
import { documentCode, typesNamedIn } from '../ingest/documentTypes.js';
import { displayDate } from '../ingest/structure.js';
import type { DocumentMeta, ParsedDocument } from '../ingest/types.js';
import type { IndexSnapshot } from '../index/store.js';
import { indexTermSet } from '../index/tokenizer.js';
import { coverage, type RetrievedChunk } from '../retrieval/hybrid.js';
import { intentCues, type DocumentField } from '../retrieval/intents.js';
import type { AnalyzedQuery } from '../retrieval/query.js';
import { shortDocumentLabel } from './labels.js';
import { render } from './templates.js';
import type { Answer, Citation } from './types.js';

/**
 * "Ai ký báo cáo …?", "ban hành ngày nào?", "số hiệu là gì?", "cơ quan nào ban hành?", "tác giả
 * bài viết …?", "tiêu đề …?", "tài liệu nào nói về …?": a document's own details come from its
 * card (header, signature block, front matter, byline), never from names or dates in its body.
 */

export interface DocumentChoice {
  doc: ParsedDocument;
  score: number;
}

const cardTermCache = new WeakMap<ParsedDocument, Set<string>>();

function cardTerms(doc: ParsedDocument): Set<string> {
  let terms = cardTermCache.get(doc);
  if (!terms) {
    const m = doc.meta;
    terms = indexTermSet([m.title, m.heading, m.issuer, m.place, m.outlet, m.author, m.number, m.docType].filter(Boolean).join(' \n '));
    cardTermCache.set(doc, terms);
  }
  return terms;
}

function mentions(folded: string, words: readonly string[]): boolean {
  return words.some((w) => new RegExp(`\\b${w}\\b`).test(folded));
}

/**
 * The document the question is about: its card covers the question's words (title, issuer,
 * place, number), helped by the passages retrieval found in it. The kind of document named
 * ("bài viết", "báo cáo") and a document number narrow the choice.
 */
export function chooseDocument(query: AnalyzedQuery, retrieved: readonly RetrievedChunk[], snapshot: IndexSnapshot): DocumentChoice | undefined {
  const folded = fold(query.normalized);
  const words = intentCues().documentWords;
  const wantsArticle = mentions(folded, words.article) && !mentions(folded, words.report);
  const wantsReport = mentions(folded, words.report) && !mentions(folded, words.article);
  // A number the question names is either a document's own ("báo cáo số 96-BC/HU") or one its
  // title or body refers to ("báo cáo về Chỉ thị 28-CT/TW"): only the first kind narrows the choice.
  const compact = (n: string) => n.replace(/[-/\s]/g, '');
  const ownNumbers = new Set(snapshot.documents.map((d) => compact(fold(d.meta.number ?? ''))).filter(Boolean));
  const numbers = query.entities.filter((e) => e.kind === 'document' && ownNumbers.has(compact(e.folded))).map((e) => compact(e.folded));
  const places = query.entities.filter((e) => e.kind === 'place');
  const retrievedBest = new Map<string, number>();
  retrieved.slice(0, 12).forEach((r, rank) => {
    const id = r.chunk.metadata.documentId;
    const value = r.coverage * r.entityMatch * (1 - rank / 24);
    retrievedBest.set(id, Math.max(retrievedBest.get(id) ?? 0, value));
  });
  // Words that say what is asked ("ký", "ngày", "tác giả") do not tell documents apart.
  const groups = query.groups.filter((g) => !g.focus);
  let best: DocumentChoice | undefined;
  // "kế hoạch số mấy": only documents of the type named can be the one asked about.
  const codes = typesNamedIn(folded).flatMap((t) => t.codes);
  for (const doc of snapshot.documents) {
    const m = doc.meta;
    if (numbers.length && !numbers.includes(compact(fold(m.number ?? '')))) continue;
    const code = documentCode(m.number ?? '');
    if (codes.length && m.kind !== 'article' && code !== undefined && !codes.includes(code)) continue;
    let score = coverage(groups, cardTerms(doc)) + 0.6 * (retrievedBest.get(m.id) ?? 0);
    if (numbers.length) score += 1;
    if (wantsArticle) score *= m.kind === 'article' ? 1.3 : 0.6;
    if (wantsReport) score *= m.kind === 'report' || m.number ? 1.2 : 0.7;
    // A place the question names must be the document's own (its issuer or place) or at least in it.
    if (places.length) {
      const card = fold([m.title, m.heading, m.issuer, m.place, m.outlet].filter(Boolean).join(' '));
      const own = places.filter((p) => card.includes(p.folded)).length;
      score *= 0.5 + (0.5 * own) / places.length + (retrievedBest.has(m.id) ? 0.15 : 0);
    }
    if (!best || score > best.score) best = { doc, score };
  }
  return best && best.score >= 0.3 ? best : undefined;
}

/** "T/M BAN THƯỜNG VỤ, PHÓ BÍ THƯ, Y Mửi" → name "Y Mửi", role "T/M BAN THƯỜNG VỤ, PHÓ BÍ THƯ". */
export function splitSigner(signer: string): { name: string; role: string } {
  const parts = signer.split(/\s*[,\n]\s*/).filter(Boolean);
  const name = parts.pop() ?? signer;
  return { name, role: parts.join(', ') };
}

function fieldValue(meta: DocumentMeta, field: DocumentField, language: AnalyzedQuery['language']): Record<string, string> | undefined {
  const doc = shortDocumentLabel(meta, language);
  switch (field) {
    case 'signer': {
      if (!meta.signer) return undefined;
      const { name, role } = splitSigner(meta.signer);
      return { doc, name, role: role ? ` (${role})` : '' };
    }
    case 'author': {
      const author = meta.author ?? (meta.kind === 'article' ? meta.outlet : undefined);
      return author ? { doc, author } : undefined;
    }
    case 'date': {
      const date = displayDate(meta.date);
      return date ? { doc, date } : undefined;
    }
    case 'number':
      return meta.number ? { doc, number: meta.number } : undefined;
    case 'issuer': {
      const issuer = meta.issuer ?? meta.outlet;
      return issuer ? { doc, issuer } : undefined;
    }
    case 'title':
      return { doc, heading: meta.heading || meta.title };
    case 'which':
      return { doc, heading: meta.heading || meta.title };
  }
}

const LEAD_KEY = {
  signer: 'signerLead',
  author: 'authorLead',
  date: 'dateLead',
  number: 'numberLead',
  issuer: 'issuerLead',
  title: 'titleLead',
  which: 'whichLead',
} as const;

/** The citation of a document's card: its header (or byline), with the detail as the quote. */
export function cardCitation(doc: ParsedDocument, quote: string, language: AnalyzedQuery['language']): Citation {
  const first = doc.chunks[0];
  return {
    document: doc.meta.id,
    title: doc.meta.title,
    section: render(language, 'cardSection'),
    quote,
    label: shortDocumentLabel(doc.meta, language),
    chunkId: first?.id ?? '',
  };
}

/**
 * "Kế hoạch số mấy?" asks for a number cited in the body when no document of the corpus is of
 * that type; "Báo cáo … số hiệu là gì?" asks for a document's own number.
 */
export function refersToCorpusDocument(query: AnalyzedQuery, snapshot: IndexSnapshot): boolean {
  const folded = fold(query.normalized);
  const codes = typesNamedIn(folded).flatMap((t) => t.codes);
  if (!codes.length) return true;
  return snapshot.documents.some((d) => {
    const code = documentCode(d.meta.number ?? '');
    return code !== undefined && codes.includes(code);
  });
}

export function answerDocumentDetail(query: AnalyzedQuery, field: DocumentField, retrieved: readonly RetrievedChunk[], snapshot: IndexSnapshot): Answer | undefined {
  const choice = chooseDocument(query, retrieved, snapshot);
  if (!choice) return undefined;
  const lang = query.language;
  const values = fieldValue(choice.doc.meta, field, lang);
  if (!values) return undefined;
  const lead = render(lang, LEAD_KEY[field], values);
  const citation = cardCitation(choice.doc, lead, lang);
  return {
    question: query.raw,
    answered: true,
    kind: 'answer',
    language: lang,
    lead,
    text: `${lead}\n\n${render(lang, 'evidenceLine', { quote: choice.doc.meta.title, n: 1 })}`,
    citations: [citation],
    via: 'extractive',
  };
}
