import { fold } from '../ingest/normalize.js';
import type { ParsedDocument } from '../ingest/types.js';
import type { IndexSnapshot } from '../index/store.js';
import { corpusFacts, shortLabel, type SentenceRec } from './facts.js';

/**
 * What a user's topic ("An Giang", "381-BC/TU", "2019", "bí thư đồng thời là chủ tịch") means in
 * the corpus: which documents and passages it covers. Shared by /quiz narrowing, /tomtat document
 * choice and the two sides of /sosanh, so the three commands understand topics the same way.
 */

export type ScopeKind = 'all' | 'document' | 'place' | 'period' | 'keyword';

export interface Scope {
  kind: ScopeKind;
  query: string;
  label: string;
  /** Documents the scope covers in full. */
  documents: Set<string>;
  /** Further passages (outside those documents) that match. */
  chunkIds: Set<string>;
}

const STOP = new Set(['la', 'va', 'cua', 'cac', 'nhung', 've', 'o', 'tai', 'trong', 'voi', 'cho', 'the', 'mo', 'hinh', 'ket', 'qua', 'thuc', 'hien', 'of', 'and', 'in', 'on']);

/** Folded tokens with document-code punctuation removed ("381-BC/TU" → ["381", "bc", "tu"]). */
export function topicTokens(text: string): string[] {
  return fold(text).match(/[a-z0-9]+/g) ?? [];
}

function contentTokens(text: string): string[] {
  const t = topicTokens(text);
  const content = t.filter((w) => !STOP.has(w));
  return content.length ? content : t;
}

const compact = (s: string) => fold(s).replace(/[^a-z0-9]/g, '');

export function inScope(scope: Scope, s: SentenceRec): boolean {
  return scope.kind === 'all' || scope.documents.has(s.doc.meta.id) || scope.chunkIds.has(s.chunk.id);
}

/** Documents whose number or serial ("381", "381-BC/TU") the query names. */
export function documentsByNumber(snapshot: IndexSnapshot, query: string): ParsedDocument[] {
  const q = compact(query);
  if (!q) return [];
  return snapshot.documents.filter((d) => {
    const n = d.meta.number ? compact(d.meta.number) : '';
    return Boolean(n) && (q === n || q.includes(n) || (/^\d+$/.test(q) && n.startsWith(q) && !/\d/.test(n.slice(q.length))));
  });
}

/** Documents named by number, or by (part of) their id ("kontum-381"). */
export function documentsByReference(snapshot: IndexSnapshot, query: string): ParsedDocument[] {
  const byNumber = documentsByNumber(snapshot, query);
  if (byNumber.length) return byNumber;
  const id = fold(query).trim().replace(/\s+/g, '-');
  if (id.length < 6) return [];
  // A bare place ("an-giang") is part of an id too; only fragments with a number pick a document.
  return snapshot.documents.filter((d) => d.meta.id === id || (/\d/.test(id) && d.meta.id.includes(id)));
}

function docText(d: ParsedDocument): string {
  return fold([d.meta.title, d.meta.heading, d.meta.place ?? '', d.meta.issuer ?? '', d.meta.outlet ?? ''].join(' '));
}

export function resolveScope(snapshot: IndexSnapshot, rawQuery: string): Scope | undefined {
  const query = rawQuery.trim();
  const all = new Set(snapshot.documents.map((d) => d.meta.id));
  if (!query) return { kind: 'all', query, label: '', documents: all, chunkIds: new Set() };

  const byRef = documentsByReference(snapshot, query);
  if (byRef.length) {
    return { kind: 'document', query, label: byRef.map(shortLabel).join('; '), documents: new Set(byRef.map((d) => d.meta.id)), chunkIds: new Set() };
  }

  if (/^(19|20)\d{2}$/.test(query)) {
    const docs = snapshot.documents.filter((d) => d.meta.date?.startsWith(query));
    if (!docs.length) return undefined;
    return { kind: 'period', query, label: query, documents: new Set(docs.map((d) => d.meta.id)), chunkIds: new Set() };
  }

  const folded = topicTokens(query).join(' ');
  const facts = corpusFacts(snapshot);
  if (snapshot.names.places.has(folded)) {
    // A document is "about" a place when its metadata says so or most of its passages name it.
    const documents = new Set<string>();
    const chunkIds = new Set<string>();
    for (const d of snapshot.documents) {
      const naming = d.chunks.filter((c) => ` ${topicTokens(c.text).join(' ')} `.includes(` ${folded} `));
      if (fold(d.meta.place ?? '') === folded || ` ${topicTokens(docText(d)).join(' ')} `.includes(` ${folded} `) || (d.chunks.length && naming.length / d.chunks.length >= 0.3)) {
        documents.add(d.meta.id);
      } else {
        for (const c of naming) chunkIds.add(c.id);
      }
    }
    const label = facts.placeDisplay.get(folded) ?? query;
    return { kind: 'place', query, label, documents, chunkIds };
  }

  const tokens = contentTokens(query);
  if (!tokens.length) return undefined;
  const titled = snapshot.documents.filter((d) => {
    const t = new Set(topicTokens(docText(d)));
    return tokens.every((w) => t.has(w));
  });
  const chunkIds = new Set<string>();
  const phrase = ` ${topicTokens(query).join(' ')} `;
  for (const d of snapshot.documents) {
    if (titled.includes(d)) continue;
    for (const c of d.chunks) {
      const text = ` ${topicTokens([c.text, ...c.metadata.sectionPath].join(' ')).join(' ')} `;
      if (text.includes(phrase)) chunkIds.add(c.id);
    }
  }
  // Scattered words are enough for a keyword ("đảng viên kỷ luật"), never for a name ("Hà Nội").
  const looksLikeName = query.split(/\s+/).every((w) => /^\p{Lu}/u.test(w));
  if (!chunkIds.size && !titled.length && !looksLikeName) {
    for (const d of snapshot.documents) {
      for (const c of d.chunks) {
        const t = new Set(topicTokens([c.text, ...c.metadata.sectionPath].join(' ')));
        if (tokens.every((w) => t.has(w))) chunkIds.add(c.id);
      }
    }
  }
  if (!chunkIds.size && !titled.length) return undefined;
  return { kind: 'keyword', query, label: query, documents: new Set(titled.map((d) => d.meta.id)), chunkIds };
}

/** Does a sentence speak about a topic? Its own words, its section headings or its document's title count. */
export function sentenceMatchesTopic(s: SentenceRec, topic: string): boolean {
  const tokens = contentTokens(topic);
  if (!tokens.length) return true;
  const own = new Set(topicTokens([s.text, ...s.chunk.metadata.sectionPath].join(' ')));
  if (tokens.every((w) => own.has(w))) return true;
  const title = new Set(topicTokens(docText(s.doc)));
  return tokens.every((w) => title.has(w) || own.has(w)) && tokens.some((w) => title.has(w));
}

/** A few names users can try when a topic is not found. */
export function topicSuggestions(snapshot: IndexSnapshot): string {
  const facts = corpusFacts(snapshot);
  const numbers = snapshot.documents.map((d) => d.meta.number).filter((n): n is string => Boolean(n));
  const places = [...facts.placeDisplay.entries()].filter(([p]) => facts.placeLevels.get(p)?.has('province')).map(([, d]) => d);
  return [...places, ...numbers].slice(0, 8).join(', ');
}
