import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Language } from '../answer/types.js';

/**
 * Every user-facing string lives in prompts/bot.<lang>.json so wording can change without code
 * changes. The key list is kept here so a missing template fails at start-up, not mid-chat.
 */
export const MESSAGE_KEYS = [
  'start',
  'helpHeading',
  'helpIntro',
  'helpCommandLine',
  'helpAliasLine',
  'notAllowed',
  'rateLimited',
  'questionTooLong',
  'questionInvalid',
  'unsupportedKind',
  'askUsage',
  'unknownCommand',
  'sourcesHeading',
  'sourcesItem',
  'sourcesEmpty',
  'unknownValue',
  'citationsHeading',
  'citationButton',
  'citeUsage',
  'citeNoAnswer',
  'citeOutOfRange',
  'citeExpired',
  'citeHeading',
  'citeSection',
  'reloadAdminOnly',
  'reloadDone',
  'uploadAdminOnly',
  'uploadBadExtension',
  'uploadTooLarge',
  'uploadRejected',
  'uploadFailed',
  'uploadDone',
  'uploadReplaced',
  'ingestSummary',
  'ingestInstructionLike',
  'none',
  'internalError',
  'consoleWelcome',
  'consoleBye',
  'consoleCiteHint',
  'cmd.start',
  'cmd.help',
  'cmd.ask',
  'cmd.sources',
  'cmd.cite',
  'cmd.reload',
] as const;

export type MessageKey = (typeof MESSAGE_KEYS)[number];

export type TemplateVars = Record<string, string | number>;

export interface Messages {
  /** Renders a template; unknown placeholders stay visible rather than silently vanishing. */
  t(lang: Language, key: MessageKey | string, vars?: TemplateVars): string;
  has(key: string): boolean;
}

const DEFAULT_PROMPTS_DIR = fileURLToPath(new URL('../../prompts/', import.meta.url));

function readTable(file: string): Record<string, string> {
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`${file}: expected a JSON object`);
  const table: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (typeof v !== 'string') throw new Error(`${file}: "${k}" must be a string`);
    table[k] = v;
  }
  return table;
}

export function fillTemplate(template: string, vars: TemplateVars = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const v = vars[name];
    return v === undefined ? whole : String(v);
  });
}

export function createMessages(tables: Record<Language, Record<string, string>>): Messages {
  const vi = tables.vi;
  const missing = MESSAGE_KEYS.filter((k) => vi[k] === undefined);
  if (missing.length > 0) throw new Error(`prompts/bot.vi.json is missing: ${missing.join(', ')}`);
  return {
    t(lang, key, vars) {
      // English falls back to Vietnamese: a half-translated file must not break the bot.
      const template = tables[lang][key] ?? vi[key] ?? key;
      return fillTemplate(template, vars);
    },
    has(key) {
      return vi[key] !== undefined;
    },
  };
}

let cached: Messages | undefined;

/** Loads prompts/bot.vi.json and bot.en.json once per process (or from `dir`, uncached). */
export function loadMessages(dir?: string): Messages {
  if (!dir && cached) return cached;
  const base = dir ?? DEFAULT_PROMPTS_DIR;
  const vi = readTable(`${base.replace(/\/$/, '')}/bot.vi.json`);
  let en: Record<string, string>;
  try {
    en = readTable(`${base.replace(/\/$/, '')}/bot.en.json`);
  } catch {
    en = {};
  }
  const messages = createMessages({ vi, en });
  if (!dir) cached = messages;
  return messages;
}
