import 'dotenv/config';
import type { ReportAssistant } from '../app/assistant.js';
import type { ChannelName } from '../bot/types.js';
import { ConfigError, loadConfig, type AppConfig } from '../config.js';
import { createLogger, registerSecret } from '../logger.js';
import { CHANNELS } from '../app/channels.js';
import { DeferredKnowledge } from '../app/deferredKnowledge.js';
import type { ChannelHandle } from '../channels/shared/channel.js';
import { openConfiguredStateStore, type StateStore } from '../state/index.js';
import { flagString, parseArgs, type ParsedArgs } from './args.js';
import { watchCorpus, type CorpusWatcher } from '../app/corpusWatcher.js';
import { followIndexVersions, type IndexFollower } from '../app/indexVersions.js';
import { openAssistant } from './common.js';
import { TrainerExtension } from '../trainer/extension.js';
import type { Logger } from '../logger.js';

/**
 * `npm start`: every configured channel (the registry in src/app/channels.ts) on one assistant and
 * one state store. With no bot token, a console chat; with no token and no terminal (CI, a pipe),
 * a short note on what to configure, exit 0.
 */
const NO_CHANNEL = `Trợ lý Báo cáo: chưa cấu hình kênh chat nào.
  - Đặt TELEGRAM_BOT_TOKEN và/hoặc ZALO_BOT_TOKEN trong .env để chạy bot (xem README và .env.example);
  - hoặc chạy "npm start" trong một terminal để trò chuyện qua console;
  - hoặc hỏi trực tiếp: npm run ask -- "câu hỏi".
No chat channel configured: set TELEGRAM_BOT_TOKEN and/or ZALO_BOT_TOKEN (see README), or run "npm start" in a terminal for the console chat.
`;

/**
 * The trainer (quizzes, scores, summaries, comparisons) for one channel: read from the live index
 * on every command (so /reload is picked up), rounds and scores in the state store (shared by
 * every replica on PostgreSQL; an old STATE_DIR/<channel>-quiz.json was imported when it opened).
 */
function trainerFor(channel: ChannelName, knowledge: DeferredKnowledge<ReportAssistant>, store: StateStore): Promise<TrainerExtension> {
  return TrainerExtension.create({
    // Read only while handling a message, which the core does after the index is loaded.
    snapshot: () => knowledge.assistant.index,
    store,
    channel,
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

  const definitions = CHANNELS.filter((c) => c.isConfigured(config, { interactive: process.stdin.isTTY === true }));
  if (definitions.length === 0) {
    process.stdout.write(NO_CHANNEL);
    return;
  }

  // One store for every channel of the process: SQLite under STATE_DIR, or PostgreSQL (DATABASE_URL).
  const store = await openConfiguredStateStore(config, logger);
  const pruning = schedulePruning(store, logger);
  // Channels start while the index loads: a question sent during start-up is received and claimed
  // at once, and answered as soon as the index is ready (the core waits on it).
  const loading = openAssistant(args, config);
  const knowledge = new DeferredKnowledge(loading);
  loading.catch((err: unknown) => {
    // Claimed questions stay pending in the store and are answered by the next start.
    process.stderr.write(`Lỗi nạp chỉ mục / the index could not be loaded: ${(err as Error).message}\n`);
    logger.error({ err }, 'index load failed; stopping');
    process.exit(1);
  });

  const handles: ChannelHandle[] = [];
  for (const definition of definitions) {
    const extension = await trainerFor(definition.name, knowledge, store);
    const handle = await definition.start({ config, knowledge, logger, store, extension });
    handles.push(handle);
    logger.info({ channel: handle.name, mode: handle.mode, ...handle.details }, 'channel started');
  }
  let watcher: CorpusWatcher | undefined;
  let versions: IndexFollower | undefined;
  void knowledge.ready().then(async () => {
    watcher = watchForDocuments(knowledge.assistant, args, config, logger);
    logger.info({ documents: knowledge.listDocuments().length }, 'index loaded');
    // Replicas on PostgreSQL: a version built on one is announced and loaded by the others (docs/replicas.md).
    if (store.kind === 'postgres') {
      versions = await followIndexVersions(store, knowledge.assistant, logger, { indexDir: flagString(args, 'index') ?? config.INDEX_DIR }).catch(
        (err: unknown) => {
          logger.warn({ err }, 'index versions of other replicas are not followed');
          return undefined;
        },
      );
    }
  }, () => undefined);

  let stopping = false;
  const stop = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, 'stopping: finishing in-flight answers');
    watcher?.close();
    await versions?.close().catch(() => undefined);
    await Promise.allSettled(handles.map((h) => h.stop()));
    clearInterval(pruning);
    await store.close().catch((err: unknown) => logger.error({ err }, 'state store did not close cleanly'));
    logger.info('stopped');
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  // The console ends when its user types /thoat; bots run until a signal.
  void Promise.race(handles.map((h) => h.ended.then(() => h.name))).then((name) => stop(`${name} ended`));
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof ConfigError ? '' : 'Lỗi khởi động / startup failed: '}${(err as Error).message}\n`);
  process.exitCode = 1;
});
