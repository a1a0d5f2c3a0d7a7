/**
 * The bot side of `bench:load`, in a process of its own: the fake Bot API and the measuring
 * code live in the parent, so their timestamps are not delayed by the bot's answering work
 * (which blocks its event loop), the way a real Telegram/Zalo server's would not be.
 *
 * Environment: BENCH_CHANNEL (telegram|zalo), BENCH_KB (reports|fake), BENCH_INDEX_DIR,
 * BENCH_CORPUS_DIR and the channel's usual configuration (token, API root, STATE_DIR).
 */
import { ReportAssistant } from '../app/assistant.js';
import { FakeKnowledgeBase } from '../bot/fakeKnowledge.js';
import type { KnowledgeBase } from '../bot/knowledge.js';
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { localEmbedderFactory } from '../index/embedder.js';
import { startTelegram } from '../channels/telegram/index.js';
import { startZalo } from '../channels/zalo/index.js';
import { TaggedKnowledge } from './tagged.js';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger({ level: 'error' });
  let inner: KnowledgeBase;
  if (process.env.BENCH_KB === 'fake') inner = new FakeKnowledgeBase();
  else {
    inner = await ReportAssistant.open({
      corpusDir: process.env.BENCH_CORPUS_DIR ?? config.CORPUS_DIR,
      indexDir: process.env.BENCH_INDEX_DIR ?? config.INDEX_DIR,
      embedderFactory: localEmbedderFactory(),
      autoIngest: false,
    });
  }
  const knowledge = new TaggedKnowledge(inner);
  // Production tuning and send limits: those are what the run checks.
  const handle =
    process.env.BENCH_CHANNEL === 'zalo'
      ? await startZalo({ config, knowledge, logger })
      : await startTelegram({ config, knowledge, logger, tuning: { handleSignals: false } });
  const stop = () => {
    void handle.stop().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.stdout.write('READY\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`load bot failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
