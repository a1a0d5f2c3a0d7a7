/**
 * The Zalo channel in a child process for the kill -9 drills. Configuration comes from the
 * environment like in production; DRILL_QUESTIONS canned answers ("câu hỏi số N" → "Trả lời câu
 * số N") make every answer traceable to its question, and FAKE_ASK_DELAY_MS slows answering so
 * the drill can kill the process while answers are being computed.
 */
import { FakeKnowledgeBase } from '../../src/bot/index.js';
import { startZalo } from '../../src/channels/zalo/index.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { FAST_TUNING } from '../channels/zalo/harness.js';

const count = Number(process.env.DRILL_QUESTIONS ?? '0');
const rules = Array.from({ length: count }, (_, i) => ({
  match: new RegExp(`câu hỏi số ${i + 1}\\b`),
  text: `Trả lời câu số ${i + 1} [1].`,
  citations: ['kontum-381#1'],
}));
// A warm standby (kill drills): modules loaded, the channel started only on "go" from the drill,
// so a restart after a kill costs the start-up of the bot, not the compilation of its sources.
if (process.env.DRILL_WAIT_FOR_GO === '1') {
  process.stdout.write('LOADED\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
}
const knowledge = new FakeKnowledgeBase({ rules, askDelayMs: Number(process.env.FAKE_ASK_DELAY_MS ?? '0') });
const channel = await startZalo({ config: loadConfig(process.env), knowledge, logger: createLogger({ level: 'warn' }), tuning: FAST_TUNING });
process.once('SIGTERM', () => void channel.stop().then(() => process.exit(0)));
// The memory drill asks for figures with SIGUSR2: the channel's map sizes, heap after a full GC, RSS, CPU so far.
process.on('SIGUSR2', () => {
  const cpu = process.cpuUsage();
  (globalThis as { gc?: () => void }).gc?.();
  const mem = process.memoryUsage();
  process.stdout.write(`STATS ${JSON.stringify({ ...channel.stats(), heapUsedBytes: mem.heapUsed, rssBytes: mem.rss, cpuUs: cpu.user + cpu.system })}\n`);
});
process.stdout.write('READY\n');
