import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { ConversationCore, FakeKnowledgeBase, loadMessages } from '../../src/bot/index.js';
import { BotApiClient } from '../../src/channels/telegram/client.js';
import { UpdateJournal } from '../../src/channels/telegram/journal.js';
import { BotApiOutbound } from '../../src/channels/telegram/outbound.js';
import { Poller } from '../../src/channels/telegram/polling.js';
import { UpdateProcessor } from '../../src/channels/telegram/processor.js';
import { SendScheduler } from '../../src/channels/telegram/sendScheduler.js';
import { Shutdown } from '../../src/channels/telegram/sleep.js';
import { createLogger } from '../../src/logger.js';
import { openStateStore } from '../../src/state/index.js';
import { FakeBotApi } from '../channels/telegram/fakeBotApi.js';
import { TOKEN, waitFor } from '../channels/telegram/helpers.js';

/**
 * Drill (issue 15, item 19, Telegram half): questions from 10,000 distinct chats, in process
 * against the fake Bot API (calls counted, not recorded) with the fake knowledge base and a real
 * SQLite store. Per-chat state must not grow with the number of chats that ever wrote — the send
 * scheduler's windows (SendScheduler.lastByChat in the issue), the lanes, the core's maps — and
 * CPU per answer must stay flat. Heap and RSS are printed at 2k, 5k and 10k chats.
 */

const CHATS = 10_000;
const BATCH = 500;
const CHECKPOINTS = [2000, 5000, 10_000];

/** A full collection before each reading, so the figures are live memory rather than garbage. */
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function mb(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}

describe('drill: Telegram memory and CPU at 10,000 chats', () => {
  it('keeps per-chat maps bounded and CPU per answer flat', async () => {
    const api = await FakeBotApi.start(TOKEN);
    api.recordCalls = false;
    const stateDir = await mkdtemp(join(tmpdir(), 'tg-mem-'));
    // Durable enough for a drill; `full` (the default) fsyncs each of the ~40,000 commits.
    const store = await openStateStore({ stateDir, sqliteSync: 'normal', importLegacy: false });
    const logger = createLogger({ level: 'error' });
    // A real per-chat interval, so every chat leaves a window behind it in the scheduler.
    const scheduler = new SendScheduler({ perChatIntervalMs: 200, groupPerMinute: 10_000, globalPerSecond: 100_000 });
    const client = new BotApiClient(TOKEN, logger, { apiRoot: api.url, retry: { baseDelayMs: 20, maxDelayMs: 200, requestTimeoutMs: 5000 } });
    const core = await ConversationCore.create({ knowledge: new FakeKnowledgeBase(), channel: 'telegram', store, rateLimitPerMinute: 0, logger, messages: loadMessages() });
    const journal = await UpdateJournal.open(store);
    const shutdown = new Shutdown();
    const outbound = new BotApiOutbound(client, scheduler, logger, 1024 * 1024, { shutdown });
    const processor = new UpdateProcessor({ core, outbound, bot: api.bot, messages: core.messages, journal, logger, shutdown });
    const poller = new Poller({ client, journal, processor, logger, pollTimeoutS: 1, maxPendingUpdates: 100 });
    poller.start();

    const readings: string[] = ['chats | heap MB | RSS MB | scheduler windows | updates in flight | core maps'];
    const heapAt = new Map<number, number>();
    const cpuMsPerAnswer = new Map<string, number>();
    let cpuMark = process.cpuUsage();
    let maxWindows = 0;
    const sent = () => api.answered.get('sendMessage') ?? 0;
    try {
      for (let asked = 0; asked < CHATS; ) {
        for (let i = 0; i < BATCH; i++, asked++) {
          const user = { id: 1_000_000 + asked, first_name: `U${asked}` };
          api.privateText(user, `Kon Tum thực hiện mô hình ra sao, người thứ ${asked}?`);
        }
        await waitFor(() => sent() >= asked, `answers to ${asked} chats`, 30_000);
        maxWindows = Math.max(maxWindows, scheduler.trackedChats);
        // CPU of the whole process (bot and fake API alike) per answer, early (after warm-up) and late.
        if (asked === 1000 || asked === CHATS - 1000) cpuMark = process.cpuUsage();
        if (asked === 2000 || asked === CHATS) {
          const used = process.cpuUsage(cpuMark);
          cpuMsPerAnswer.set(asked === 2000 ? 'chats 1,000–2,000' : `chats ${CHATS - 1000}–${CHATS}`, (used.user + used.system) / 1000 / 1000);
        }
        if (CHECKPOINTS.includes(asked)) {
          gc();
          const m = process.memoryUsage();
          heapAt.set(asked, m.heapUsed);
          const coreMaps = core.memoryStats();
          readings.push(`${asked} | ${mb(m.heapUsed)} | ${mb(m.rss)} | ${scheduler.trackedChats} | ${processor.inFlight} | ${coreMaps.refusedPairs + coreMaps.rateNotices}`);
        }
      }
    } finally {
      await poller.stop();
      shutdown.begin(1000);
      await processor.idle();
      await core.close();
      await store.close();
      await api.close();
      await rm(stateDir, { recursive: true, force: true });
    }
    const [early, late] = [...cpuMsPerAnswer.values()];
    console.log(
      [
        'Telegram memory drill (issue 15 item 19)',
        ...readings,
        `most scheduler windows seen: ${maxWindows}`,
        ...[...cpuMsPerAnswer].map(([span, ms]) => `CPU per answer, ${span}: ${ms.toFixed(2)} ms`),
      ].join('\n'),
    );
    expect(sent()).toBe(CHATS);
    // Windows last 200 ms (plus a sweep a second): a few hundred chats at most, never all of them.
    expect(maxWindows).toBeLessThan(1500);
    expect(early).toBeDefined();
    expect(late!).toBeLessThan(2 * early!);
    // Live heap does not grow with the chats that have written (generous: GC and JIT noise).
    expect(heapAt.get(10_000)! - heapAt.get(2000)!).toBeLessThan(40 * 1024 * 1024);
  }, 120_000);
});
