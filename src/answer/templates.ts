import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Language } from './types.js';

/** Answer wording lives in prompts/answer.{vi,en}.json, loaded once. */

export type TemplateKey =
  | 'figureLead' | 'whoLead' | 'docNumberLead' | 'evidenceLine' | 'evidenceBullet' | 'conflict'
  | 'notFound' | 'unknownEntity' | 'refused' | 'invalid' | 'tooLong' | 'citationLine' | 'sourcesHeader'
  | 'signerLead' | 'authorLead' | 'dateLead' | 'numberLead' | 'issuerLead' | 'titleLead' | 'whichLead' | 'cardSection'
  | 'listLead' | 'yesLead' | 'noLead' | 'sourceLead' | 'sourceItem' | 'olderSource';

type TemplateSet = Record<TemplateKey, string>;

const cache = new Map<Language, TemplateSet>();

export function templates(language: Language): TemplateSet {
  let t = cache.get(language);
  if (!t) {
    const path = fileURLToPath(new URL(`../../prompts/answer.${language}.json`, import.meta.url));
    t = JSON.parse(readFileSync(path, 'utf8')) as TemplateSet;
    cache.set(language, t);
  }
  return t;
}

export function render(language: Language, key: TemplateKey, values: Record<string, string | number> = {}): string {
  return templates(language)[key].replace(/\{(\w+)\}/g, (_, name: string) => String(values[name] ?? ''));
}
