import { startConsole } from '../channels/console/index.js';
import type { ChannelDefinition, ChannelHandle } from '../channels/shared/channel.js';
import { startTelegram } from '../channels/telegram/index.js';
import { startZalo } from '../channels/zalo/index.js';

/** Resolves never: a bot channel ends only when it is stopped. */
const UNTIL_STOPPED = new Promise<void>(() => undefined);

const telegram: ChannelDefinition = {
  name: 'telegram',
  isConfigured: (config) => Boolean(config.TELEGRAM_BOT_TOKEN),
  async start({ config, knowledge, logger, store, extension }): Promise<ChannelHandle> {
    // Signals are handled once for the whole process by npm start, not per channel.
    const handle = await startTelegram({ config, knowledge, logger, tuning: { handleSignals: false }, extension, store });
    return {
      name: 'telegram',
      mode: handle.mode,
      details: { bot: handle.botUsername, ...(handle.webhookPort !== undefined ? { port: handle.webhookPort } : {}) },
      ended: UNTIL_STOPPED,
      stop: () => handle.stop(),
    };
  },
};

const zalo: ChannelDefinition = {
  name: 'zalo',
  isConfigured: (config) => Boolean(config.ZALO_BOT_TOKEN),
  async start({ config, knowledge, logger, store, extension }): Promise<ChannelHandle> {
    const handle = await startZalo({ config, knowledge, logger, extension, store });
    return {
      name: 'zalo',
      mode: handle.mode,
      details: handle.webhookPort !== undefined ? { port: handle.webhookPort } : {},
      ended: UNTIL_STOPPED,
      stop: () => handle.stop(),
    };
  },
};

/** The console chat: offered in a terminal when no bot is configured. */
const consoleChat: ChannelDefinition = {
  name: 'console',
  isConfigured: (config, environment) => environment.interactive && !config.TELEGRAM_BOT_TOKEN && !config.ZALO_BOT_TOKEN,
  start({ knowledge, store, extension }): Promise<ChannelHandle> {
    const input = new AbortController();
    const ended = startConsole({ knowledge, store, extension, signal: input.signal });
    return Promise.resolve({
      name: 'console',
      mode: 'console',
      details: {},
      ended,
      stop: async () => {
        input.abort();
        await ended.catch(() => undefined);
      },
    });
  },
};

/** Every channel `npm start` can run, in start-up order. */
export const CHANNELS: readonly ChannelDefinition[] = [telegram, zalo, consoleChat];
