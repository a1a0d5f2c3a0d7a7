import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeKnowledgeBase, type ChatExtension, type FakeKnowledgeOptions } from '../../../src/bot/index.js';
import { configSchema, type AppConfig } from '../../../src/config.js';
import { createLogger, type Logger } from '../../../src/logger.js';
import { startTelegram, type TelegramHandle, type TelegramTuning } from '../../../src/channels/telegram/index.js';
import type { StateStore } from '../../../src/state/index.js';
import { FakeBotApi } from './fakeBotApi.js';

export const TOKEN = '987654321:AAFakeTokenForTests_DoNotLeak-1234567';

export const FAST_TUNING: Partial<TelegramTuning> = {
  pollTimeoutS: 1,
  retry: { baseDelayMs: 20, maxDelayMs: 200, maxAttempts: 5, requestTimeoutMs: 1500 },
  // A reply is retried until delivered: fast here, so fault tests do not wait out the 1 s base.
  delivery: { baseDelayMs: 20, maxDelayMs: 200 },
  limits: { perChatIntervalMs: 0, groupPerMinute: 10_000, globalPerSecond: 10_000 },
  webhookHost: '127.0.0.1',
  typingIntervalMs: 100,
  handleSignals: false,
};

export interface CapturedLogger {
  logger: Logger;
  lines: string[];
}

/** A real pino logger (with the project's redaction) writing into memory. */
export function captureLogger(level = 'debug'): CapturedLogger {
  const lines: string[] = [];
  const logger = createLogger({ level, destination: { write: (line: string) => void lines.push(line) } });
  return { logger, lines };
}

export function testConfig(stateDir: string, apiRoot: string, env: Record<string, string> = {}): AppConfig {
  return configSchema.parse({
    TELEGRAM_BOT_TOKEN: TOKEN,
    TELEGRAM_API_ROOT: apiRoot,
    STATE_DIR: stateDir,
    RATE_LIMIT_PER_MINUTE: '1000',
    ...env,
  });
}

export async function waitFor<T>(
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  label: string,
  timeoutMs = 8000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 15));
  }
}

export const USER = { id: 4242, first_name: 'Lan' };
export const OTHER = { id: 5151, first_name: 'Minh' };
export const GROUP_ID = -100123;

export interface Harness {
  api: FakeBotApi;
  kb: FakeKnowledgeBase;
  bot: TelegramHandle;
  log: CapturedLogger;
  stateDir: string;
  config: AppConfig;
  /** Stops the bot (gracefully), the fake server and removes the state. */
  close(): Promise<void>;
}

export async function startHarness(
  options: {
    env?: Record<string, string>;
    kb?: FakeKnowledgeOptions;
    tuning?: Partial<TelegramTuning>;
    api?: FakeBotApi;
    stateDir?: string;
    /** The trainer, or any other extension of the core. */
    extension?: ChatExtension;
    /** A store shared with the extension; without it the channel opens its own under stateDir. */
    store?: StateStore;
  } = {},
): Promise<Harness> {
  const api = options.api ?? (await FakeBotApi.start(TOKEN));
  const stateDir = options.stateDir ?? (await mkdtemp(join(tmpdir(), 'tg-')));
  const kb = new FakeKnowledgeBase(options.kb);
  const log = captureLogger();
  const config = testConfig(stateDir, api.url, options.env);
  const bot = await startTelegram({
    config,
    knowledge: kb,
    logger: log.logger,
    tuning: { ...FAST_TUNING, ...options.tuning },
    ...(options.extension ? { extension: options.extension } : {}),
    ...(options.store ? { store: options.store } : {}),
  });
  let closed = false;
  return {
    api,
    kb,
    bot,
    log,
    stateDir,
    config,
    async close() {
      if (closed) return;
      closed = true;
      await bot.stop();
      await api.close();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}
