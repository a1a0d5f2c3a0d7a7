import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DedupStore } from '../../../src/channels/zalo/dedupStore.js';
import { SQLITE_FILE, SqliteDriver, openStateStore } from '../../../src/state/index.js';
import { textUpdate } from './fakeZaloApi.js';
import { delay, removeDir, startHarness, tempStateDir, type Harness } from './harness.js';

const QUESTION = 'Mô hình bí thư đồng thời là chủ tịch xã đạt kết quả gì?';
const LONG_QUESTION = 'Cho tôi một câu trả lời dài về tổ chức bộ máy';

/** The inbox rows of the Zalo channel, read straight from the SQLite state file. */
async function readState(dir: string): Promise<{ handled: string[]; pending: { id: string; sentParts: number }[] }> {
  const db = new SqliteDriver(path.join(dir, SQLITE_FILE));
  try {
    const rows = await db.all(`SELECT update_id, status, sent_parts FROM inbox WHERE channel = 'zalo' ORDER BY order_key`);
    return {
      handled: rows.filter((r) => r.status === 'handled').map((r) => String(r.update_id)),
      pending: rows.filter((r) => r.status === 'pending').map((r) => ({ id: String(r.update_id), sentParts: Number(r.sent_parts) })),
    };
  } finally {
    await db.close();
  }
}

describe('Zalo de-duplication and restarts', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('answers a message delivered twice only once', async () => {
    h = await startHarness();
    const { api } = h;
    const update = textUpdate({ text: QUESTION, userId: 'u-dup', messageId: 'dup-1' });
    api.push(update);
    api.push(structuredClone(update));
    await api.waitFor(() => api.textsTo('u-dup').length === 1, 5000, 'the answer');
    await api.waitFor(() => api.callsOf('getUpdates').filter((c) => c.outcome === 'ok').length === 2, 5000, 'both deliveries');
    await delay(100);
    expect(api.textsTo('u-dup')).toHaveLength(1);
    expect(h.knowledge.asks).toHaveLength(1);
  });

  it('remembers answered messages across a restart with the same STATE_DIR', async () => {
    h = await startHarness();
    const { api } = h;
    const update = textUpdate({ text: QUESTION, userId: 'u-restart', messageId: 'restart-1' });
    api.push(update);
    await api.waitFor(() => api.textsTo('u-restart').length === 1, 5000, 'the answer');
    await h.restart();
    expect((await readState(h.stateDir)).handled).toContain('restart-1');
    api.push(structuredClone(update));
    api.push(textUpdate({ text: '/nguon', userId: 'u-restart', messageId: 'restart-2' }));
    await api.waitFor(() => api.textsTo('u-restart').length === 2, 5000, 'the /nguon answer');
    await delay(100);
    expect(api.textsTo('u-restart')[1]).toContain('381-BC/TU');
    expect(h.knowledge.asks).toHaveLength(1);
  });

  it('answers after a restart a message whose reply could not go out, exactly once', async () => {
    h = await startHarness({ tuning: { drainTimeoutMs: 100 } });
    const { api } = h;
    api.failNext('sendMessage', { kind: 'http', status: 503 }, 10_000);
    const update = textUpdate({ text: QUESTION, userId: 'u-crash', messageId: 'crash-1' });
    api.push(update);
    await api.waitFor(() => api.callsOf('sendMessage').length >= 3, 5000, 'failing sends');
    await h.stopChannel();
    // A send that was on the wire when the stop aborted it still reaches the API: let it fail too.
    await delay(150);
    expect((await readState(h.stateDir)).pending.map((p) => p.id)).toEqual(['crash-1']);
    expect(api.textsTo('u-crash')).toEqual([]);

    api.clearFaults();
    await h.restart();
    await api.waitFor(() => api.textsTo('u-crash').length === 1, 5000, 'the replayed answer');
    api.push(structuredClone(update));
    await api.waitFor(() => api.callsOf('getUpdates').some((c) => c.outcome === 'ok'), 5000, 'the redelivery');
    await delay(100);
    expect(api.textsTo('u-crash')).toHaveLength(1);
    const state = await readState(h.stateDir);
    expect(state.pending).toEqual([]);
    expect(state.handled).toContain('crash-1');
  });

  it('does not repeat parts of a split answer that already went out before the restart', async () => {
    h = await startHarness({ tuning: { drainTimeoutMs: 100 } });
    const { api } = h;
    api.failNext('sendMessage', { kind: 'drop' }, 10_000, 1);
    api.push(textUpdate({ text: LONG_QUESTION, userId: 'u-parts', messageId: 'parts-1' }));
    await api.waitFor(() => api.callsOf('sendMessage').filter((c) => c.outcome === 'drop').length >= 2, 5000, 'part 2 failing');
    await h.stopChannel();
    expect(api.textsTo('u-parts')).toHaveLength(1);
    expect((await readState(h.stateDir)).pending).toMatchObject([{ id: 'parts-1', sentParts: 1 }]);

    api.clearFaults();
    await h.restart();
    await api.waitFor(() => api.textsTo('u-parts').some((t) => t.includes('Nguồn:')), 5000, 'the rest of the answer');
    const texts = api.textsTo('u-parts');
    expect(new Set(texts).size).toBe(texts.length);
    expect(texts[0]).toMatch(/^Đoạn 1\./);
    expect(texts.join('\n\n')).toContain('Đoạn 14.');
  });

  it('replays a message recorded by a process killed before it answered', async () => {
    const update = textUpdate({ text: QUESTION, userId: 'u-killed', messageId: 'killed-1' });
    h = await startHarness({
      beforeStart: async (_api, dir) => {
        await mkdir(dir, { recursive: true });
        const state = { version: 1, handled: [], pending: [{ id: 'killed-1', raw: update, receivedAtMs: Date.now(), sentParts: 0, attempts: 1 }] };
        await writeFile(path.join(dir, 'zalo-dedup.json'), JSON.stringify(state));
      },
    });
    await h.api.waitFor(() => h?.api.textsTo('u-killed').length === 1, 5000, 'the replayed answer');
  });

  it('replays a group mention even before the bot has learned its name again', async () => {
    const update = textUpdate({ text: `@Trợ lý Báo cáo ${QUESTION}`, chatId: 'g-replay', userId: 'u-g', chatType: 'GROUP', messageId: 'g-killed-1' });
    h = await startHarness({
      beforeStart: async (api, dir) => {
        api.failNext('getMe', { kind: 'delay', ms: 300 });
        const state = { version: 1, handled: [], pending: [{ id: 'g-killed-1', raw: update, receivedAtMs: Date.now(), sentParts: 0, attempts: 1 }] };
        await writeFile(path.join(dir, 'zalo-dedup.json'), JSON.stringify(state));
      },
    });
    await h.api.waitFor(() => h?.api.textsTo('g-replay').length === 1, 5000, 'the replayed group answer');
    expect(h.api.textsTo('g-replay')[0]).toContain('Nguồn:');
  });

  it('gives up on a message whose answer was started by three replays already (it crashes us)', async () => {
    const update = textUpdate({ text: QUESTION, userId: 'u-poison', messageId: 'poison-1' });
    h = await startHarness({
      beforeStart: async (_api, dir) => {
        const state = await openStateStore({ stateDir: dir });
        const store = await DedupStore.open({ store: state });
        await store.begin('poison-1', update);
        for (let i = 0; i < 3; i++) await store.recordStart('poison-1', 3);
        await state.close();
      },
    });
    await h.api.waitFor(() => h?.logs.text().includes('giving up on a message') === true, 5000, 'the give-up');
    await delay(100);
    expect(h.api.textsTo('u-poison')).toEqual([]);
    expect((await readState(h.stateDir)).handled).toContain('poison-1');
  });

  it('does not count restarts a message spent queued behind others as failed attempts', async () => {
    const queued = textUpdate({ text: QUESTION, userId: 'u-queued', messageId: 'queued-1' });
    h = await startHarness({
      beforeStart: async (_api, dir) => {
        const state = await openStateStore({ stateDir: dir });
        await DedupStore.open({ store: state }).then((s) => s.begin('queued-1', queued));
        // Five restarts while it waited its turn: each took the pending claim over.
        for (let i = 0; i < 5; i++) await state.inboxTakeOver('zalo', 'local', Date.now(), 1000, 100);
        await state.close();
      },
    });
    await h.api.waitFor(() => h?.api.textsTo('u-queued').length === 1, 5000, 'the queued answer');
    expect(h.logs.text()).not.toContain('giving up on a message');
  });

  it('imports nothing from a corrupt legacy state file, sets it aside and starts', async () => {
    h = await startHarness({
      beforeStart: async (_api, dir) => {
        await writeFile(path.join(dir, 'zalo-dedup.json'), '{"version":1,"handled":["a"');
      },
    });
    h.api.push(textUpdate({ text: '/nguon', userId: 'u-corrupt' }));
    await h.api.waitFor(() => h?.api.textsTo('u-corrupt').length === 1, 5000, 'an answer');
    expect(await readdir(h.stateDir)).toContain('zalo-dedup.json.corrupt');
  });
});

describe('DedupStore', () => {
  it('claims once, survives a reopen of the store, and keeps the handled row small', async () => {
    const dir = await tempStateDir();
    try {
      const state = await openStateStore({ stateDir: dir });
      const store = await DedupStore.open({ store: state });
      for (const id of ['a', 'b', 'c', 'd']) {
        expect(await store.begin(id, { id })).toBe(true);
        expect(await store.begin(id, { id })).toBe(false);
        await store.complete(id);
      }
      await state.close();
      const reopenedState = await openStateStore({ stateDir: dir });
      const reopened = await DedupStore.open({ store: reopenedState });
      expect(await reopened.isHandled('d')).toBe(true);
      expect(await reopened.isHandled('never')).toBe(false);
      expect(await reopened.begin('d', {})).toBe(false);
      expect((await reopenedState.inboxEntry('zalo', 'd'))?.payload).toBeNull();
      await reopenedState.close();
    } finally {
      await removeDir(dir);
    }
  });

  it('keeps every one of many concurrent claims and completions', async () => {
    const dir = await tempStateDir();
    try {
      const state = await openStateStore({ stateDir: dir });
      const store = await DedupStore.open({ store: state });
      await Promise.all(Array.from({ length: 25 }, (_v, i) => store.begin(`m${i}`, {})));
      await Promise.all(Array.from({ length: 25 }, (_v, i) => store.complete(`m${i}`)));
      await state.close();
      const result = await readState(dir);
      expect(result.handled).toHaveLength(25);
      expect(result.pending).toEqual([]);
    } finally {
      await removeDir(dir);
    }
  });
});
