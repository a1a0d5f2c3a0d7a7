import { afterAll, describe, expect, it } from 'vitest';
import { maxInWindow } from '../../src/bench/stats.js';
import { StoreSendBudget } from '../../src/channels/shared/sendBudget.js';
import { SendScheduler } from '../../src/channels/telegram/sendScheduler.js';
import { createLogger } from '../../src/logger.js';
import { openStateStore, PostgresDriver, type StateStore } from '../../src/state/index.js';
import { PG_URL, postgresAvailable, uniqueSchema } from '../state/pgTestDb.js';
import { tempDir } from './helpers.js';

/** Three replicas' budgets on one PostgreSQL: together they never exceed the bot-wide rate. */

const pg = await postgresAvailable();
if (!pg) console.log('shared send budget test skipped: PostgreSQL is not reachable at ' + PG_URL);
const schema = uniqueSchema('drill_budget');
const stores: StateStore[] = [];
afterAll(async () => {
  for (const s of stores) await s.close();
  if (pg) await PostgresDriver.dropSchema(PG_URL, schema).catch(() => undefined);
});


describe.skipIf(!pg)('shared send budget across replicas', () => {
  it('three replicas sending 90 messages at once stay within 30 per second bot-wide', async () => {
    const dir = await tempDir('budget');
    const logger = createLogger({ level: 'warn' });
    for (let i = 0; i < 3; i++) stores.push(await openStateStore({ stateDir: dir, databaseUrl: PG_URL, databaseSchema: schema, importLegacy: false }));
    const budgets = stores.map((store) => new StoreSendBudget({ store, key: 'send:telegram:drill', perSecond: 30, logger }));
    const granted: number[] = [];
    const started = Date.now();
    await Promise.all(
      budgets.flatMap((b) =>
        Array.from({ length: 30 }, async () => {
          await b.take();
          granted.push(Date.now());
        }),
      ),
    );
    const busiest = maxInWindow(granted, 1000);
    console.log(`\n| replicas | messages | budget/s | busiest 1 s | took s |\n|---:|---:|---:|---:|---:|\n| 3 | 90 | 30 | ${busiest} | ${((Date.now() - started) / 1000).toFixed(1)} |`);
    expect(granted).toHaveLength(90);
    // Locally each would have let its 30 go at once: 90 in the first second.
    expect(busiest).toBeLessThanOrEqual(30);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
  }, 60_000);
});

describe('the send scheduler takes the shared budget', () => {
  it('two schedulers on one store budget of 3/s: the fourth send waits for the window', async () => {
    const dir = await tempDir('budget-sqlite');
    const store = await openStateStore({ stateDir: dir, importLegacy: false });
    stores.push(store);
    const logger = createLogger({ level: 'warn' });
    const limits = { perChatIntervalMs: 0, groupPerMinute: 1000, globalPerSecond: 1000 };
    const schedulers = [new SendScheduler(limits), new SendScheduler(limits)];
    for (const s of schedulers) s.shareBudget(new StoreSendBudget({ store, key: 'send:telegram:units', perSecond: 3, slackMs: 0, logger }));
    const started = Date.now();
    const grantedMs: number[] = [];
    await Promise.all(
      [0, 1, 2, 3].map(async (i) => {
        const release = await schedulers[i % 2]!.acquire(`chat-${i}`, false);
        grantedMs.push(Date.now() - started);
        release();
      }),
    );
    grantedMs.sort((a, b) => a - b);
    // Locally each scheduler would grant both its sends at once.
    expect(grantedMs[2]!).toBeLessThan(900);
    expect(grantedMs[3]!).toBeGreaterThanOrEqual(900);
  });
});
