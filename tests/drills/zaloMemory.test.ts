import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeZaloApi, textUpdate } from '../channels/zalo/fakeZaloApi.js';
import { removeDir, tempStateDir, TOKEN } from '../channels/zalo/harness.js';
import { exited, whenReady } from '../helpers.js';

/**
 * Drill: 10,000 distinct chats through the Zalo polling path (the bot in a child process, the
 * fake Bot API here). Per-chat state lives in the state store, and what the channel and the core
 * keep in memory per chat (lanes, refusals, rate-limit notices) is bounded; so heap and RSS stay
 * flat and the CPU spent per answer at the end is about what it was at the start.
 *
 * The store runs with STATE_SQLITE_SYNC=normal (no fsync per commit): the drill measures memory
 * and CPU, not the disk, and 10,000 fsync'd answers would take minutes on a shared CI disk.
 */

const CHILD = fileURLToPath(new URL('./zaloChildBot.ts', import.meta.url));
const CHATS = 10_000;
const QUESTION = 'Mô hình bí thư đồng thời là chủ tịch xã đạt kết quả gì?';
/** Answers counted into the "start" and "end" CPU windows, and where memory is reported. */
const START_WINDOW = [500, 1500] as const;
const END_WINDOW = [CHATS - 1000, CHATS] as const;
const MEMORY_AT = [2000, 5000, CHATS] as const;

interface Stats {
  activeChats: number;
  pendingWork: number;
  refusedPairs: number;
  rateNotices: number;
  heapUsedBytes: number;
  rssBytes: number;
  cpuUs: number;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** Asks the child for its figures (SIGUSR2) and reads the STATS line it answers with. */
function statsOf(child: ChildProcess, lines: AsyncIterator<string>): Promise<Stats> {
  child.kill('SIGUSR2');
  return (async () => {
    for (;;) {
      const next = await lines.next();
      if (next.done) throw new Error('child closed its output');
      if (next.value.startsWith('STATS ')) return JSON.parse(next.value.slice(6)) as Stats;
    }
  })();
}

describe('drill: 10,000 Zalo chats', () => {
  it('keeps memory bounded and CPU per answer flat', async () => {
    const api = await new FakeZaloApi({ token: TOKEN, emptyPollHoldMs: 20 }).start();
    const stateDir = await tempStateDir();
    try {
      for (let c = 0; c < CHATS; c++) api.push(textUpdate({ text: QUESTION, userId: `u-mem-${c}`, messageId: `mem-${c}` }));
      const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', CHILD], {
        env: {
          ...process.env,
          ZALO_BOT_TOKEN: TOKEN,
          ZALO_API_ROOT: api.url,
          ZALO_WEBHOOK_URL: '',
          STATE_DIR: stateDir,
          STATE_SQLITE_SYNC: 'normal',
          RATE_LIMIT_PER_MINUTE: '0',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]();
      await whenReady(child);

      const at = new Map<number, { answered: number; stats: Stats }>();
      const checkpoints = [...new Set([...START_WINDOW, ...END_WINDOW, ...MEMORY_AT])].sort((a, b) => a - b);
      for (const n of checkpoints) {
        await api.waitFor(() => api.sent.length >= n, 60_000, `${n} answers`);
        const before = api.sent.length;
        const stats = await statsOf(child, lines);
        at.set(n, { answered: (before + api.sent.length) / 2, stats });
      }
      await new Promise((r) => setTimeout(r, 300));
      child.kill('SIGTERM');
      await exited(child);

      const cpuMsPerAnswer = ([from, to]: readonly [number, number]): number => {
        const a = at.get(from);
        const b = at.get(to);
        if (!a || !b) throw new Error('missing checkpoint');
        return (b.stats.cpuUs - a.stats.cpuUs) / 1000 / (b.answered - a.answered);
      };
      const startCpu = cpuMsPerAnswer(START_WINDOW);
      const endCpu = cpuMsPerAnswer(END_WINDOW);
      const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
      const answeredChats = new Set(api.sent.map((s) => s.chatId));
      const lost = CHATS - answeredChats.size;
      const duplicated = api.sent.length - answeredChats.size;
      console.log(
        [
          'scenario | messages | lost | duplicated',
          `${CHATS} distinct chats, one question each | ${CHATS} | ${lost} | ${duplicated}`,
          '',
          'chats answered | heap MB (after GC) | RSS MB | active chat lanes | answers pending | refusal entries | rate-notice entries',
          ...MEMORY_AT.map((n) => {
            const s = at.get(n)?.stats;
            return s ? `${n} | ${mb(s.heapUsedBytes)} | ${mb(s.rssBytes)} | ${s.activeChats} | ${s.pendingWork} | ${s.refusedPairs} | ${s.rateNotices}` : `${n} | ?`;
          }),
          '',
          `CPU per answer: ${startCpu.toFixed(2)} ms (answers ${START_WINDOW.join('–')}) → ${endCpu.toFixed(2)} ms (answers ${END_WINDOW.join('–')})`,
        ].join('\n'),
      );

      expect(lost).toBe(0);
      expect(duplicated).toBe(0);
      const first = at.get(MEMORY_AT[0])?.stats;
      const last = at.get(CHATS)?.stats;
      if (!first || !last) throw new Error('missing memory checkpoints');
      // Flat, not proportional to chats: 8,000 more chats may not add more than a few MB.
      expect(last.heapUsedBytes - first.heapUsedBytes).toBeLessThan(16 * 1024 * 1024);
      expect(last.rssBytes).toBeLessThan(first.rssBytes + 64 * 1024 * 1024);
      for (const { stats } of at.values()) {
        expect(stats.activeChats).toBeLessThan(500);
        expect(stats.refusedPairs + stats.rateNotices).toBe(0);
      }
      expect(endCpu).toBeLessThan(startCpu * 2);
    } finally {
      await api.stop();
      await removeDir(stateDir);
    }
  }, 120_000);
});
