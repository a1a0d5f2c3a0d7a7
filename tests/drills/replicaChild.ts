/**
 * One bot replica in a child process, for the multi-replica drills and `bench:load` with
 * replicas. Configuration comes from the environment like in production (DATABASE_URL,
 * DATABASE_SCHEMA, the channel's token, API root and webhook settings). Every question ends in a
 * tag ("[q17]") that the answer carries back ("#q17"), so the parent can count lost, duplicated
 * and out-of-order answers from what the fake Bot API received.
 *
 * REPLICA_CHANNEL: telegram | zalo. REPLICA_KB: fake (default) | reports (REPLICA_INDEX_DIR,
 * REPLICA_CORPUS_DIR). FAKE_ASK_DELAY_MS slows answers so a kill lands mid-batch.
 * REPLICA_PRODUCTION_LIMITS=1 keeps Telegram's real send limits (bench); otherwise they are off.
 */
import { ReportAssistant } from '../../src/app/assistant.js';
import { FakeKnowledgeBase } from '../../src/bot/fakeKnowledge.js';
import type { KnowledgeBase } from '../../src/bot/knowledge.js';
import { TaggedKnowledge } from '../../src/bench/tagged.js';
import { startTelegram } from '../../src/channels/telegram/index.js';
import { startZalo } from '../../src/channels/zalo/index.js';
import { loadConfig } from '../../src/config.js';
import { localEmbedderFactory } from '../../src/index/embedder.js';
import { createLogger } from '../../src/logger.js';

const config = loadConfig(process.env);
const logger = createLogger({ level: (process.env.LOG_LEVEL as 'warn' | undefined) ?? 'warn' });
const inner: KnowledgeBase =
  process.env.REPLICA_KB === 'reports'
    ? await ReportAssistant.open({
        corpusDir: process.env.REPLICA_CORPUS_DIR ?? config.CORPUS_DIR,
        indexDir: process.env.REPLICA_INDEX_DIR ?? config.INDEX_DIR,
        embedderFactory: localEmbedderFactory(),
        autoIngest: false,
      })
    : new FakeKnowledgeBase({ askDelayMs: Number(process.env.FAKE_ASK_DELAY_MS ?? '0') });
const knowledge = new TaggedKnowledge(inner);

let stop: () => Promise<void>;
let port: number | undefined;
if (process.env.REPLICA_CHANNEL === 'zalo') {
  const channel = await startZalo({
    config,
    knowledge,
    logger,
    tuning: { webhookHost: '127.0.0.1', backoffInitialMs: 50, backoffMaxMs: 500, requestTimeoutMs: 5000, pollTimeoutSeconds: 1, minPollIntervalMs: 5 },
  });
  stop = () => channel.stop();
  port = channel.webhookPort;
} else {
  const production = process.env.REPLICA_PRODUCTION_LIMITS === '1';
  const handle = await startTelegram({
    config,
    knowledge,
    logger,
    tuning: {
      pollTimeoutS: 1,
      webhookHost: '127.0.0.1',
      retry: { baseDelayMs: 20, maxDelayMs: 200, maxAttempts: 5, requestTimeoutMs: 5000 },
      ...(production ? {} : { limits: { perChatIntervalMs: 0, groupPerMinute: 10_000, globalPerSecond: 10_000 } }),
      handleSignals: false,
    },
  });
  stop = () => handle.stop();
  port = handle.webhookPort;
}
process.once('SIGTERM', () => void stop().then(() => process.exit(0)));
process.stdout.write(`READY ${port ?? 0}\n`);
