/**
 * The Zalo channel: `startZalo` wires the Bot API client, the conversation core, the dedup
 * store and either the polling loop or the webhook server, and returns a handle to stop it.
 *
 * Polling (default) needs no public address: good for development and small deployments.
 * Webhook mode (ZALO_WEBHOOK_URL set) needs a public HTTPS URL that forwards to
 * ZALO_WEBHOOK_PORT/ZALO_WEBHOOK_PATH. Both modes share the same answering path.
 */

import { DEFAULT_WEBHOOK_HOST } from '../httpHardening.js';
import { randomBytes } from 'node:crypto';
import { ConversationCore, type ChatExtension, type KnowledgeBase } from '../../bot/index.js';
import type { AppConfig } from '../../config.js';
import { registerSecret, type Logger } from '../../logger.js';
import { withRetry } from '../shared/resilience.js';
import { ZaloAdapter } from './adapter.js';
import { ZaloClient } from './client.js';
import { DedupStore } from './dedupStore.js';
import { SharedInbox, SHARED_INBOX_TUNING } from '../shared/inbox.js';
import { openConfiguredStateStore, type StateStore } from '../../state/index.js';
import { describeError } from './errors.js';
import { MalformedCounter } from './malformed.js';
import { ZaloPoller } from './poller.js';
import { isValidWebhookSecret, ZaloWebhookServer, WEBHOOK_SECRET_MAX_CHARS, WEBHOOK_SECRET_MIN_CHARS } from './webhook.js';

export { ZaloClient, ZALO_MAX_TEXT_CHARS, DEFAULT_API_ROOT } from './client.js';
export { ZaloApiError, ZaloNetworkError, POLL_TIMEOUT_ERROR_CODE, QUOTA_EXCEEDED_ERROR_CODE } from './errors.js';
export { DedupStore } from './dedupStore.js';
export { MalformedCounter } from './malformed.js';
export { ZaloPoller } from './poller.js';
export { ZaloWebhookServer, SECRET_HEADER, secretMatches } from './webhook.js';
export { ZaloAdapter, addressing, messageKindOf } from './adapter.js';
export { renderReply, splitMessage, renderCitation } from './format.js';
export { checkUpdates, parseUpdate, unwrapEnvelope, ZALO_EVENTS, type ZaloUpdate, type ZaloMessage, type ZaloBotInfo } from './types.js';

/** Timings and limits; production defaults, tests pass tiny values. */
export interface ZaloTuning {
  /** Long-poll duration sent with getUpdates (Zalo's default is 30 s). */
  pollTimeoutSeconds: number;
  requestTimeoutMs: number;
  backoffInitialMs: number;
  /** Cap of every backoff: during a long outage the bot retries about once per this interval. */
  backoffMaxMs: number;
  /** Minimum wait after a 429. */
  quotaMinDelayMs: number;
  /** Spacing of empty polls that return immediately (a misbehaving proxy), against hot loops. */
  minPollIntervalMs: number;
  typingIntervalMs: number;
  /** How long stop() waits for in-flight answers before leaving them for the next start. */
  drainTimeoutMs: number;
  webhookHost: string;
  webhookMaxBodyBytes: number;
  maxReplayAttempts: number;
}

export const DEFAULT_ZALO_TUNING: ZaloTuning = {
  pollTimeoutSeconds: 30,
  requestTimeoutMs: 15_000,
  backoffInitialMs: 1000,
  backoffMaxMs: 60_000,
  quotaMinDelayMs: 5000,
  minPollIntervalMs: 1000,
  typingIntervalMs: 4000,
  drainTimeoutMs: 20_000,
  // Behind the TLS reverse proxy; ZALO_WEBHOOK_HOST to change.
  webhookHost: DEFAULT_WEBHOOK_HOST,
  webhookMaxBodyBytes: 1024 * 1024,
  maxReplayAttempts: 3,
};

export interface StartZaloOptions {
  config: AppConfig;
  knowledge: KnowledgeBase;
  logger: Logger;
  tuning?: Partial<ZaloTuning>;
  /**
   * The trainer (quizzes with numbered options answered by typing the number, scores, summaries,
   * comparisons), created for this channel with its own state file; flushed on stop().
   */
  extension?: ChatExtension;
  /** The process's state store; without it the channel opens its own and closes it on stop. */
  store?: StateStore;
}

export interface ZaloMemoryStats {
  /** Chats with queued or running answers (their lane entry goes when idle). */
  activeChats: number;
  /** Answers queued or running. */
  pendingWork: number;
  /** The core's per-user maps. */
  refusedPairs: number;
  rateNotices: number;
}

export interface ZaloChannel {
  readonly mode: 'polling' | 'webhook';
  /** The port the webhook server listens on (webhook mode only; useful with port 0). */
  readonly webhookPort?: number;
  /** Zalo answers and webhook bodies that did not fit the documented shapes (counted, skipped). */
  readonly malformed: MalformedCounter;
  /** Sizes of the channel's in-memory per-chat state: all bounded, whatever the number of chats. */
  stats(): ZaloMemoryStats;
  /** Stops receiving, finishes in-flight answers (bounded by drainTimeoutMs), persists state. */
  stop(): Promise<void>;
}

/**
 * The public webhook URL: ZALO_WEBHOOK_URL, with ZALO_WEBHOOK_PATH appended unless the URL
 * already ends with it (so both "https://host" and "https://host/zalo" work).
 */
export function publicWebhookUrl(baseUrl: string, path: string): string {
  const url = new URL(baseUrl);
  const p = path.startsWith('/') ? path : `/${path}`;
  const current = url.pathname.replace(/\/+$/, '');
  if (!current.endsWith(p.replace(/\/+$/, ''))) url.pathname = `${current}${p}`;
  return url.toString();
}

export async function startZalo(opts: StartZaloOptions): Promise<ZaloChannel> {
  const { config, knowledge } = opts;
  const logger = opts.logger.child({ channel: 'zalo' });
  const tuning: ZaloTuning = { ...DEFAULT_ZALO_TUNING, ...opts.tuning };
  const token = config.ZALO_BOT_TOKEN;
  if (!token) throw new Error('ZALO_BOT_TOKEN chưa được đặt / is not set: Zalo channel cannot start');
  registerSecret(token);

  const malformed = new MalformedCounter(logger);
  const client = new ZaloClient({
    token,
    apiRoot: config.ZALO_API_ROOT,
    requestTimeoutMs: tuning.requestTimeoutMs,
    malformed,
    logger,
  });
  const stateStore =
    opts.store ??
    (await openConfiguredStateStore(config, logger));
  // On PostgreSQL several replicas may serve the bot: claims carry a short lease renewed by the
  // shared inbox, and chat order holds across replicas (shared/inbox.ts).
  const replicas = stateStore.kind === 'postgres';
  const store = await DedupStore.open({ store: stateStore, logger, ...(replicas ? { leaseMs: SHARED_INBOX_TUNING.leaseMs } : {}) });
  const core = await ConversationCore.create({
    knowledge,
    channel: 'zalo',
    store: stateStore,
    access: {
      allowedChats: config.ZALO_ALLOWED_CHATS,
      allowedUsers: config.ZALO_ALLOWED_USERS,
      admins: config.ZALO_ADMIN_USERS,
      usersAllowedInAnyGroup: config.ALLOW_LISTED_USERS_IN_ANY_GROUP,
    },
    rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
    maxQuestionChars: config.MAX_QUESTION_CHARS,
    maxUploadBytes: config.MAX_UPLOAD_BYTES,
    logger,
    extension: opts.extension,
  });
  if (core.isOpenToEveryone) {
    logger.warn('zalo: ZALO_ALLOWED_USERS and ZALO_ALLOWED_CHATS are empty, anyone who finds the bot can use it');
  }

  const adapter = new ZaloAdapter({
    client,
    core,
    store,
    logger,
    typingIntervalMs: tuning.typingIntervalMs,
    sendBackoffInitialMs: tuning.backoffInitialMs,
    sendBackoffMaxMs: tuning.backoffMaxMs,
    quotaMinDelayMs: tuning.quotaMinDelayMs,
    maxReplayAttempts: tuning.maxReplayAttempts,
    ...(replicas ? { lanes: SharedInbox.lanes({ store: stateStore, channel: 'zalo', owner: store.owner, logger }) } : {}),
  });

  const lifetime = new AbortController();
  /** Housekeeping calls retried until they work or the channel stops (the shared resilience module). */
  const untilDone = <T>(what: string, call: (signal: AbortSignal) => Promise<T>): Promise<T> =>
    withRetry(call, {
      maxAttempts: Number.POSITIVE_INFINITY,
      baseDelayMs: tuning.backoffInitialMs,
      maxDelayMs: tuning.backoffMaxMs,
      isRetryable: () => true,
      onRetry: ({ err, delayMs }) => logger.warn({ err: describeError(err), retryInMs: delayMs }, `zalo: ${what} failed, retrying`),
    }, lifetime.signal);
  // The bot's id and name let us recognise mentions in groups. Learning them must not block
  // start-up during an outage, so it retries in the background; group messages wait for it in
  // their lanes, safe in the inbox.
  const botInfoLoaded = untilDone('getMe', (signal) => client.getMe({ signal })).then(
    (info) => {
      adapter.setBotInfo(info);
      logger.info({ botId: info.id, names: info.names, host: client.host }, 'zalo: connected');
    },
    () => undefined,
  );

  const replayed = await adapter.replayLeftovers();
  if (replayed > 0) logger.info({ replayed }, 'zalo: resuming unfinished answers');

  const onUpdate = (update: Parameters<ZaloAdapter['accept']>[0]): Promise<void> => adapter.accept(update);

  let poller: ZaloPoller | undefined;
  let server: ZaloWebhookServer | undefined;
  let webhookPort: number | undefined;
  let registration: Promise<void> = Promise.resolve();

  if (config.ZALO_WEBHOOK_URL) {
    let secret = config.ZALO_WEBHOOK_SECRET;
    if (secret && !isValidWebhookSecret(secret)) {
      throw new Error(
        `ZALO_WEBHOOK_SECRET phải dài ${WEBHOOK_SECRET_MIN_CHARS}–${WEBHOOK_SECRET_MAX_CHARS} ký tự / must be ${WEBHOOK_SECRET_MIN_CHARS}–${WEBHOOK_SECRET_MAX_CHARS} characters`,
      );
    }
    if (!secret) {
      // setWebhook is re-issued on every start, so a per-process random secret is safe.
      secret = randomBytes(24).toString('hex');
      logger.info('zalo: ZALO_WEBHOOK_SECRET not set, using a random secret for this run');
    }
    registerSecret(secret);
    server = new ZaloWebhookServer({
      path: config.ZALO_WEBHOOK_PATH,
      port: config.ZALO_WEBHOOK_PORT,
      host: opts.tuning?.webhookHost ?? config.ZALO_WEBHOOK_HOST ?? tuning.webhookHost,
      secretToken: secret,
      logger,
      onUpdate,
      maxBodyBytes: tuning.webhookMaxBodyBytes,
      malformed,
    });
    webhookPort = await server.listen();
    const url = publicWebhookUrl(config.ZALO_WEBHOOK_URL, config.ZALO_WEBHOOK_PATH);
    const secretToken = secret;
    registration = untilDone('setWebhook', (signal) => client.setWebhook({ url, secretToken }, { signal })).then(
      () => logger.info({ url }, 'zalo: webhook registered'),
      () => undefined,
    );
  } else {
    poller = new ZaloPoller({
      client,
      logger,
      onUpdate,
      pollTimeoutSeconds: tuning.pollTimeoutSeconds,
      backoffInitialMs: tuning.backoffInitialMs,
      backoffMaxMs: tuning.backoffMaxMs,
      quotaMinDelayMs: tuning.quotaMinDelayMs,
      minPollIntervalMs: tuning.minPollIntervalMs,
    });
    poller.start();
  }

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      logger.info('zalo: stopping');
      lifetime.abort();
      await poller?.stop();
      await server?.close();
      await Promise.allSettled([botInfoLoaded, registration]);
      await adapter.drain(tuning.drainTimeoutMs);
      await store.flush().catch((err: unknown) => logger.error({ err: describeError(err) }, 'zalo: could not save dedup state'));
      await core.close();
      if (!opts.store) await stateStore.close();
      logger.info('zalo: stopped');
    })();
    return stopping;
  };

  const stats = (): ZaloMemoryStats => ({ activeChats: adapter.activeChats, pendingWork: adapter.pendingWork, ...core.memoryStats() });
  const channel: ZaloChannel = { mode: server ? 'webhook' : 'polling', malformed, stats, stop };
  return webhookPort === undefined ? channel : { ...channel, webhookPort };
}
