import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SHARED_INBOX_TUNING } from '../../src/channels/shared/inbox.js';
import { PostgresDriver } from '../../src/state/index.js';
import { FakeBotApi } from '../channels/telegram/fakeBotApi.js';
import { PG_URL, postgresAvailable, uniqueSchema } from '../state/pgTestDb.js';
import { countTags, renderDrillTable, Replica, tally, unexplainedRepeats, waitUntil } from './replicaHarness.js';
import { pendingRows, TELEGRAM_TOKEN } from './replicaScenario.js';

/**
 * Drill: two Telegram replicas in polling mode on one PostgreSQL. Only the holder of the polling
 * lease calls getUpdates; when it is killed with kill -9 mid-batch the standby takes the lease
 * within 10 s, continues from the committed offset, takes over the updates the leader had claimed
 * but not answered: every question is answered, in order per chat, and only a reply on the wire at
 * the kill is sent twice.
 */

const CHATS = 200;
const QUESTIONS = 5;
const pg = await postgresAvailable();
if (!pg) console.log('polling replica drill skipped: PostgreSQL is not reachable at ' + PG_URL + ' (.ci/run starts it)');
const schema = uniqueSchema('drill_poll');
afterAll(async () => {
  if (pg) await PostgresDriver.dropSchema(PG_URL, schema).catch(() => undefined);
});

describe.skipIf(!pg)('drill: Telegram polling leader killed, standby takes over', () => {
  it('the standby polls within 10 s and every question is answered once, in order', async () => {
    const api = await FakeBotApi.start(TELEGRAM_TOKEN);
    const stateDir = await mkdtemp(join(tmpdir(), 'drill-poll-'));
    const replicas: Replica[] = [];
    try {
      const env = (i: number) => ({
        REPLICA_CHANNEL: 'telegram',
        TELEGRAM_BOT_TOKEN: TELEGRAM_TOKEN,
        TELEGRAM_API_ROOT: api.url,
        TELEGRAM_WEBHOOK_URL: '',
        DATABASE_URL: PG_URL,
        DATABASE_SCHEMA: schema,
        STATE_DIR: join(stateDir, `r${i}`),
        RATE_LIMIT_PER_MINUTE: '100000',
        FAKE_ASK_DELAY_MS: '30',
        LOG_LEVEL: 'warn',
      });
      // The first replica takes the polling lease at start; the second is the standby.
      replicas.push(await Replica.start('leader', env(0)));
      replicas.push(await Replica.start('standby', env(1)));

      const expected = new Map<string, number[]>();
      for (let k = 0; k < QUESTIONS; k++) {
        for (let c = 0; c < CHATS; c++) {
          const tag = k * CHATS + c;
          const user = { id: 800_000 + c, first_name: `Cán bộ ${c}` };
          api.privateText(user, `Kon Tum thực hiện mô hình thế nào, câu ${k + 1}? [q${tag}]`);
          expected.set(String(user.id), [...(expected.get(String(user.id)) ?? []), tag]);
        }
      }
      const total = CHATS * QUESTIONS;
      const texts = () => api.sentMessages().map((m) => m.text);
      await waitUntil(() => countTags(texts()) >= total / 3, 60_000, 'a third of the answers before the kill');
      const killedAt = Date.now();
      await replicas[0]!.kill9();
      await waitUntil(() => api.calls.some((c) => c.method === 'getUpdates' && c.at > killedAt), 15_000, 'the standby to poll');
      const takeoverS = (api.calls.find((c) => c.method === 'getUpdates' && c.at > killedAt)!.at - killedAt) / 1000;
      await waitUntil(() => countTags(texts()) >= total, 60_000, `${total} answers`).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 1000));
      const sent = api.sentMessages().map((m) => ({ chatKey: String(m.chat_id), text: m.text }));
      const counts = tally(expected, sent);
      const pendingLeft = await pendingRows(PG_URL, schema, 'telegram');
      console.log(
        '\nTelegram polling replicas\n' +
          renderDrillTable([{ scenario: 'telegram polling, kill -9 the leader', replicas: 2, chats: CHATS, questionsPerChat: QUESTIONS, ...counts, takeoverS }]),
      );
      if (counts.lost || counts.duplicated || counts.orderViolations) console.log(replicas.map((r) => r.stderr).join('\n'));
      expect({ lost: counts.lost, orderViolations: counts.orderViolations, pendingLeft }).toEqual({ lost: 0, orderViolations: 0, pendingLeft: 0 });
      // Only a reply on the wire at the kill (accepted, not yet recorded) is sent again: at most one per chat being answered.
      expect(counts.duplicated).toBeLessThanOrEqual(SHARED_INBOX_TUNING.maxConcurrentChats);
      expect(unexplainedRepeats(api.sentMessages().map((m) => ({ text: m.text, atMs: m.at })), killedAt)).toBe(0);
      expect(takeoverS).toBeLessThan(10);
      expect(await replicas[1]!.stop()).toBe(0);
    } finally {
      for (const r of replicas) if (r.alive) r.child.kill('SIGKILL');
      await api.close();
      await rm(stateDir, { recursive: true, force: true });
    }
  }, 150_000);
});
