import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { SQLITE_FILE, SqliteDriver } from '../../src/state/index.js';
import { FakeBotApi } from '../channels/telegram/fakeBotApi.js';
import { ChildBots } from '../channels/telegram/childProcess.js';
import { TOKEN, USER, waitFor } from '../channels/telegram/helpers.js';
import { countDelivery, printDeliveryTable, type DeliveryRow } from '../channels/telegram/deliveryCounts.js';
import { exited } from '../helpers.js';

/**
 * Drill (issue 15, item 10): one 429 with retry_after=3600 used to freeze the bot, and SIGTERM
 * could not stop it (SIGKILL after 15 s). The chat must wait as told, but SIGTERM must end the
 * process within a second or two, with the unanswered question still pending on disk, and the
 * next start must answer it.
 */

const bots = new ChildBots();
const rows: DeliveryRow[] = [];
afterEach(() => {
  bots.killAll();
});
afterAll(() => printDeliveryTable('Telegram stop during a long retry_after (issue 15 item 10)', rows));

const startChild = (api: FakeBotApi, stateDir: string): Promise<ChildProcess> => bots.start(api, stateDir, { askDelayMs: 0 });

async function inboxStatuses(stateDir: string): Promise<string[]> {
  if (!existsSync(join(stateDir, SQLITE_FILE))) return [];
  const db = new SqliteDriver(join(stateDir, SQLITE_FILE));
  try {
    const rows = await db.all(`SELECT status FROM inbox WHERE channel = 'telegram' ORDER BY order_key`);
    return rows.map((r) => String(r.status));
  } finally {
    await db.close();
  }
}

describe('drill: Telegram stop during a long retry_after', () => {
  it('SIGTERM ends the process within 2 s while a chat waits out retry_after=3600; the next start answers', async () => {
    const api = await FakeBotApi.start(TOKEN);
    const stateDir = await mkdtemp(join(tmpdir(), 'tg-stop-'));
    try {
      api.injectFault('sendMessage', { type: '429', retryAfterS: 3600 });
      const first = await startChild(api, stateDir);
      const upd = api.message({ chat: { id: USER.id, type: 'private' }, from: USER, text: 'Kon Tum thực hiện mô hình ra sao?' });
      api.pushUpdate(upd);
      const question = { chatId: USER.id, messageId: (upd.message as { message_id: number }).message_id, parts: 1 };
      await waitFor(() => api.callsOf('sendMessage', true).some((c) => c.fault === '429'), 'the 429', 15_000);
      // The chat is now told to wait an hour.
      await new Promise((r) => setTimeout(r, 300));
      const termAt = Date.now();
      first.kill('SIGTERM');
      // Bounded, so the old behaviour (no exit at all) fails here rather than as a test timeout.
      const code = await Promise.race([exited(first), new Promise<string>((r) => setTimeout(() => r('still running after 10 s'), 10_000))]);
      const stopMs = Date.now() - termAt;
      console.log(`SIGTERM during retry_after=3600: exited with ${code} after ${stopMs} ms`);
      expect(code).toBe(0);
      expect(stopMs).toBeLessThan(2000);
      expect(api.sentMessages()).toHaveLength(0);
      expect(await inboxStatuses(stateDir)).toEqual(['pending']);

      const second = await startChild(api, stateDir);
      await waitFor(() => api.sentMessages().length === 1, 'the answer after restart', 15_000);
      await new Promise((r) => setTimeout(r, 300));
      second.kill('SIGTERM');
      expect(await exited(second)).toBe(0);
      expect(await inboxStatuses(stateDir)).toEqual(['handled']);
      const row = countDelivery(api, `429 retry_after=3600, SIGTERM (stopped in ${stopMs} ms), restart`, [question]);
      rows.push(row);
      expect(row).toMatchObject({ lost: 0, duplicated: 0 });
    } finally {
      await api.close();
      await rm(stateDir, { recursive: true, force: true });
    }
  }, 60_000);
});
