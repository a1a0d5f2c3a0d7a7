/**
 * HTTP endpoint for Zalo webhook deliveries.
 *
 * Zalo POSTs each update as JSON with the shared secret given to setWebhook in the header
 * `X-Bot-Api-Secret-Token` (docs: setWebhook → secret_token, 8–256 characters). It is a plain
 * shared secret, not a signature, so it is compared in constant time. Bodies arrive both bare
 * and wrapped in `{ok, result}`; checkUpdates accepts both, and malformed bodies are counted and
 * answered 200 (a non-2xx would make the platform retry something we will never understand).
 *
 * The response goes out as soon as the update is recorded (a file write), before any answering
 * work: a slow 200 makes the platform retry and deliver duplicates.
 */

import type { WebhookServerLimits } from '../httpHardening.js';
import type { Logger } from '../../logger.js';
import { describeError } from './errors.js';
import type { MalformedCounter } from './malformed.js';
import { checkUpdates, type ZaloUpdate } from './types.js';
import { startWebhookServer, type WebhookReceipt, type WebhookServer } from '../shared/webhookServer.js';

export { secretMatches } from '../shared/webhookServer.js';

export const SECRET_HEADER = 'x-bot-api-secret-token';
export const WEBHOOK_SECRET_MIN_CHARS = 8;
export const WEBHOOK_SECRET_MAX_CHARS = 256;

export interface WebhookServerOptions {
  path: string;
  port: number;
  host?: string;
  secretToken: string;
  logger: Logger;
  /** Records the update; resolves quickly, the answer is produced afterwards. */
  onUpdate: (update: ZaloUpdate) => Promise<void>;
  maxBodyBytes?: number;
  /** Timeouts, connection cap, JSON depth (defaults: DEFAULT_WEBHOOK_LIMITS). */
  limits?: WebhookServerLimits;
  /** Where bodies that hold no valid update are counted (shared with the client). */
  malformed?: MalformedCounter;
}

export function isValidWebhookSecret(secret: string): boolean {
  return secret.length >= WEBHOOK_SECRET_MIN_CHARS && secret.length <= WEBHOOK_SECRET_MAX_CHARS;
}

/** Zalo's deliveries on the shared webhook server (src/channels/shared/webhookServer.ts). */
export class ZaloWebhookServer {
  private server: WebhookServer | undefined;

  constructor(private readonly options: WebhookServerOptions) {}

  async listen(): Promise<number> {
    const o = this.options;
    this.server = await startWebhookServer({
      name: 'zalo',
      host: o.host ?? '127.0.0.1',
      port: o.port,
      path: o.path,
      secretHeader: SECRET_HEADER,
      secret: o.secretToken,
      maxBodyBytes: o.maxBodyBytes ?? 1024 * 1024,
      logger: o.logger,
      receive: (body) => this.receive(body),
      ...(o.limits ? { limits: o.limits } : {}),
    });
    return this.server.port;
  }

  async close(): Promise<void> {
    await this.server?.close();
  }

  private async receive(parsed: unknown): Promise<WebhookReceipt> {
    const { updates, malformed } = checkUpdates(parsed);
    // Answer 200 anyway: a non-2xx makes the platform retry something we will never understand.
    for (const issues of malformed) this.options.malformed?.count('webhook', issues);
    for (const update of updates) {
      try {
        await this.options.onUpdate(update);
      } catch (err) {
        this.options.logger.error({ err: describeError(err) }, 'zalo: could not record webhook update');
      }
    }
    return { status: 200 };
  }
}
