import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { whenReady } from '../../helpers.js';
import type { FakeBotApi } from './fakeBotApi.js';
import { TOKEN } from './helpers.js';

const CHILD = fileURLToPath(new URL('./childBot.ts', import.meta.url));

export interface ChildBotOptions {
  /** How long the fake knowledge base takes per answer: the window a kill can land in. */
  askDelayMs: number;
  ratePerMinute?: number;
  logLevel?: string;
}

/** The Telegram bot in a child process (childBot.ts) polling the fake Bot API, for kill and signal drills. */
export class ChildBots {
  private readonly children: ChildProcess[] = [];

  start(api: FakeBotApi, stateDir: string, options: ChildBotOptions): Promise<ChildProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
      env: {
        ...process.env,
        TELEGRAM_BOT_TOKEN: TOKEN,
        TELEGRAM_API_ROOT: api.url,
        STATE_DIR: stateDir,
        RATE_LIMIT_PER_MINUTE: String(options.ratePerMinute ?? 1000),
        TELEGRAM_WEBHOOK_URL: '',
        FAKE_ASK_DELAY_MS: String(options.askDelayMs),
        LOG_LEVEL: options.logLevel ?? 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.children.push(child);
    return whenReady(child);
  }

  /** Kills whatever a test left running. */
  killAll(): void {
    for (const c of this.children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
}
