import { afterAll, describe, expect, it } from 'vitest';
import { PostgresDriver } from '../../src/state/index.js';
import { PG_URL, postgresAvailable, uniqueSchema } from '../state/pgTestDb.js';
import { PrivateCluster, renderDrillTable, type DrillCounts } from './replicaHarness.js';
import { expectDeliveredOnce, runWebhookScenario, type ScenarioResult } from './replicaScenario.js';

/**
 * Drills: three Telegram webhook replicas (child processes) on one PostgreSQL behind a
 * round-robin load balancer, 200 chats × 5 questions delivered the way Telegram does (a chat's
 * next update once the previous one was acknowledged, many chats at once). Every question is
 * answered once, and within each chat in order, also when a replica is killed with kill -9
 * mid-batch and when PostgreSQL restarts mid-batch.
 *
 * Without the shared inbox each replica answered the update it received: a chat's second
 * question, received by another replica while the first was still being answered, overtook it.
 */

const CHATS = 200;
const QUESTIONS = 5;
const pg = await postgresAvailable();
const clusterOk = pg && (await PrivateCluster.available());
if (!pg) console.log('replica drills skipped: PostgreSQL is not reachable at ' + PG_URL + ' (.ci/run starts it)');

const rows: DrillCounts[] = [];
const schemas: string[] = [];
afterAll(async () => {
  if (rows.length) console.log('\nTelegram webhook replicas\n' + renderDrillTable(rows));
  for (const s of schemas) await PostgresDriver.dropSchema(PG_URL, s).catch(() => undefined);
});

function check(r: ScenarioResult, killed = false): void {
  rows.push(r);
  expectDeliveredOnce(r, { killed });
}

describe.skipIf(!pg)('drill: Telegram webhook, 3 replicas on PostgreSQL', () => {
  it('200 chats × 5 questions: none lost, none duplicated, order kept in every chat', async () => {
    const schema = uniqueSchema('drill_tg');
    schemas.push(schema);
    check(await runWebhookScenario({ scenario: 'telegram webhook', channel: 'telegram', databaseUrl: PG_URL, schema, replicas: 3, chats: CHATS, questionsPerChat: QUESTIONS, askDelayMs: 30, timeoutMs: 90_000 }));
  }, 180_000);

  it('one replica killed with kill -9 mid-batch: its claims are taken over', async () => {
    const schema = uniqueSchema('drill_tg_kill');
    schemas.push(schema);
    const r = await runWebhookScenario({
      scenario: 'telegram webhook, kill -9 one replica',
      channel: 'telegram',
      databaseUrl: PG_URL,
      schema,
      replicas: 3,
      chats: CHATS,
      questionsPerChat: QUESTIONS,
      askDelayMs: 30,
      timeoutMs: 90_000,
      fault: async (replicas) => {
        await replicas[1]!.kill9();
        return Date.now();
      },
    });
    check(r, true);
    // The lease is 10 s and the take-over runs every 2 s.
    if (r.takeoverS !== undefined) expect(r.takeoverS).toBeLessThan(20);
  }, 180_000);

  it.skipIf(!clusterOk)('PostgreSQL restarted mid-batch (a private cluster): replicas reconnect and finish', async () => {
    const cluster = await PrivateCluster.start(55_000 + (process.pid % 5000));
    try {
      const r = await runWebhookScenario({
        scenario: 'telegram webhook, PostgreSQL restart',
        channel: 'telegram',
        databaseUrl: cluster.url,
        schema: 'drill_restart',
        replicas: 3,
        chats: CHATS,
        questionsPerChat: QUESTIONS,
        askDelayMs: 30,
        timeoutMs: 90_000,
        fault: async () => {
          const at = Date.now();
          await cluster.restart();
          return at;
        },
      });
      check(r);
    } finally {
      await cluster.destroy();
    }
  }, 180_000);
});
