/**
 * Runs the Telegram channel in a child process for the kill -9 restart test. Configuration
 * comes from the environment like in production; FAKE_ASK_DELAY_MS slows answers down so the
 * test can kill the process mid-batch.
 */
import { FakeKnowledgeBase } from '../../../src/bot/index.js';
import { startTelegram } from '../../../src/channels/telegram/index.js';
import { loadConfig } from '../../../src/config.js';
import { createLogger } from '../../../src/logger.js';

const config = loadConfig(process.env);
const logger = createLogger({ level: 'info' });
const knowledge = new FakeKnowledgeBase({ askDelayMs: Number(process.env.FAKE_ASK_DELAY_MS ?? '0') });
await startTelegram({
  config,
  knowledge,
  logger,
  tuning: {
    pollTimeoutS: 1,
    retry: { baseDelayMs: 20, maxDelayMs: 200, maxAttempts: 5, requestTimeoutMs: 2000 },
    limits: { perChatIntervalMs: 0, groupPerMinute: 10_000, globalPerSecond: 10_000 },
    handleSignals: true,
  },
});
process.stdout.write('READY\n');
