import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ReportAssistant } from '../../src/app/assistant.js';
import { followIndexVersions, INDEX_TOPIC, parseAnnouncement, type IndexFollower } from '../../src/app/indexVersions.js';
import { createLogger } from '../../src/logger.js';
import { openStateStore, PostgresDriver, type StateStore } from '../../src/state/index.js';
import { PG_URL, postgresAvailable, uniqueSchema } from '../state/pgTestDb.js';
import { copyReports, factory, tempDir } from './helpers.js';
import { waitUntil } from './replicaHarness.js';

/**
 * Drill: two replicas share the corpus and index on one volume and one PostgreSQL. A document
 * added on one (an admin upload) builds a new index version there; the other hears the
 * announcement (LISTEN/NOTIFY) and serves the new version without a restart.
 */

const pg = await postgresAvailable();
if (!pg) console.log('index version drill skipped: PostgreSQL is not reachable at ' + PG_URL);
const schema = uniqueSchema('drill_index');
const stores: StateStore[] = [];
const followers: IndexFollower[] = [];
afterAll(async () => {
  for (const f of followers) await f.close();
  for (const s of stores) await s.close();
  if (pg) await PostgresDriver.dropSchema(PG_URL, schema).catch(() => undefined);
});

const NEW_DOC = `BÁO CÁO
Về kết quả chuyển đổi số tại huyện Sa Thầy năm 2024

Năm 2024, huyện Sa Thầy đã hoàn thành 125 điểm hỗ trợ chuyển đổi số cộng đồng tại các thôn, làng.
`;

describe.skipIf(!pg)('drill: new index versions across replicas', () => {
  it('a version built on one replica is loaded by the other without a restart', async () => {
    const root = await tempDir('index-versions');
    const corpusDir = path.join(root, 'corpus');
    const indexDir = path.join(root, 'index');
    await copyReports(corpusDir);
    const logger = createLogger({ level: 'warn' });
    const open = () => openStateStore({ stateDir: root, databaseUrl: PG_URL, databaseSchema: schema, importLegacy: false });
    const a = await ReportAssistant.open({ corpusDir, indexDir, embedderFactory: factory });
    const b = await ReportAssistant.open({ corpusDir, indexDir, embedderFactory: factory, autoIngest: false });
    const [storeA, storeB] = [await open(), await open()];
    stores.push(storeA, storeB);
    const followA = await followIndexVersions(storeA, a, logger, { indexDir, announceCheckMs: 100 });
    const followB = await followIndexVersions(storeB, b, logger, { indexDir, announceCheckMs: 100 });
    followers.push(followA, followB);
    const before = followB.version;
    expect(followA.version).toBe(before);
    const heard: string[] = [];
    await storeB.subscribe(INDEX_TOPIC, (p) => heard.push(parseAnnouncement(p)?.version ?? 'bad'));

    const started = Date.now();
    await a.addDocument('sa-thay-chuyen-doi-so-2024.txt', Buffer.from(NEW_DOC, 'utf8'));
    expect(followA.version).not.toBe(before);
    await waitUntil(() => followB.version === followA.version, 30_000, 'replica B to load the new version');
    const seconds = (Date.now() - started) / 1000;
    console.log(`\n| scenario | replicas | version before | version after | B loaded after s |\n|---|---:|---|---|---:|\n| admin upload on A | 2 | ${before} | ${followB.version} | ${seconds.toFixed(1)} |`);
    expect(heard).toContain(followA.version);
    // B answers from the new document, and built nothing itself (same version directory as A).
    const { answer } = await b.ask('Huyện Sa Thầy có bao nhiêu điểm hỗ trợ chuyển đổi số cộng đồng?');
    expect(answer.text).toContain('125');
    expect((await fs.readdir(indexDir)).filter((d) => d.startsWith('v')).length).toBeGreaterThanOrEqual(1);
  }, 120_000);
});
