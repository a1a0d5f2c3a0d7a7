import { describe, it } from 'vitest';
import { PG_URL, postgresAvailable } from '../state/pgTestDb.js';
import { webhookDrills } from './replicaDrills.js';

/**
 * Drills: three Zalo webhook replicas on one PostgreSQL behind the round-robin load balancer,
 * 200 chats × 5 questions, plain and with one replica killed with kill -9 mid-batch: none lost,
 * none duplicated, order kept in every chat.
 */

const pg = await postgresAvailable();
if (!pg) console.log('Zalo replica drills skipped: PostgreSQL is not reachable at ' + PG_URL + ' (.ci/run starts it)');

describe.skipIf(!pg)('drill: Zalo webhook, 3 replicas on PostgreSQL', () => {
  const drills = webhookDrills('zalo', 'Zalo webhook replicas');

  it('200 chats × 5 questions: none lost, none duplicated, order kept in every chat', drills.plain, 180_000);

  it('one replica killed with kill -9 mid-batch: its claims are taken over', drills.killOne, 180_000);
});
