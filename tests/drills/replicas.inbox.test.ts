import { afterAll, describe, expect, it } from 'vitest';
import { SharedInbox } from '../../src/channels/shared/inbox.js';
import { LocalLanes, type ChatLanes, type LaneHandlers } from '../../src/channels/shared/lanes.js';
import { createLogger } from '../../src/logger.js';
import { openStateStore, PostgresDriver, type StateStore } from '../../src/state/index.js';
import { PG_URL, postgresAvailable, uniqueSchema } from '../state/pgTestDb.js';
import { tempDir } from './helpers.js';

/**
 * The shared inbox in one process, two "replicas" on two connections to one schema: a chat's
 * first question claimed by A (slow to answer), its second claimed by B a moment later. Lanes of
 * each process alone answer the second first; the shared inbox answers in order, once each.
 */

const pg = await postgresAvailable();
if (!pg) console.log('shared inbox test skipped: PostgreSQL is not reachable at ' + PG_URL);
const schemas: string[] = [];
const stores: StateStore[] = [];
afterAll(async () => {
  for (const s of stores) await s.close();
  for (const s of schemas) await PostgresDriver.dropSchema(PG_URL, s).catch(() => undefined);
});

interface Question {
  chat: string;
  n: number;
}

async function twoReplicas(kind: 'local' | 'shared', chats: number): Promise<Map<string, number[]>> {
  const schema = uniqueSchema(`inbox_${kind}`);
  schemas.push(schema);
  const dir = await tempDir('inbox');
  const logger = createLogger({ level: 'warn' });
  const answered = new Map<string, number[]>();
  const replicas: { store: StateStore; owner: string; lanes: ChatLanes<Question> }[] = [];
  for (const owner of ['A', 'B']) {
    const store = await openStateStore({ stateDir: dir, databaseUrl: PG_URL, databaseSchema: schema, importLegacy: false });
    stores.push(store);
    const handlers: LaneHandlers<Question> = {
      // The first question takes a while (an LLM call), the second is quick.
      process: async (q) => {
        await new Promise((r) => setTimeout(r, q.n === 1 ? 150 : 0));
        answered.set(q.chat, [...(answered.get(q.chat) ?? []), q.n]);
        await store.inboxMarkHandled('test', `${q.chat}-${q.n}`, Date.now());
      },
      decode: (payload) => payload as Question,
    };
    const lanes = kind === 'local' ? new LocalLanes(handlers) : SharedInbox.lanes<Question>({ store, channel: 'test', owner, logger })(handlers);
    replicas.push({ store, owner, lanes });
  }
  const claimAndSubmit = async (replica: (typeof replicas)[number], q: Question) => {
    await replica.store.inboxClaim({ channel: 'test', updateId: `${q.chat}-${q.n}`, chatKey: q.chat, orderKey: q.n, payload: q, owner: replica.owner, nowMs: Date.now(), leaseMs: 10_000 });
    return replica.lanes.submit(q.chat, q);
  };
  const work: Promise<void>[] = [];
  for (let c = 0; c < chats; c++) {
    const chat = `chat-${c}`;
    work.push(claimAndSubmit(replicas[0]!, { chat, n: 1 }));
    // The second question reaches the other replica while the first is being answered.
    work.push(new Promise((r) => setTimeout(r, 30)).then(() => claimAndSubmit(replicas[1]!, { chat, n: 2 })));
  }
  await Promise.all(work);
  for (const r of replicas) await r.lanes.close();
  return answered;
}

describe.skipIf(!pg)('shared inbox: chat order across replicas', () => {
  it('per-process lanes let the second question overtake the first', async () => {
    const answered = await twoReplicas('local', 4);
    expect([...answered.values()].filter((order) => order.join() === '2,1')).toHaveLength(4);
  });

  it('the shared inbox answers every chat in order, each question once', async () => {
    const answered = await twoReplicas('shared', 4);
    expect([...answered.values()]).toEqual(Array.from({ length: 4 }, () => [1, 2]));
  });
});
