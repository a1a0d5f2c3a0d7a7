import type { Logger } from 'pino';
import type { UpdateJournal } from './journal.js';
import type { UpdateProcessor } from './processor.js';
import type { WebhookServerLimits } from '../httpHardening.js';
import { startWebhookServer as startSharedWebhookServer, type WebhookReceipt, type WebhookServer } from '../shared/webhookServer.js';
import { slimUpdate } from './slimUpdate.js';

export { secretMatches, type WebhookServer } from '../shared/webhookServer.js';

export interface WebhookServerOptions {
  host: string;
  port: number;
  path: string;
  secret: string;
  maxBodyBytes: number;
  journal: UpdateJournal;
  processor: UpdateProcessor;
  logger: Logger;
  /** Timeouts, connection cap, JSON depth (defaults: DEFAULT_WEBHOOK_LIMITS). */
  limits?: WebhookServerLimits;
}

/**
 * Receives updates from Telegram on the shared webhook server. A delivery is acknowledged (200)
 * only once the update is in the journal, and redeliveries (same update_id) are acknowledged
 * without a second answer; handling itself happens after the response, so slow answers never
 * time Telegram out.
 */
export function startWebhookServer(o: WebhookServerOptions): Promise<WebhookServer> {
  const receive = async (body: unknown): Promise<WebhookReceipt> => {
    // Only what processing needs is kept (and journaled); ids must be safe integers.
    const update = slimUpdate(body);
    if (!update) return { status: 400 };
    if (!(await o.journal.accept(update))) {
      o.logger.debug({ updateId: update.update_id }, 'duplicate webhook delivery acknowledged');
      return { status: 200 };
    }
    await o.journal.save();
    return { status: 200, afterResponse: () => o.processor.enqueue(update) };
  };
  return startSharedWebhookServer({
    name: 'telegram',
    host: o.host,
    port: o.port,
    path: o.path,
    secretHeader: 'x-telegram-bot-api-secret-token',
    secret: o.secret,
    maxBodyBytes: o.maxBodyBytes,
    logger: o.logger,
    receive,
    ...(o.limits ? { limits: o.limits } : {}),
  });
}
