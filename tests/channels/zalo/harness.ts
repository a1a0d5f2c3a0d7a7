import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FakeKnowledgeBase, type ChatExtension, type FakeKnowledgeOptions } from '../../../src/bot/index.js';
import { loadConfig, type AppConfig } from '../../../src/config.js';
import { createLogger, type Logger } from '../../../src/logger.js';
import { startZalo, type ZaloChannel, type ZaloTuning } from '../../../src/channels/zalo/index.js';
import { openConfiguredStateStore, type StateStore } from '../../../src/state/index.js';
import { FakeZaloApi } from './fakeZaloApi.js';

/** Shaped like a real Zalo token ("<bot_id>:<secret>") but unlike Telegram's, so the generic
 *  Telegram pattern in the logger cannot be what hides it. */
export const TOKEN = '1459232241454765289:zaloSecretPartQwErTy-ZXCV_9876';

export const FAST_TUNING: Partial<ZaloTuning> = {
  pollTimeoutSeconds: 1,
  requestTimeoutMs: 3000,
  backoffInitialMs: 5,
  backoffMaxMs: 40,
  quotaMinDelayMs: 25,
  minPollIntervalMs: 2,
  typingIntervalMs: 50,
  drainTimeoutMs: 3000,
  webhookHost: '127.0.0.1',
};

export interface CapturedLogs {
  logger: Logger;
  lines: string[];
  text(): string;
  entries(): { level: number; msg?: string; [k: string]: unknown }[];
}

export function captureLogs(): CapturedLogs {
  const lines: string[] = [];
  const logger = createLogger({ level: 'trace', destination: { write: (line: string) => void lines.push(line) } });
  return {
    logger,
    lines,
    text: () => lines.join(''),
    entries: () => lines.map((l) => JSON.parse(l) as { level: number; msg?: string }),
  };
}

export async function tempStateDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'zalo-test-'));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

export function makeConfig(env: Record<string, string>): AppConfig {
  return loadConfig({ ZALO_BOT_TOKEN: TOKEN, RATE_LIMIT_PER_MINUTE: '0', ...env });
}

export interface Harness {
  api: FakeZaloApi;
  knowledge: FakeKnowledgeBase;
  logs: CapturedLogs;
  stateDir: string;
  channel: ZaloChannel;
  config: AppConfig;
  /** Stops the channel (idempotent) */
  stopChannel(): Promise<void>;
  /** Starts a fresh channel on the same fake API and STATE_DIR (a restart). */
  restart(): Promise<ZaloChannel>;
  close(): Promise<void>;
}

export async function startHarness(
  options: {
    env?: Record<string, string>;
    knowledge?: FakeKnowledgeOptions;
    tuning?: Partial<ZaloTuning>;
    api?: FakeZaloApi;
    stateDir?: string;
    /**
     * A fresh extension (the trainer) for every start, restarts included, on the store the channel
     * gets too (opened per start under STATE_DIR, closed when the channel stops).
     */
    extension?: (store: StateStore) => Promise<ChatExtension>;
    /** Called before the channel starts (e.g. to pre-seed state or queue updates). */
    beforeStart?: (api: FakeZaloApi, stateDir: string) => Promise<void> | void;
  } = {},
): Promise<Harness> {
  const api = options.api ?? (await new FakeZaloApi({ token: TOKEN, emptyPollHoldMs: 15 }).start());
  const stateDir = options.stateDir ?? (await tempStateDir());
  const knowledge = new FakeKnowledgeBase(options.knowledge);
  const logs = captureLogs();
  const config = makeConfig({ ZALO_API_ROOT: api.url, STATE_DIR: stateDir, ...options.env });
  await options.beforeStart?.(api, stateDir);
  const tuning = { ...FAST_TUNING, ...options.tuning };
  let store: StateStore | undefined;
  const start = async () => {
    if (!options.extension) return startZalo({ config, knowledge, logger: logs.logger, tuning });
    store = await openConfiguredStateStore(config);
    const extension = await options.extension(store);
    return startZalo({ config, knowledge, logger: logs.logger, tuning, store, extension });
  };
  const stop = async () => {
    await channel.stop();
    await store?.close();
  };
  let channel = await start();
  const h: Harness = {
    api,
    knowledge,
    logs,
    stateDir,
    get channel() {
      return channel;
    },
    config,
    stopChannel: stop,
    async restart() {
      await stop();
      channel = await start();
      return channel;
    },
    async close() {
      await stop();
      await api.stop();
      await removeDir(stateDir);
    },
  };
  return h;
}

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
