import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HISTORY_TURNS,
  LATEST_SCHEMA_VERSION,
  PostgresDriver,
  SqlStateStore,
  SqliteDriver,
  StateSchemaError,
  importLegacyJson,
  openStateStore,
  type StateStore,
} from '../../src/state/index.js';
import type { ConversationTurn } from '../../src/answer/types.js';
import type { QuizQuestion } from '../../src/trainer/types.js';
import { PG_URL, postgresAvailable, uniqueSchema } from './pgTestDb.js';

const pgUp = await postgresAvailable();
if (!pgUp) console.warn('PostgreSQL is not reachable on 127.0.0.1:5432: its half of the state contract is skipped');

interface Target {
  name: string;
  skip: boolean;
  open: () => Promise<StateStore>;
  cleanup: () => Promise<void>;
}

function sqliteTarget(): Target {
  let dir = '';
  return {
    name: 'sqlite',
    skip: false,
    open: async () => {
      dir ||= await mkdtemp(join(tmpdir(), 'state-'));
      return openStateStore({ stateDir: dir, importLegacy: false });
    },
    cleanup: async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

function postgresTarget(): Target {
  const schema = uniqueSchema('contract');
  return {
    name: 'postgres',
    skip: !pgUp,
    open: () => openStateStore({ stateDir: tmpdir(), databaseUrl: PG_URL, databaseSchema: schema, importLegacy: false }),
    cleanup: async () => {
      if (pgUp) await PostgresDriver.dropSchema(PG_URL, schema);
    },
  };
}

const roundInfo = (chatKey: string, roundId: string) => ({ chatKey, roundId, topic: '', seed: 's', lang: 'vi' as const, startedAtMs: 1 });

/** A generated question's shape, as the trainer stores it. */
const question = (id: string): QuizQuestion => ({
  id,
  kind: 'figure',
  text: `Câu ${id}?`,
  options: ['10%', '20%', '30%'],
  answer: 1,
  explanation: 'Theo báo cáo: 20%.',
  citation: { document: 'd', title: 'Báo cáo', section: 'I', quote: 'đạt 20%', chunkId: 'd#1' },
  evidence: '20%',
  source: 'Báo cáo',
  sentenceKey: `s-${id}`,
});

const turn = (q: string): ConversationTurn => ({
  question: q,
  resolvedQuestion: q,
  answer: { text: q, answered: true, citations: [], language: 'vi' } as unknown as ConversationTurn['answer'],
});

for (const target of [sqliteTarget(), postgresTarget()]) {
  describe.skipIf(target.skip)(`StateStore contract (${target.name})`, () => {
    let store: StateStore;
    beforeAll(async () => {
      store = await target.open();
    });
    afterAll(async () => {
      await store?.close();
      await target.cleanup();
    });

    it('is migrated to the latest schema, and reopening migrates nothing twice', async () => {
      expect(await store.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
      const again = await target.open();
      expect(await again.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
      await again.close();
    });

    it('claims an update exactly once, even when claims race', async () => {
      const claim = { channel: 't', updateId: '42', chatKey: 'c1', orderKey: 42, payload: { text: 'hỏi' }, owner: 'A', nowMs: 1000, leaseMs: 30_000 };
      const results = await Promise.all([store.inboxClaim(claim), store.inboxClaim({ ...claim, owner: 'B' }), store.inboxClaim(claim)]);
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.inboxStatus('t', '42')).toBe('pending');
      expect(await store.inboxStatus('other', '42')).toBe('unknown');
      expect(await store.inboxPendingCount('t')).toBe(1);
      await store.inboxRecordSentParts('t', '42', 2);
      expect((await store.inboxNextForChat('t', 'c1'))?.sentParts).toBe(2);
      await store.inboxMarkHandled('t', '42', 2000);
      expect(await store.inboxStatus('t', '42')).toBe('handled');
      expect(await store.inboxClaim(claim)).toBe(false);
      expect(await store.inboxPendingCount('t')).toBe(0);
    });

    it('drains a chat oldest first and lets another owner take over only after the lease ran out', async () => {
      const base = { channel: 'lanes', chatKey: 'c', payload: {}, owner: 'A', nowMs: 10_000, leaseMs: 5000 };
      await store.inboxClaim({ ...base, updateId: '3', orderKey: 3 });
      await store.inboxClaim({ ...base, updateId: '1', orderKey: 1 });
      await store.inboxClaim({ ...base, updateId: '2', orderKey: 2, chatKey: 'other' });
      expect((await store.inboxNextForChat('lanes', 'c'))?.updateId).toBe('1');
      expect(await store.inboxTakeOver('lanes', 'B', 12_000, 5000, 10)).toEqual([]);
      await store.inboxRenew('lanes', 'A', 14_000, 5000);
      expect(await store.inboxTakeOver('lanes', 'B', 16_000, 5000, 10)).toEqual([]);
      const taken = await store.inboxTakeOver('lanes', 'B', 20_000, 5000, 10);
      expect(taken.map((e) => e.updateId)).toEqual(['1', '2', '3']);
      expect(taken.every((e) => e.attempts === 2)).toBe(true);
      expect(await store.inboxTakeOver('lanes', 'A', 21_000, 5000, 10)).toEqual([]);
      await store.inboxRelease('lanes', '2');
      expect(await store.inboxStatus('lanes', '2')).toBe('unknown');
    });

    it('keeps the offset moving forward only', async () => {
      expect(await store.getOffset('tg')).toBe(0);
      await store.advanceOffset('tg', 17);
      await store.advanceOffset('tg', 5);
      expect(await store.getOffset('tg')).toBe(17);
    });

    it('keeps the last turns of a chat, and concurrent updates do not lose each other', async () => {
      await Promise.all(
        Array.from({ length: 8 }, (_v, i) =>
          store.updateChat('ch', 'c1', 1000 + i, (s) => {
            s.history.push(turn(`q${i}`));
            s.nextSeq++;
          }),
        ),
      );
      const chat = await store.getChat('ch', 'c1');
      expect(chat.nextSeq).toBe(9);
      expect(chat.history).toHaveLength(HISTORY_TURNS);
      expect((await store.getChat('ch', 'unknown')).history).toEqual([]);
    });

    it('rate-limits per key over a sliding window, shared by every caller', async () => {
      const takes = await Promise.all([0, 1, 2, 3].map(() => store.rateTake('u1', 3, 60_000, 100_000)));
      expect(takes.filter((w) => w === 0)).toHaveLength(3);
      expect(takes.find((w) => w > 0)).toBe(60_000);
      expect(await store.rateTake('u1', 3, 60_000, 130_000)).toBe(30_000);
      expect(await store.rateTake('u1', 3, 60_000, 160_001)).toBe(0);
      expect(await store.rateTake('u2', 3, 60_000, 100_000)).toBe(0);
    });

    it('keeps a quiz round per chat: questions in order, the latest read with the round, polls bound to a question', async () => {
      const round = await store.quizStartRound('quiz', roundInfo('c1', 'r1'), 1);
      expect(round).toMatchObject({ roundId: 'r1', asked: 0, lang: 'vi' });
      expect(round.latest).toBeUndefined();
      // A second start (another replica, the same moment) finds the running round.
      expect((await store.quizStartRound('quiz', roundInfo('c1', 'r2'), 2)).roundId).toBe('r1');
      expect((await store.quizAsk('quiz', 'c1', 'r1', question('q1'), 3, 2))?.n).toBe(1);
      expect((await store.quizAsk('quiz', 'c1', 'r1', question('q2'), 4, 2))?.n).toBe(2);
      // Full at maxQuestions, and nothing is asked in a round that is not the chat's.
      expect(await store.quizAsk('quiz', 'c1', 'r1', question('q3'), 5, 2)).toBeUndefined();
      expect(await store.quizAsk('quiz', 'c1', 'other', question('q3'), 5, 10)).toBeUndefined();
      const read = await store.quizRound('quiz', 'c1');
      expect(read).toMatchObject({ asked: 2, latest: { n: 2, revealed: false, question: { id: 'q2' } } });
      // Asking q2 closed q1 for typed answers.
      expect((await store.quizQuestions('quiz', 'c1', 'r1')).map((q) => [q.question.id, q.revealed])).toEqual([
        ['q1', true],
        ['q2', false],
      ]);
      await store.quizBindPoll('quiz', 'P2', { chatKey: 'c1', roundId: 'r1', n: 2 });
      expect(await store.quizPoll('quiz', 'P2')).toEqual({ chatKey: 'c1', roundId: 'r1', n: 2 });
      expect(await store.quizPoll('other-channel', 'P2')).toBeUndefined();
      expect((await store.quizRound('quiz', 'c1'))?.latest?.pollId).toBe('P2');
      await store.quizReveal('quiz', 'c1', 'r1', 2);
      expect((await store.quizRound('quiz', 'c1'))?.latest?.revealed).toBe(true);
      await store.quizSetTopic('quiz', 'c1', 'r1', 'An Giang', 6);
      expect((await store.quizRound('quiz', 'c1'))?.topic).toBe('An Giang');
      expect(await store.quizRound('quiz', 'nobody')).toBeUndefined();
    });

    it('counts the first answer per participant and question, even when answers race, and sums scores', async () => {
      await store.quizStartRound('score', roundInfo('g', 'r'), 1);
      await store.quizAsk('score', 'g', 'r', question('a'), 2, 100);
      const answer = (userId: string, option: number, name = userId) => ({ userId, name, option, correct: option === 1, atMs: 3 });
      const same = await Promise.all([0, 1, 2].map((o) => store.quizAnswer('score', 'g', 'r', 1, answer('u1', o))));
      expect(same.filter((r) => r.kind === 'recorded')).toHaveLength(1);
      expect(same.filter((r) => r.kind === 'already-answered')).toHaveLength(2);
      const others = await Promise.all(['u2', 'u3', 'u4'].map((u) => store.quizAnswer('score', 'g', 'r', 1, answer(u, 1))));
      expect(others.every((r) => r.kind === 'recorded')).toBe(true);
      await store.quizAsk('score', 'g', 'r', question('b'), 4, 100);
      await store.quizAnswer('score', 'g', 'r', 2, answer('u2', 1, 'Minh'));
      const again = await store.quizAnswer('score', 'g', 'r', 2, answer('u2', 0, 'Minh'));
      expect(again).toMatchObject({ kind: 'already-answered', previous: { name: 'Minh', option: 1, correct: true } });
      expect(await store.quizAnswer('score', 'g', 'r', 9, answer('u2', 1))).toEqual({ kind: 'gone' });
      const scores = new Map((await store.quizScores('score', 'g', 'r')).map((s) => [s.userId, s]));
      expect(scores.get('u2')).toEqual({ userId: 'u2', name: 'Minh', correct: 2, answered: 2 });
      expect(scores.get('u3')).toMatchObject({ correct: 1, answered: 1 });
      expect(scores.get('u1')?.answered).toBe(1);

      // Ending returns the summary once (two replicas ending together get one), and clears the chat.
      const ends = await Promise.all([store.quizEndRound('score', 'g', 'r'), store.quizEndRound('score', 'g', 'r')]);
      const ended = ends.filter((e) => e !== undefined);
      expect(ended).toHaveLength(1);
      expect(ended[0]?.questions.map((q) => q.n)).toEqual([1, 2]);
      expect(ended[0]?.scores).toHaveLength(4);
      expect(await store.quizRound('score', 'g')).toBeUndefined();
      expect(await store.quizScores('score', 'g', 'r')).toEqual([]);
      // A late answer to the ended round is not recorded anywhere.
      expect(await store.quizAnswer('score', 'g', 'r', 1, answer('u9', 1))).toEqual({ kind: 'gone' });
      // The next round in the chat starts empty.
      await store.quizStartRound('score', roundInfo('g', 'r2'), 10);
      expect((await store.quizRound('score', 'g'))?.asked).toBe(0);
    });

    it('imports a whole legacy round once, and never over a live round', async () => {
      const data = {
        round: roundInfo('imp', 'legacy:imp:1'),
        questions: [{ n: 1, question: question('x'), askedAtMs: 1, revealed: false, answers: [{ userId: 'u', name: 'Lan', option: 1, correct: true, atMs: 2 }] }],
        polls: [{ pollId: 'PX', n: 1 }],
      };
      expect(await store.quizImportRound('quiz-import', data, 5)).toBe(true);
      // Again (a crash before the file was renamed): replaced, not doubled.
      expect(await store.quizImportRound('quiz-import', data, 6)).toBe(true);
      expect(await store.quizScores('quiz-import', 'imp', 'legacy:imp:1')).toEqual([{ userId: 'u', name: 'Lan', correct: 1, answered: 1 }]);
      expect(await store.quizPoll('quiz-import', 'PX')).toEqual({ chatKey: 'imp', roundId: 'legacy:imp:1', n: 1 });
      await store.quizStartRound('quiz-import', roundInfo('live', 'fresh'), 7);
      expect(await store.quizImportRound('quiz-import', { ...data, round: roundInfo('live', 'legacy:live:1') }, 8)).toBe(false);
      expect((await store.quizRound('quiz-import', 'live'))?.roundId).toBe('fresh');
    });

    it('records uploads newest first', async () => {
      await store.recordUpload({ channel: 'up', userId: 'a', fileName: 'x.docx', sizeBytes: 10, outcome: 'added', atMs: 1 });
      await store.recordUpload({ channel: 'up', userId: 'a', fileName: 'y.pdf', sizeBytes: 20, outcome: 'rejected', atMs: 2 });
      expect((await store.recentUploads('up', 5)).map((u) => u.fileName)).toEqual(['y.pdf', 'x.docx']);
    });

    it('gives a lease to one holder at a time and to another once it expired', async () => {
      expect(await store.tryLease('poll', 'A', 0, 6000)).toBe(true);
      expect(await store.tryLease('poll', 'B', 1000, 6000)).toBe(false);
      expect(await store.tryLease('poll', 'A', 3000, 6000)).toBe(true);
      expect(await store.tryLease('poll', 'B', 8000, 6000)).toBe(false);
      expect(await store.tryLease('poll', 'B', 9001, 6000)).toBe(true);
      await store.releaseLease('poll', 'B');
      expect(await store.tryLease('poll', 'C', 9002, 6000)).toBe(true);
    });

    it('serialises work under one lock key and not across keys', async () => {
      const log: string[] = [];
      const step = (key: string, tag: string, ms: number) =>
        store.withLock(key, async () => {
          log.push(`${tag}+`);
          await new Promise((r) => setTimeout(r, ms));
          log.push(`${tag}-`);
        });
      await Promise.all([step('k', 'a', 300), step('k', 'b', 300), step('other', 'c', 1)]);
      // Under one key each holder enters and leaves before the next enters (whichever came first).
      const underK = log.filter((e) => !e.startsWith('c'));
      expect([underK[0]?.[0], underK[2]?.[0]]).toEqual([underK[1]?.[0], underK[3]?.[0]]);
      expect(underK.map((e) => e[1])).toEqual(['+', '-', '+', '-']);
      // Another key does not wait for them.
      expect(log.indexOf('c-')).toBeLessThan(log.indexOf(underK[1] ?? ''));
    });

    it('delivers published events to subscribers', async () => {
      const got: string[] = [];
      const unsubscribe = await store.subscribe('index', (p) => got.push(p));
      await store.publish('index', 'v2');
      await expect.poll(() => got, { timeout: 3000 }).toEqual(['v2']);
      await unsubscribe();
    });

    it('prunes handled ids, idle chats and idle rounds by age, and nothing pending', async () => {
      const c = { channel: 'prune', chatKey: 'c', payload: {}, owner: 'A', nowMs: 0, leaseMs: 1 };
      await store.quizStartRound('prune', roundInfo('idle', 'r'), 0);
      await store.quizAsk('prune', 'idle', 'r', question('p'), 0, 10);
      await store.quizBindPoll('prune', 'PP', { chatKey: 'idle', roundId: 'r', n: 1 });
      await store.inboxClaim({ ...c, updateId: 'old', orderKey: 1 });
      await store.inboxMarkHandled('prune', 'old', 0);
      await store.inboxClaim({ ...c, updateId: 'pending', orderKey: 2 });
      await store.updateChat('prune', 'idle', 0, (s) => void s.history.push(turn('x')));
      const day = 24 * 3600_000;
      const result = await store.prune({ nowMs: 10 * day, handledMaxAgeMs: day, chatMaxAgeMs: day, roundMaxAgeMs: day });
      expect(result.inbox).toBeGreaterThanOrEqual(1);
      expect(result.chats).toBeGreaterThanOrEqual(1);
      expect(await store.inboxStatus('prune', 'old')).toBe('unknown');
      expect(await store.inboxStatus('prune', 'pending')).toBe('pending');
      expect((await store.getChat('prune', 'idle')).history).toEqual([]);
      expect(result.rounds).toBeGreaterThanOrEqual(1);
      expect(await store.quizRound('prune', 'idle')).toBeUndefined();
      expect(await store.quizPoll('prune', 'PP')).toBeUndefined();
      expect(await store.quizQuestions('prune', 'idle', 'r')).toEqual([]);
    });

    it('marks one-time steps once', async () => {
      expect(await store.markOnce('import', 1)).toBe(true);
      expect(await store.markOnce('import', 2)).toBe(false);
    });
  });
}

describe('SQLite specifics', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'state-sqlite-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs in WAL mode and refuses a schema newer than this build', async () => {
    const driver = new SqliteDriver(join(dir, 'a.sqlite'));
    const store = await SqlStateStore.open(driver);
    expect(await driver.all('PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
    await driver.run('INSERT INTO schema_migrations (version, applied_at_ms) VALUES (?, ?)', [LATEST_SCHEMA_VERSION + 1, 0]);
    await store.close();
    await expect(SqlStateStore.open(new SqliteDriver(join(dir, 'a.sqlite')))).rejects.toBeInstanceOf(StateSchemaError);
  });

  it('imports the legacy JSON state files once and renames them', async () => {
    const legacy = join(dir, 'legacy');
    await openStateStore({ stateDir: legacy, importLegacy: false }).then((s) => s.close());
    const pendingUpdate = { update_id: 11, message: { chat: { id: 5 }, text: 'hỏi' } };
    await writeFile(join(legacy, 'telegram-updates.json'), JSON.stringify({ version: 1, offset: 12, pending: [pendingUpdate], handled: [9, 10] }));
    await writeFile(
      join(legacy, 'zalo-dedup.json'),
      JSON.stringify({ version: 1, handled: ['m1'], pending: [{ id: 'm2', raw: { message: { chat: { id: 'z' } } }, receivedAtMs: 5, sentParts: 1, attempts: 1 }] }),
    );
    await writeFile(join(legacy, 'telegram-chats.json'), JSON.stringify({ version: 1, chats: { '5': { language: 'en', history: [turn('a')], recentAnswers: [], nextSeq: 4 } } }));
    const asked = { n: 1, question: question('q'), askedAt: 3, pollId: 'p', revealed: false, answers: [{ userId: 'u', name: 'Lan', option: 1, correct: true, at: 4 }] };
    await writeFile(
      join(legacy, 'zalo-quiz.json'),
      JSON.stringify({ version: 1, rounds: { z: { chatKey: 'z', topic: '', seed: 's', lang: 'vi', startedAt: 2, questions: [asked] } }, polls: { p: { chatKey: 'z', questionId: 'q' } } }),
    );
    await writeFile(join(legacy, 'console-chats.json'), '{"version":1,"chats":');

    const store = await openStateStore({ stateDir: legacy });
    expect(await store.getOffset('telegram')).toBe(12);
    expect(await store.inboxStatus('telegram', '10')).toBe('handled');
    expect((await store.inboxNextForChat('telegram', '5'))?.payload).toEqual(pendingUpdate);
    expect(await store.inboxStatus('zalo', 'm1')).toBe('handled');
    expect((await store.inboxNextForChat('zalo', 'z'))?.sentParts).toBe(1);
    expect(await store.getChat('telegram', '5')).toMatchObject({ language: 'en', nextSeq: 4 });
    expect(await store.quizRound('zalo', 'z')).toMatchObject({ asked: 1, latest: { n: 1, pollId: 'p', question: { id: 'q' } } });
    expect(await store.quizPoll('zalo', 'p')).toMatchObject({ chatKey: 'z', n: 1 });
    const files = await readdir(legacy);
    expect(files.filter((f) => f.endsWith('.json'))).toEqual([]);
    expect(files).toContain('telegram-updates.json.imported');
    // The torn file is set aside under its own name, not passed off as imported.
    expect(files).toContain('console-chats.json.corrupt');
    // A second run finds nothing left to import.
    expect(await importLegacyJson(store, legacy)).toEqual({});
    await store.close();
  });
});
