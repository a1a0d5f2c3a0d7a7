import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeZaloApi, textUpdate } from '../channels/zalo/fakeZaloApi.js';
import { removeDir, tempStateDir, TOKEN } from '../channels/zalo/harness.js';
import { exited, whenReady } from '../helpers.js';

/**
 * Drill: `kill -9` of the Zalo bot in the middle of a batch, then a restart on the same
 * STATE_DIR: every question is answered exactly once and in order. (The Zalo suite replays a
 * pre-seeded pending record; this kills a real process at a random point of its work.)
 */

const CHILD = fileURLToPath(new URL('./zaloChildBot.ts', import.meta.url));
const QUESTIONS = 8;
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function startChild(api: FakeZaloApi, stateDir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    env: {
      ...process.env,
      ZALO_BOT_TOKEN: TOKEN,
      ZALO_API_ROOT: api.url,
      ZALO_WEBHOOK_URL: '',
      STATE_DIR: stateDir,
      RATE_LIMIT_PER_MINUTE: '0',
      DRILL_QUESTIONS: String(QUESTIONS),
      FAKE_ASK_DELAY_MS: '300',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return whenReady(child);
}


const answerNumbers = (api: FakeZaloApi) => api.textsTo('u-kill').flatMap((t) => [...t.matchAll(/Trả lời câu số (\d+)/g)].map((m) => Number(m[1])));

describe('drill: kill -9 of the Zalo bot mid-batch', () => {
  it('answers every question exactly once, in order, after a restart', async () => {
    const api = await new FakeZaloApi({ token: TOKEN, emptyPollHoldMs: 20 }).start();
    const stateDir = await tempStateDir();
    try {
      for (let i = 1; i <= QUESTIONS; i++) api.push(textUpdate({ text: `Kon Tum câu hỏi số ${i}?`, userId: 'u-kill', messageId: `kill-${i}` }));
      const first = await startChild(api, stateDir);
      await api.waitFor(() => answerNumbers(api).length >= 3, 20_000, 'three answers before the kill');
      // Land the kill while the next answer is being computed (300 ms), not mid-send.
      await new Promise((r) => setTimeout(r, 100));
      first.kill('SIGKILL');
      await exited(first);
      const beforeRestart = answerNumbers(api).length;
      expect(beforeRestart).toBeLessThan(QUESTIONS);

      const second = await startChild(api, stateDir);
      await api.waitFor(() => answerNumbers(api).length >= QUESTIONS, 20_000, 'all answers after the restart');
      // A little longer: a duplicate would show up now.
      await new Promise((r) => setTimeout(r, 700));
      second.kill('SIGTERM');
      await exited(second);
      expect(answerNumbers(api)).toEqual(Array.from({ length: QUESTIONS }, (_, i) => i + 1));
    } finally {
      await api.stop();
      await removeDir(stateDir);
    }
  }, 60_000);
});
