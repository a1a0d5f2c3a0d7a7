import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Messages, TemplateVars } from '../bot/messages.js';
import { fillTemplate } from '../bot/messages.js';
import type { Language } from '../answer/types.js';

/**
 * Trainer wording lives in prompts/trainer.{vi,en}.json (never in code), so it can be edited
 * like the bot's own prompts. English falls back to Vietnamese key by key.
 */

type Table = Record<string, string>;

const DEFAULT_DIR = fileURLToPath(new URL('../../prompts/', import.meta.url));

function readTable(file: string): Table {
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`${file}: expected a JSON object`);
  const out: Table = {};
  for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string' && !k.startsWith('_')) out[k] = v;
  return out;
}

let cached: Record<Language, Table> | undefined;

export function trainerTables(): Record<Language, Table> {
  if (!cached) {
    const vi = readTable(`${DEFAULT_DIR}trainer.vi.json`);
    let en: Table;
    try {
      en = readTable(`${DEFAULT_DIR}trainer.en.json`);
    } catch {
      // A missing or broken English file must not break the Vietnamese bot.
      en = {};
    }
    cached = { vi, en };
  }
  return cached;
}

/** Renders a trainer template; an unknown key is returned as is so a gap is visible, not silent. */
export function tt(lang: Language, key: string, vars?: TemplateVars): string {
  const t = trainerTables();
  const template = t[lang][key] ?? t.vi[key] ?? key;
  return fillTemplate(template, vars);
}

/**
 * Wraps the core's Messages so command descriptions ("cmd.quiz") resolve from the trainer
 * tables: pass `messages: withTrainerMessages(loadMessages())` to ConversationCore.create.
 */
export function withTrainerMessages(base: Messages): Messages {
  const t = trainerTables();
  return {
    t(lang, key, vars) {
      const template = t[lang][key] ?? t.vi[key];
      return template !== undefined ? fillTemplate(template, vars) : base.t(lang, key, vars);
    },
    has(key) {
      return t.vi[key] !== undefined || base.has(key);
    },
  };
}
