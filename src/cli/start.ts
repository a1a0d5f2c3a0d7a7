import 'dotenv/config';
import { join } from 'node:path';
import type { ReportAssistant } from '../app/assistant.js';
import type { ChannelName } from '../bot/types.js';
import { ConfigError, loadConfig, type AppConfig } from '../config.js';
import { createLogger, registerSecret } from '../logger.js';
import { startConsole } from '../channels/console/index.js';
import { startTelegram } from '../channels/telegram/index.js';
import { startZalo } from '../channels/zalo/index.js';
import { openConfiguredStateStore, type StateStore } from '../state/index.js';
import { flagString, parseArgs, type ParsedArgs } from './args.js';
import { watchCorpus, type CorpusWatcher } from '../app/corpusWatcher.js';
import { openAssistant } from './common.js';
import { TrainerExtension } from '../trainer/extension.js';
import type { Logger } from '../logger.js';

/**
 * `npm start`: every configured channel on one assistant. With no bot token, a console chat;
 * with no token and no terminal (CI, a pipe), a short note on what to configure, exit 0.
 */
const NO_CHANNEL = `Trợ lý Báo cáo: chưa cấu hình kênh chat nào.
  - Đặt TELEGRAM_BOT_TOKEN và/hoặc ZALO_BOT_TOKEN trong .env để chạy bot (xem README và .env.example);
  - hoặc chạy "npm start" trong một terminal để trò chuyện qua console;
  - hoặc hỏi trực tiếp: npm run ask -- "câu hỏi".
No chat channel configured: set TELEGRAM_BOT_TOKEN and/or ZALO_BOT_TOKEN (see README), or run "npm start" in a terminal for the console chat.
`;

/**
 * The trainer (quizzes, scores, summaries, comparisons) for one channel: read from the live index
 * on every command (so /reload is picked up), scoreboard in STATE_DIR/<channel>-quiz.json.
 */
function trainerFor(channel: ChannelName, assistant: ReportAssistant, config: AppConfig, logger?: Logger): Promise<TrainerExtension> {
  return TrainerExtension.create({
    snapshot: () => assistant.index,
    stateFile: join(config.STATE_DIR, `${channel}-quiz.json`),
    onError: (err) => logger?.error({ err, channel }, 'could not persist the quiz scoreboard'),
  });
}

/** Documents added to, changed in or removed from corpus/ are indexed without a /reload. */
function watchForDocuments(assistant: ReportAssistant, args: ParsedArgs, config: AppConfig, logger: Logger): CorpusWatcher {
  return watchCorpus({
    corpusDir: flagString(args, 'corpus') ?? config.CORPUS_DIR,
    reload: () => assistant.reload(),
    onReloaded: (report) => logger.info({ report }, 'corpus changed: index reloaded'),
    onError: (err) => logger.warn({ err }, 'corpus changed but the reload failed; the previous index is still served'),
  });
}

const DAY_MS = 24 * 3600_000;

/** Bounded growth: answered ids, idle chats and idle quiz rounds are dropped by age, hourly, off the answering path. */
function schedulePruning(store: StateStore, logger: Logger): NodeJS.Timeout {
  const prune = () =>
    store
      .prune({ nowMs: Date.now(), handledMaxAgeMs: 7 * DAY_MS, chatMaxAgeMs: 90 * DAY_MS, roundMaxAgeMs: 30 * DAY_MS })
      .then((removed) => logger.debug({ removed }, 'state pruned'))
      .catch((err: unknown) => logger.warn({ err }, 'state pruning failed; retried in an hour'));
  setTimeout(() => void prune(), 60_000).unref();
  const timer = setInterval(() => void prune(), 3600_000);
  timer.unref();
  return timer;
}

async function main(): Promise<void> {
  const config = loadConfig();
  registerSecret(config.TELEGRAM_BOT_TOKEN);
  registerSecret(config.ZALO_BOT_TOKEN);
  registerSecret(config.LLM_API_KEY);
  registerSecret(config.EMBEDDINGS_API_KEY);
  const logger = createLogger({ level: config.LOG_LEVEL });
  const args = parseArgs(process.argv.slice(2), ['corpus', 'index']);

  if (!config.TELEGRAM_BOT_TOKEN && !config.ZALO_BOT_TOKEN) {
    if (!process.stdin.isTTY) {
      process.stdout.write(NO_CHANNEL);
      return;
    }
    const assistant = await openAssistant(args, config);
    const extension = await trainerFor('console', assistant, config, logger);
    const watcher = watchForDocuments(assistant, args, config, logger);
    try {
      await startConsole({ knowledge: assistant, stateDir: config.STATE_DIR, extension });
    } finally {
      watcher.close();
    }
    return;
  }

  const assistant = await openAssistant(args, config);
  const handles: { name: string; stop(): Promise<void> }[] = [];
  // One store for every channel of the process: SQLite under STATE_DIR, or PostgreSQL (DATABASE_URL).
  const store = await openConfiguredStateStore(config, logger);
  const pruning = schedulePruning(store, logger);
  if (config.TELEGRAM_BOT_TOKEN) {
    const extension = await trainerFor('telegram', assistant, config, logger);
    const telegram = await startTelegram({ config, knowledge: assistant, logger, tuning: { handleSignals: false }, extension, store });
    handles.push({ name: 'telegram', stop: () => telegram.stop() });
    logger.info({ bot: telegram.botUsername, mode: telegram.mode }, 'telegram started');
  }
  if (config.ZALO_BOT_TOKEN) {
    const extension = await trainerFor('zalo', assistant, config, logger);
    const zalo = await startZalo({ config, knowledge: assistant, logger, extension, store });
    handles.push({ name: 'zalo', stop: () => zalo.stop() });
    logger.info({ mode: zalo.mode }, 'zalo started');
  }
  const watcher = watchForDocuments(assistant, args, config, logger);
  handles.push({ name: 'corpus watcher', stop: async () => watcher.close() });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: finishing in-flight answers');
    await Promise.allSettled(handles.map((h) => h.stop()));
    clearInterval(pruning);
    await store.close().catch((err: unknown) => logger.error({ err }, 'state store did not close cleanly'));
    logger.info('stopped');
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof ConfigError ? '' : 'Lỗi khởi động / startup failed: '}${(err as Error).message}\n`);
  process.exitCode = 1;
});
