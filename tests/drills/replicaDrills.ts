import { afterAll, expect } from 'vitest';
import { SHARED_INBOX_TUNING } from '../../src/channels/shared/inbox.js';
import { PostgresDriver } from '../../src/state/index.js';
import { PG_URL, uniqueSchema } from '../state/pgTestDb.js';
import { renderDrillTable, type DrillCounts } from './replicaHarness.js';
import { runWebhookScenario, type ScenarioOptions, type ScenarioResult } from './replicaScenario.js';

/** The assertions and cases of the replica drills (kept apart from the scenario runner, which the load bench also uses). */
/**
 * A replica killed with kill -9 right after the platform accepted a reply, before the reply was
 * recorded, leaves that reply to be sent again by the replica taking over: at most one per chat it
 * was sending to at that instant (SHARED_INBOX_TUNING.maxConcurrentChats). Nothing else may repeat.
 */
export function expectDeliveredOnce(r: ScenarioResult, options: { killed?: boolean } = {}): void {
  if (r.lost || r.duplicated || r.orderViolations || r.pendingLeft) console.log(r.stderr);
  expect({ lost: r.lost, orderViolations: r.orderViolations, pendingLeft: r.pendingLeft }).toEqual({ lost: 0, orderViolations: 0, pendingLeft: 0 });
  expect(r.duplicated).toBeLessThanOrEqual(options.killed ? SHARED_INBOX_TUNING.maxConcurrentChats : 0);
  expect(r.repeatsNotFromTheKill).toBe(0);
  expect(r.cleanExits).toBe(true);
}

/** 200 chats × 5 questions, the size the issue asks for. */
export const DRILL_CHATS = 200;
export const DRILL_QUESTIONS = 5;

/**
 * The webhook drills every channel runs on the shared PostgreSQL: three replicas, plain and with
 * one replica killed with kill -9 mid-batch. Each file prints its table and drops its schemas.
 */
export function webhookDrills(channel: 'telegram' | 'zalo', title: string) {
  const rows: DrillCounts[] = [];
  const schemas: string[] = [];
  afterAll(async () => {
    if (rows.length) console.log(`\n${title}\n${renderDrillTable(rows)}`);
    for (const s of schemas) await PostgresDriver.dropSchema(PG_URL, s).catch(() => undefined);
  });
  const check = (r: ScenarioResult, killed = false): void => {
    rows.push(r);
    expectDeliveredOnce(r, { killed });
  };
  const run = (scenario: string, databaseUrl: string, schema: string, fault?: ScenarioOptions['fault']) =>
    runWebhookScenario({
      scenario,
      channel,
      databaseUrl,
      schema,
      replicas: 3,
      chats: DRILL_CHATS,
      questionsPerChat: DRILL_QUESTIONS,
      askDelayMs: 30,
      timeoutMs: 90_000,
      ...(fault ? { fault } : {}),
    });
  const fresh = (prefix: string) => {
    const schema = uniqueSchema(prefix);
    schemas.push(schema);
    return schema;
  };
  return {
    check,
    run,
    plain: async () => check(await run(`${channel} webhook`, PG_URL, fresh(`drill_${channel}`))),
    killOne: async () => {
      const r = await run(`${channel} webhook, kill -9 one replica`, PG_URL, fresh(`drill_${channel}_kill`), async (replicas) => {
        await replicas[1]!.kill9();
        return Date.now();
      });
      check(r, true);
      // The lease is 10 s and the take-over runs every 2 s.
      if (r.takeoverS !== undefined) expect(r.takeoverS).toBeLessThan(20);
    },
  };
}
