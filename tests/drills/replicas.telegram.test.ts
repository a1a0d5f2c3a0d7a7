import { describe, it } from 'vitest';
import { PG_URL, postgresAvailable } from '../state/pgTestDb.js';
import { PrivateCluster } from './replicaHarness.js';
import { webhookDrills } from './replicaDrills.js';

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

const pg = await postgresAvailable();
const clusterOk = pg && (await PrivateCluster.available());
if (!pg) console.log('replica drills skipped: PostgreSQL is not reachable at ' + PG_URL + ' (.ci/run starts it)');

describe.skipIf(!pg)('drill: Telegram webhook, 3 replicas on PostgreSQL', () => {
  const drills = webhookDrills('telegram', 'Telegram webhook replicas');

  it('200 chats × 5 questions: none lost, none duplicated, order kept in every chat', drills.plain, 180_000);

  it('one replica killed with kill -9 mid-batch: its claims are taken over', drills.killOne, 180_000);

  it.skipIf(!clusterOk)('PostgreSQL restarted mid-batch (a private cluster): replicas reconnect and finish', async () => {
    const cluster = await PrivateCluster.start(55_000 + (process.pid % 5000));
    try {
      const r = await drills.run('telegram webhook, PostgreSQL restart', cluster.url, 'drill_restart', async () => {
        const at = Date.now();
        await cluster.restart();
        return at;
      });
      drills.check(r);
    } finally {
      await cluster.destroy();
    }
  }, 180_000);
});
