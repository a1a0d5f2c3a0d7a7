import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Language } from '../types.js';

/**
 * Prompt wording for the LLM path lives in prompts/llm.{vi,en}.json (like the answer
 * templates), so it can be reviewed and translated without touching code. Loaded once per
 * process: the generator reads both sets when it is constructed, so a missing or broken file
 * fails at start-up rather than on the first question.
 */

export interface LlmPromptSet {
  system: string;
  answer: string;
  source: string;
  sourceNoSection: string;
  /** The exact sentence the model must give when the sources do not answer. */
  refusal: string;
  /** Folded phrases that mark a reply as "I don't know" (models paraphrase the refusal). */
  refusalMarkers: string[];
  repair: string;
  problemDanglingCitation: string;
  problemUnsupportedNumber: string;
  problemUnsupportedUrl: string;
  problemUnsupportedSentence: string;
  problemContradiction: string;
  problemNoCitation: string;
  problemOffTopic: string;
  problemEmpty: string;
  rewriteSystem: string;
  rewrite: string;
  historyTurn: string;
}

export type LlmPrompts = Record<Language, LlmPromptSet>;

const STRING_KEYS = [
  'system', 'answer', 'source', 'sourceNoSection', 'refusal', 'repair', 'problemDanglingCitation', 'problemUnsupportedNumber',
  'problemUnsupportedUrl', 'problemUnsupportedSentence', 'problemContradiction',
  'problemUnsupportedUrl', 'problemUnsupportedSentence', 'problemContradiction',
  'problemNoCitation', 'problemOffTopic', 'problemEmpty', 'rewriteSystem', 'rewrite', 'historyTurn',
] as const satisfies readonly (keyof LlmPromptSet)[];

let cached: LlmPrompts | undefined;

function readSet(language: Language): LlmPromptSet {
  const file = fileURLToPath(new URL(`../../../prompts/llm.${language}.json`, import.meta.url));
  const raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of STRING_KEYS) {
    const value = raw[key];
    if (typeof value !== 'string' || !value.trim()) throw new Error(`prompts/llm.${language}.json: thiếu khóa "${key}" / missing key "${key}"`);
    out[key] = value;
  }
  const markers = raw.refusalMarkers;
  if (!Array.isArray(markers) || !markers.every((m): m is string => typeof m === 'string')) {
    throw new Error(`prompts/llm.${language}.json: "refusalMarkers" phải là mảng chuỗi / must be an array of strings`);
  }
  out.refusalMarkers = markers;
  return out as unknown as LlmPromptSet;
}

export function loadLlmPrompts(): LlmPrompts {
  cached ??= { vi: readSet('vi'), en: readSet('en') };
  return cached;
}

/** Fills {name} placeholders; unknown names become empty so a typo never leaks braces to the model. */
export function fill(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => String(values[name] ?? ''));
}
