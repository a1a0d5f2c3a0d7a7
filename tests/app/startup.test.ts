import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CHANNELS } from '../../src/app/channels.js';
import { DeferredKnowledge } from '../../src/app/deferredKnowledge.js';
import { FakeKnowledgeBase } from '../../src/bot/index.js';
import type { ChannelHandle } from '../../src/channels/shared/channel.js';
import { openStateStore, type StateStore } from '../../src/state/index.js';
import { FakeBotApi } from '../channels/telegram/fakeBotApi.js';
import { captureLogger, testConfig, TOKEN, USER, waitFor } from '../channels/telegram/helpers.js';

function definition(name: string) {
  const found = CHANNELS.find((c) => c.name === name);
  if (!found) throw new Error(`no channel ${name}`);
  return found;
}

/** A knowledge base whose index finishes loading when the test says so. */
function slowLoading(): { knowledge: DeferredKnowledge<FakeKnowledgeBase>; finishLoading: () => void } {
  let finishLoading!: () => void;
  const loaded = new Promise<FakeKnowledgeBase>((resolve) => {
    finishLoading = () => resolve(new FakeKnowledgeBase());
  });
  return { knowledge: new DeferredKnowledge(loaded), finishLoading };
}

describe('start-up never blocks answering', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  it('receives a question while the index is still loading and answers it once, as soon as it is loaded', async () => {
    const api = await FakeBotApi.start(TOKEN);
    const stateDir = await mkdtemp(join(tmpdir(), 'startup-'));
    const store: StateStore = await openStateStore({ stateDir });
    cleanup.push(async () => {
      await api.close();
      await store.close();
      await rm(stateDir, { recursive: true, force: true });
    });
    const { knowledge, finishLoading } = slowLoading();
    const log = captureLogger();
    const config = testConfig(stateDir, api.url);
    const telegram = definition('telegram');
    expect(telegram.isConfigured(config, { interactive: false })).toBe(true);
    const handle: ChannelHandle = await telegram.start({ config, knowledge, logger: log.logger, store });
    cleanup.unshift(() => handle.stop());
    expect(handle.mode).toBe('polling');

    api.privateText(USER, 'Kon Tum có bao nhiêu xã?');
    // Received and claimed (the offset moved past it) while nothing can be answered yet.
    await waitFor(async () => (await store.inboxPendingCount('telegram')) === 1, 'the question claimed during start-up');
    expect(knowledge.isReady).toBe(false);
    expect(api.sentMessages(USER.id)).toHaveLength(0);

    finishLoading();
    await waitFor(() => api.sentMessages(USER.id).length === 1, 'the answer once the index is loaded');
    await waitFor(async () => (await store.inboxPendingCount('telegram')) === 0, 'the update marked handled');
    expect(api.sentMessages(USER.id)).toHaveLength(1);
  });

  it('offers the console only in a terminal without bot tokens, and stops it on request', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'startup-console-'));
    const store = await openStateStore({ stateDir });
    cleanup.push(async () => {
      await store.close();
      await rm(stateDir, { recursive: true, force: true });
    });
    const withToken = testConfig(stateDir, 'http://127.0.0.1:1');
    const consoleChat = definition('console');
    expect(consoleChat.isConfigured(withToken, { interactive: true })).toBe(false);
    const noToken = { ...withToken, TELEGRAM_BOT_TOKEN: undefined };
    expect(consoleChat.isConfigured(noToken, { interactive: false })).toBe(false);
    expect(consoleChat.isConfigured(noToken, { interactive: true })).toBe(true);
    expect(CHANNELS.filter((c) => c.isConfigured(noToken, { interactive: false }))).toHaveLength(0);

    const { knowledge, finishLoading } = slowLoading();
    finishLoading();
    const handle = await consoleChat.start({ config: noToken, knowledge, logger: captureLogger().logger, store });
    let ended = false;
    void handle.ended.then(() => (ended = true));
    await handle.stop();
    expect(ended).toBe(true);
    // The chat history lives in the shared store, not in a file of its own.
    expect(store.kind).toBe('sqlite');
  });
});
