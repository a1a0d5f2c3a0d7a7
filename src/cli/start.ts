import 'dotenv/config';
import { ConfigError, loadConfig } from '../config.js';
import { createLogger, registerSecret } from '../logger.js';
import { startConsole } from '../channels/console/index.js';
import { startTelegram } from '../channels/telegram/index.js';
import { startZalo } from '../channels/zalo/index.js';
import { parseArgs } from './args.js';
import { openAssistant } from './common.js';

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
    await startConsole({ knowledge: assistant, stateDir: config.STATE_DIR });
    return;
  }

  const assistant = await openAssistant(args, config);
  const handles: { name: string; stop(): Promise<void> }[] = [];
  if (config.TELEGRAM_BOT_TOKEN) {
    const telegram = await startTelegram({ config, knowledge: assistant, logger, tuning: { handleSignals: false } });
    handles.push({ name: 'telegram', stop: () => telegram.stop() });
    logger.info({ bot: telegram.botUsername, mode: telegram.mode }, 'telegram started');
  }
  if (config.ZALO_BOT_TOKEN) {
    const zalo = await startZalo({ config, knowledge: assistant, logger });
    handles.push({ name: 'zalo', stop: () => zalo.stop() });
    logger.info({ mode: zalo.mode }, 'zalo started');
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: finishing in-flight answers');
    await Promise.allSettled(handles.map((h) => h.stop()));
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
