import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { importLegacyQuiz } from './importQuiz.js';
import { HISTORY_TURNS, RECENT_ANSWERS, type ChatState, type StateStore } from './types.js';

/**
 * One-time import of the JSON state files earlier versions kept in STATE_DIR. Each file is read,
 * written into the store with idempotent statements, and only then renamed to `*.imported`; a
 * crash in between imports it again on the next start, harmlessly. A file that is not a JSON
 * object is renamed to `*.corrupt` with a warning, so it is neither retried nor mistaken for done.
 */

const CHANNELS = ['telegram', 'zalo', 'console'] as const;
/** The import's own lease: it runs before answering, so nothing else owns these updates. */
const IMPORT_OWNER = 'json-import';

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as unknown;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    // A torn or hand-edited file: import nothing from it, but do not block start-up.
    return null;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The chat an update belongs to, for the few shapes the old journals stored. */
export function legacyChatKey(update: unknown): string {
  if (!isObject(update)) return '';
  const carriers = [update.message, update.edited_message, update.channel_post, isObject(update.callback_query) ? update.callback_query.message : undefined];
  for (const c of carriers) {
    if (isObject(c) && isObject(c.chat) && (typeof c.chat.id === 'number' || typeof c.chat.id === 'string')) return String(c.chat.id);
  }
  // Zalo's webhook/getUpdates shape: { message: { chat: { id } } } (handled above) or { result: … }.
  if (isObject(update.result)) return legacyChatKey(update.result);
  return '';
}

async function importTelegramJournal(store: StateStore, data: Record<string, unknown>, nowMs: number): Promise<number> {
  if (typeof data.offset === 'number') await store.advanceOffset('telegram', data.offset);
  let n = 0;
  for (const id of Array.isArray(data.handled) ? data.handled : []) {
    if (typeof id !== 'number') continue;
    await store.inboxClaim({ channel: 'telegram', updateId: String(id), chatKey: '', orderKey: id, payload: null, owner: IMPORT_OWNER, nowMs, leaseMs: 0 });
    await store.inboxMarkHandled('telegram', String(id), nowMs);
    n++;
  }
  for (const u of Array.isArray(data.pending) ? data.pending : []) {
    if (!isObject(u) || typeof u.update_id !== 'number') continue;
    const claim = { channel: 'telegram', updateId: String(u.update_id), chatKey: legacyChatKey(u), orderKey: u.update_id, payload: u };
    await store.inboxClaim({ ...claim, owner: IMPORT_OWNER, nowMs, leaseMs: 0 });
    n++;
  }
  return n;
}

async function importZaloDedup(store: StateStore, data: Record<string, unknown>, nowMs: number): Promise<number> {
  let n = 0;
  let order = 0;
  for (const id of Array.isArray(data.handled) ? data.handled : []) {
    if (typeof id !== 'string') continue;
    await store.inboxClaim({ channel: 'zalo', updateId: id, chatKey: '', orderKey: order++, payload: null, owner: IMPORT_OWNER, nowMs, leaseMs: 0 });
    await store.inboxMarkHandled('zalo', id, nowMs);
    n++;
  }
  for (const p of Array.isArray(data.pending) ? data.pending : []) {
    if (!isObject(p) || typeof p.id !== 'string') continue;
    const receivedAtMs = typeof p.receivedAtMs === 'number' ? p.receivedAtMs : nowMs;
    const fresh = await store.inboxClaim({
      channel: 'zalo',
      updateId: p.id,
      chatKey: legacyChatKey(p.raw),
      orderKey: receivedAtMs,
      payload: p.raw ?? null,
      owner: IMPORT_OWNER,
      nowMs,
      leaseMs: 0,
      attempts: typeof p.attempts === 'number' && p.attempts > 0 ? p.attempts : 1,
    });
    if (fresh && typeof p.sentParts === 'number' && p.sentParts > 0) await store.inboxRecordSentParts('zalo', p.id, p.sentParts);
    n++;
  }
  return n;
}

async function importChats(store: StateStore, channel: string, data: Record<string, unknown>, nowMs: number): Promise<number> {
  let n = 0;
  for (const [chatKey, raw] of Object.entries(isObject(data.chats) ? data.chats : {})) {
    if (!isObject(raw)) continue;
    const chat = raw as Partial<ChatState>;
    await store.updateChat(channel, chatKey, nowMs, (s) => {
      s.language = chat.language === 'en' ? 'en' : 'vi';
      s.history = Array.isArray(chat.history) ? chat.history.slice(-HISTORY_TURNS) : [];
      s.recentAnswers = Array.isArray(chat.recentAnswers) ? chat.recentAnswers.slice(-RECENT_ANSWERS) : [];
      s.nextSeq = typeof chat.nextSeq === 'number' ? chat.nextSeq : 1;
    });
    n++;
  }
  return n;
}

async function importQuiz(store: StateStore, channel: string, data: Record<string, unknown>, nowMs: number, logger?: Logger): Promise<number> {
  const count = await importLegacyQuiz(store, channel, data, nowMs);
  if (count.skipped > 0) logger?.warn({ channel, skipped: count.skipped }, 'legacy quiz rounds skipped: unreadable, or the chat already has a live round');
  return count.rounds;
}

interface LegacyFile {
  name: string;
  load: (store: StateStore, data: Record<string, unknown>, nowMs: number, logger?: Logger) => Promise<number>;
}

function legacyFiles(): LegacyFile[] {
  const files: LegacyFile[] = [
    { name: 'telegram-updates.json', load: importTelegramJournal },
    { name: 'zalo-dedup.json', load: importZaloDedup },
  ];
  for (const channel of CHANNELS) {
    files.push({ name: `${channel}-chats.json`, load: (s, d, t) => importChats(s, channel, d, t) });
    files.push({ name: `${channel}-quiz.json`, load: (s, d, t, l) => importQuiz(s, channel, d, t, l) });
  }
  return files;
}

/** Imports every legacy JSON state file found in `stateDir`; returns how many records each gave. */
export async function importLegacyJson(store: StateStore, stateDir: string, logger?: Logger, nowMs = Date.now()): Promise<Record<string, number>> {
  const imported: Record<string, number> = {};
  for (const file of legacyFiles()) {
    const path = join(stateDir, file.name);
    const data = await readJson(path);
    if (data === undefined) continue;
    if (!isObject(data)) {
      // Set aside rather than retried on every start; the operator can still look at it.
      await rename(path, `${path}.corrupt`);
      imported[file.name] = 0;
      logger?.warn({ file: file.name, renamedTo: `${file.name}.corrupt` }, 'legacy JSON state file unreadable: set aside, nothing imported from it');
      continue;
    }
    imported[file.name] = await file.load(store, data, nowMs, logger);
    await rename(path, `${path}.imported`);
    logger?.info({ file: file.name, records: imported[file.name] }, 'legacy JSON state imported into the state store');
  }
  return imported;
}
