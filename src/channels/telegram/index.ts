import { randomBytes } from 'node:crypto';
import { DEFAULT_WEBHOOK_HOST } from '../httpHardening.js';
import type { KnowledgeBase } from '../../bot/knowledge.js';
import type { CommandRegistry } from '../../bot/commands.js';
import type { ChatExtension } from '../../bot/extension.js';
import { openConfiguredStateStore, type StateStore } from '../../state/index.js';
import { BackgroundTask } from '../shared/background.js';
import { ConversationCore } from '../../bot/core.js';
import { loadMessages } from '../../bot/messages.js';
import type { AppConfig } from '../../config.js';
import { registerSecret, type Logger } from '../../logger.js';
import { BotApiClient, type RetryPolicy } from './client.js';
import { UpdateJournal } from './journal.js';
import { BotApiOutbound, DEFAULT_DELIVERY, TELEGRAM_DOWNLOAD_LIMIT_BYTES, type DeliveryPolicy } from './outbound.js';
import { Shutdown } from './sleep.js';
import { ALLOWED_UPDATES, Poller } from './polling.js';
import { UpdateProcessor } from './processor.js';
import { SendScheduler, TELEGRAM_LIMITS, TELEGRAM_PUBLISHED_LIMITS, type SendLimits } from './sendScheduler.js';
import { startWebhookServer, type WebhookServer } from './webhook.js';
import type { Update } from 'telegraf/types';
import { legacyChatKey } from '../../state/index.js';
import { SharedInbox, SHARED_INBOX_TUNING } from '../shared/inbox.js';
import { LeaderLease } from '../shared/lease.js';
import { StoreSendBudget } from '../shared/sendBudget.js';

export interface TelegramTuning {
  /** getUpdates long-poll timeout. */
  pollTimeoutS: number;
  retry: Partial<RetryPolicy>;
  limits: SendLimits;
  webhookMaxBodyBytes: number;
  webhookHost: string;
  typingIntervalMs: number;
  maxPendingUpdates: number;
  /** Install SIGINT/SIGTERM handlers that call stop(). */
  handleSignals: boolean;
  /** Wait before retrying failed start-up housekeeping (setMyCommands). */
  housekeepingRetryMs: number;
  /** Backoff between attempts of one reply, which is retried until delivered or refused for good. */
  delivery: DeliveryPolicy;
  /** On stop, a send already on the wire gets this long to be answered before it is cut. */
  stopGraceMs: number;
}

const DEFAULT_TUNING: TelegramTuning = {
  pollTimeoutS: 30,
  retry: {},
  limits: TELEGRAM_LIMITS,
  webhookMaxBodyBytes: 1024 * 1024,
  // Behind the TLS reverse proxy; TELEGRAM_WEBHOOK_HOST to change.
  webhookHost: DEFAULT_WEBHOOK_HOST,
  typingIntervalMs: 4500,
  maxPendingUpdates: 100,
  handleSignals: true,
  housekeepingRetryMs: 60_000,
  delivery: DEFAULT_DELIVERY,
  stopGraceMs: 1000,
};

export interface StartTelegramOptions {
  config: AppConfig;
  knowledge: KnowledgeBase;
  logger: Logger;
  /** Test and deployment knobs; production uses the defaults. */
  tuning?: Partial<TelegramTuning>;
  /** Extra commands registered on the core. */
  registry?: CommandRegistry;
  /**
   * The trainer (quizzes as native quiz polls, scores, summaries, comparisons), created for this
   * channel with its own state file; flushed on stop().
   */
  extension?: ChatExtension;
  /** The process's state store; without it the channel opens its own (SQLite or DATABASE_URL) and closes it on stop. */
  store?: StateStore;
}

export interface TelegramHandle {
  /** Stops fetching, finishes in-flight answers, persists state. Idempotent. */
  stop(): Promise<void>;
  botUsername: string;
  mode: 'polling' | 'webhook';
  /** The port the webhook server actually listens on (useful when configured as 0). */
  webhookPort?: number;
}

/**
 * Starts the Telegram channel: long polling by default, a webhook server when
 * TELEGRAM_WEBHOOK_URL is set. The conversation itself lives in the core; this only adapts.
 */
export async function startTelegram(opts: StartTelegramOptions): Promise<TelegramHandle> {
  const { config, knowledge } = opts;
  const tuning: TelegramTuning = { ...DEFAULT_TUNING, ...opts.tuning };
  const token = config.TELEGRAM_BOT_TOKEN;
  if (!token) throw new Error('TELEGRAM_BOT_TOKEN is not set');
  registerSecret(token);
  const logger = opts.logger.child({ channel: 'telegram' });

  const scheduler = new SendScheduler(tuning.limits);
  const client = new BotApiClient(token, logger, {
    apiRoot: config.TELEGRAM_API_ROOT,
    retry: tuning.retry,
    onRateLimited: (ms) => scheduler.pause(ms),
  });
  const me = await client.call('getMe', {});
  const bot = { id: me.id, username: me.username };
  logger.info({ bot: bot.username, apiRoot: client.apiRoot }, 'Telegram bot identified');

  const access = {
    allowedChats: config.TELEGRAM_ALLOWED_CHATS,
    allowedUsers: config.TELEGRAM_ALLOWED_USERS,
    admins: config.TELEGRAM_ADMIN_USERS,
    usersAllowedInAnyGroup: config.ALLOW_LISTED_USERS_IN_ANY_GROUP,
  };
  const maxDownloadBytes = Math.min(config.MAX_UPLOAD_BYTES, TELEGRAM_DOWNLOAD_LIMIT_BYTES);
  const store =
    opts.store ??
    (await openConfiguredStateStore(config, logger));
  const core = await ConversationCore.create({
    knowledge,
    channel: 'telegram',
    store,
    access,
    rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
    maxQuestionChars: config.MAX_QUESTION_CHARS,
    maxUploadBytes: maxDownloadBytes,
    logger,
    messages: loadMessages(),
    registry: opts.registry,
    extension: opts.extension,
  });
  const messages = core.messages;
  if (core.isOpenToEveryone) {
    logger.warn('TELEGRAM_ALLOWED_CHATS and TELEGRAM_ALLOWED_USERS are empty: anyone who finds the bot can use it');
  }

  // The menu is a convenience: registered in the background, retried later, never in the way of
  // the first answer (an API that fails setMyCommands must not delay polling).
  const housekeeping = new BackgroundTask(
    'setMyCommands',
    async (signal) => {
      await client.call('setMyCommands', { commands: core.commandMenu('vi') }, { signal });
      await client.call('setMyCommands', { commands: core.commandMenu('en'), language_code: 'en' }, { signal });
    },
    { logger, retryAfterMs: tuning.housekeepingRetryMs },
  );
  housekeeping.start();

  // On PostgreSQL several replicas may serve the bot: chat order and take-over of a dead replica's
  // claims go through the shared inbox, and only the holder of the polling lease polls.
  const replicas = store.kind === 'postgres';
  // Limits above Telegram's published overall one are limits switched off (a local Bot API server, tests).
  if (replicas && tuning.limits.globalPerSecond <= TELEGRAM_PUBLISHED_LIMITS.globalPerSecond) {
    scheduler.shareBudget(new StoreSendBudget({ store, key: `send:telegram:${bot.id}`, perSecond: tuning.limits.globalPerSecond, logger }));
  }
  const journal = await UpdateJournal.open(store, Date.now, replicas ? SHARED_INBOX_TUNING.leaseMs : undefined);
  const lanes = replicas
    ? SharedInbox.lanes<Update>({ store, channel: 'telegram', owner: journal.owner, logger, chatKeyOf: legacyChatKey })
    : undefined;
  const shutdown = new Shutdown();
  const outbound = new BotApiOutbound(client, scheduler, logger, maxDownloadBytes, { delivery: tuning.delivery, shutdown });
  const processor = new UpdateProcessor({
    shutdown,
    core,
    outbound,
    bot,
    messages,
    journal,
    logger,
    typingIntervalMs: tuning.typingIntervalMs,
    ...(lanes ? { lanes } : {}),
  });

  const replay = await journal.pending();
  if (replay.length > 0) logger.info({ count: replay.length }, 'replaying updates received before the last shutdown');
  for (const u of replay) processor.enqueue(u);

  let poller: Poller | undefined;
  let leader: LeaderLease | undefined;
  let webhook: WebhookServer | undefined;
  if (config.TELEGRAM_WEBHOOK_URL) {
    const secret = config.TELEGRAM_WEBHOOK_SECRET ?? randomBytes(32).toString('hex');
    registerSecret(secret);
    webhook = await startWebhookServer({
      host: opts.tuning?.webhookHost ?? config.TELEGRAM_WEBHOOK_HOST ?? tuning.webhookHost,
      port: config.TELEGRAM_WEBHOOK_PORT,
      path: config.TELEGRAM_WEBHOOK_PATH,
      secret,
      maxBodyBytes: tuning.webhookMaxBodyBytes,
      journal,
      processor,
      logger,
    });
    try {
      await client.call('setWebhook', {
        url: config.TELEGRAM_WEBHOOK_URL,
        secret_token: secret,
        allowed_updates: [...ALLOWED_UPDATES],
      });
    } catch (err) {
      await webhook.close();
      await processor.idle();
      await journal.flush();
      throw err;
    }
    logger.info({ port: webhook.port, path: config.TELEGRAM_WEBHOOK_PATH }, 'Telegram webhook mode');
  } else {
    // getUpdates is refused while a webhook is registered; pending updates are kept.
    await client.call('deleteWebhook', { drop_pending_updates: false });
    const newPoller = () =>
      new Poller({
        client,
        journal,
        processor,
        logger,
        pollTimeoutS: tuning.pollTimeoutS,
        maxPendingUpdates: tuning.maxPendingUpdates,
      });
    if (replicas) {
      leader = new LeaderLease({ store, name: 'poll:telegram', holder: journal.owner, logger }, async () => {
        await journal.reloadOffset();
        const leading = newPoller();
        leading.start();
        return () => leading.stop();
      });
      await leader.start();
      logger.info({ leader: leader.isLeader }, 'Telegram long polling by the holder of the polling lease');
    } else {
      poller = newPoller();
      poller.start();
      logger.info('Telegram long polling started');
    }
  }

  // Stopping does not delete the webhook: Telegram keeps queueing updates until we are back.
  let stopping: Promise<void> | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'stopping Telegram channel');
    void stop();
  };
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (tuning.handleSignals) {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      await poller?.stop();
      await leader?.close();
      await webhook?.close();
      // Waits (a 429's retry_after, backoff, flood limits) end now; unsent replies stay pending.
      shutdown.begin(tuning.stopGraceMs);
      await processor.idle();
      await processor.closeLanes();
      housekeeping.stop();
      await journal.flush();
      await core.close();
      if (!opts.store) await store.close();
      logger.info('Telegram channel stopped');
    })();
    return stopping;
  };
  if (tuning.handleSignals) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }

  return { stop, botUsername: bot.username, mode: webhook ? 'webhook' : 'polling', webhookPort: webhook?.port };
}

export { escapeHtml, renderReply, TELEGRAM_MAX_MESSAGE_CHARS, type OutgoingMessage } from './format.js';
export { BotApiError, BotNetworkError } from './errors.js';
