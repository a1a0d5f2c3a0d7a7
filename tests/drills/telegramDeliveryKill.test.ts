import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SQLITE_FILE, SqliteDriver } from '../../src/state/index.js';
import { FakeBotApi } from '../channels/telegram/fakeBotApi.js';
import { ChildBots } from '../channels/telegram/childProcess.js';
import { startHarness, TOKEN, waitFor } from '../channels/telegram/helpers.js';
import { countDelivery, printDeliveryTable, type AskedQuestion } from '../channels/telegram/deliveryCounts.js';
import { exited } from '../helpers.js';

/**
 * Drill (issue 15, item 12): kill -9 at several points over 200 questions in 6 busy chats, a
 * third of them answered in two parts. Each part is recorded durably straight after its send, so
 * a kill can repeat only what was on the wire (sent, or being sent, but not yet recorded) — at
 * most one send per chat, since a chat's sends go one after another. The old code recorded
 * nothing until the whole reply was out, so a kill between two parts repeated the first part.
 */

const bots = new ChildBots();
afterEach(() => {
  bots.killAll();
});

const CHATS = Array.from({ length: 6 }, (_, i) => ({ id: 9100 + i, first_name: `K${i}` }));
const QUESTIONS = 200;
const KILLS = 5;

const startChild = (api: FakeBotApi, stateDir: string): Promise<ChildProcess> => bots.start(api, stateDir, { askDelayMs: 15, ratePerMinute: 100000, logLevel: 'warn' });

/** What the killed process had committed: sent parts per update id (a handled update: all of them). */
async function recorded(stateDir: string, partsOf: Map<number, number>): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  if (!existsSync(join(stateDir, SQLITE_FILE))) return out;
  const db = new SqliteDriver(join(stateDir, SQLITE_FILE));
  try {
    const rows = await db.all(`SELECT update_id, status, sent_parts FROM inbox WHERE channel = 'telegram'`);
    for (const r of rows) {
      const id = Number(r.update_id);
      out.set(id, r.status === 'handled' ? (partsOf.get(id) ?? 0) : Number(r.sent_parts));
    }
  } finally {
    await db.close();
  }
  return out;
}

/** Distinct parts Telegram has received for each question (by its message id). */
function receivedParts(api: FakeBotApi, questions: AskedQuestion[]): Map<number, number> {
  const out = new Map<number, Set<string>>();
  for (const chat of CHATS) {
    let current: number | undefined;
    for (const m of api.sentMessages(chat.id)) {
      const replyTo = (m.params.reply_parameters as { message_id?: number } | undefined)?.message_id;
      if (replyTo !== undefined) current = replyTo;
      if (current === undefined) continue;
      const set = out.get(current) ?? new Set<string>();
      set.add(m.text);
      out.set(current, set);
    }
  }
  return new Map(questions.map((q) => [q.messageId, out.get(q.messageId)?.size ?? 0]));
}

/** Parts of a short and of a long answer, as the channel renders them. */
async function partCounts(): Promise<{ short: number; long: number }> {
  const h = await startHarness();
  try {
    const user = { id: 1, first_name: 'P' };
    h.api.privateText(user, 'Kon Tum thực hiện mô hình ra sao?');
    await waitFor(() => h.api.sentMessages().length >= 1, 'short answer');
    await new Promise((r) => setTimeout(r, 200));
    const short = h.api.sentMessages().length;
    h.api.privateText(user, 'Cho câu trả lời dài về Kon Tum');
    await waitFor(() => h.api.sentMessages().length > short, 'long answer');
    await new Promise((r) => setTimeout(r, 300));
    return { short, long: h.api.sentMessages().length - short };
  } finally {
    await h.close();
  }
}

describe('drill: Telegram kill -9 during delivery', () => {
  it('over 200 questions, 6 chats and 5 kills: nothing lost, at most one repeated send per chat per kill', async () => {
    const parts = await partCounts();
    expect(parts.long).toBeGreaterThan(1);
    const api = await FakeBotApi.start(TOKEN);
    const stateDir = await mkdtemp(join(tmpdir(), 'tg-kill9-'));
    try {
      // Every send takes 40 ms at the server, so kills land between and during sends.
      api.outage('sendMessage', { type: 'slow', delayMs: 40 }, 10 * 60_000);
      const questions: AskedQuestion[] = [];
      const partsByUpdate = new Map<number, number>();
      const updateOf = new Map<number, number>();
      for (let i = 0; i < QUESTIONS; i++) {
        const chat = CHATS[i % CHATS.length]!;
        const long = i % 3 === 1;
        const text = long ? `Cho câu trả lời dài về Kon Tum, số ${i}` : `Kon Tum thực hiện mô hình ra sao, số ${i}?`;
        const upd = api.message({ chat: { id: chat.id, type: 'private' }, from: chat, text });
        const updateId = api.pushUpdate(upd);
        const messageId = (upd.message as { message_id: number }).message_id;
        const n = long ? parts.long : parts.short;
        questions.push({ chatId: chat.id, messageId, parts: n });
        partsByUpdate.set(updateId, n);
        updateOf.set(messageId, updateId);
      }

      const perKill: { sentBefore: number; onTheWire: number; maxPerChat: number }[] = [];
      for (let k = 0; k < KILLS; k++) {
        const child = await startChild(api, stateDir);
        const before = api.sentMessages().length;
        // Let it get going, then kill at a different point each time.
        await waitFor(() => api.sentMessages().length >= before + 6 + k * 5, 'progress before the kill', 20_000);
        await new Promise((r) => setTimeout(r, 13 * k));
        child.kill('SIGKILL');
        await exited(child);
        // Requests the server was still working on land now.
        await new Promise((r) => setTimeout(r, 150));
        const got = receivedParts(api, questions);
        const done = await recorded(stateDir, partsByUpdate);
        const unrecordedByChat = new Map<number, number>();
        for (const q of questions) {
          const extra = Math.max(0, (got.get(q.messageId) ?? 0) - (done.get(updateOf.get(q.messageId)!) ?? 0));
          unrecordedByChat.set(q.chatId, (unrecordedByChat.get(q.chatId) ?? 0) + extra);
        }
        const values = [...unrecordedByChat.values()];
        perKill.push({ sentBefore: api.sentMessages().length, onTheWire: values.reduce((a, b) => a + b, 0), maxPerChat: Math.max(0, ...values) });
      }

      const last = await startChild(api, stateDir);
      await waitFor(
        () => {
          const got = receivedParts(api, questions);
          return questions.every((q) => (got.get(q.messageId) ?? 0) >= q.parts);
        },
        'every question answered after the last restart',
        40_000,
      ).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 500));
      last.kill('SIGTERM');
      await exited(last);

      console.log(
        ['kill | messages sent so far | sends on the wire (sent, not recorded) | most in one chat', ...perKill.map((p, i) => `${i + 1} | ${p.sentBefore} | ${p.onTheWire} | ${p.maxPerChat}`)].join('\n'),
      );
      const onTheWire = perKill.reduce((n, p) => n + p.onTheWire, 0);
      const row = countDelivery(api, `kill -9 ×${KILLS}, ${CHATS.length} chats, 1/3 two-part answers (on the wire at the kills: ${onTheWire})`, questions);
      printDeliveryTable('Telegram kill -9 drill (issue 15 item 12)', [row]);
      expect(row.lost).toBe(0);
      // One send per chat can be on the wire; nothing already recorded is ever repeated.
      for (const p of perKill) expect(p.maxPerChat).toBeLessThanOrEqual(1);
      expect(row.duplicated).toBeLessThanOrEqual(onTheWire);
      expect(row.duplicated).toBeLessThanOrEqual(KILLS * CHATS.length);
    } finally {
      await api.close();
      await rm(stateDir, { recursive: true, force: true });
    }
  }, 120_000);
});
