import { afterAll, describe, expect, it } from 'vitest';
import { PostgresDriver } from '../../src/state/index.js';
import { PG_URL, postgresAvailable, uniqueSchema } from '../state/pgTestDb.js';
import { renderDrillTable, type DrillCounts } from './replicaHarness.js';
import { expectDeliveredOnce, runWebhookScenario, type ScenarioResult } from './replicaScenario.js';

/**
 * Drills: three Zalo webhook replicas on one PostgreSQL behind the round-robin load balancer,
 * 200 chats × 5 questions, plain and with one replica killed with kill -9 mid-batch: none lost,
 * none duplicated, order kept in every chat.
 */

const CHATS = 200;
const QUESTIONS = 5;
const pg = await postgresAvailable();
if (!pg) console.log('Zalo replica drills skipped: PostgreSQL is not reachable at ' + PG_URL + ' (.ci/run starts it)');

const rows: DrillCounts[] = [];
const schemas: string[] = [];
afterAll(async () => {
  if (rows.length) console.log('\nZalo webhook replicas\n' + renderDrillTable(rows));
  for (const s of schemas) await PostgresDriver.dropSchema(PG_URL, s).catch(() => undefined);
});

function check(r: ScenarioResult, killed = false): void {
  rows.push(r);
  expectDeliveredOnce(r, { killed });
}

describe.skipIf(!pg)('drill: Zalo webhook, 3 replicas on PostgreSQL', () => {
  it('200 chats × 5 questions: none lost, none duplicated, order kept in every chat', async () => {
    const schema = uniqueSchema('drill_zalo');
    schemas.push(schema);
    check(await runWebhookScenario({ scenario: 'zalo webhook', channel: 'zalo', databaseUrl: PG_URL, schema, replicas: 3, chats: CHATS, questionsPerChat: QUESTIONS, askDelayMs: 30, timeoutMs: 90_000 }));
  }, 180_000);

  it('one replica killed with kill -9 mid-batch: its claims are taken over', async () => {
    const schema = uniqueSchema('drill_zalo_kill');
    schemas.push(schema);
    const r = await runWebhookScenario({
      scenario: 'zalo webhook, kill -9 one replica',
      channel: 'zalo',
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
    if (r.takeoverS !== undefined) expect(r.takeoverS).toBeLessThan(20);
  }, 180_000);
});
