import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Update } from 'telegraf/types';
import type { UpdateJournal } from './journal.js';
import type { UpdateProcessor } from './processor.js';
import { capConnections, parseJsonLimited, webhookServerOptions, type WebhookServerLimits } from '../httpHardening.js';
import { slimUpdate } from './slimUpdate.js';

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

export interface WebhookServer {
  port: number;
  close(): Promise<void>;
}

/** Hashing first gives equal-length inputs, so neither content nor length leaks through timing. */
export function secretMatches(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let total = 0;
    req.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total > maxBytes) {
        reject(new BodyTooLarge());
        req.removeAllListeners('data');
        req.resume();
        return;
      }
      parts.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

/**
 * Receives updates from Telegram. A delivery is acknowledged (200) only once the update is in
 * the journal on disk, and redeliveries (same update_id) are acknowledged without a second
 * answer; handling itself happens after the response, so slow answers never time Telegram out.
 */
export async function startWebhookServer(o: WebhookServerOptions): Promise<WebhookServer> {
  const log = o.logger.child({ component: 'webhook' });
  const respond = (res: ServerResponse, status: number) => {
    res.writeHead(status, { 'content-type': 'application/json', connection: status === 413 ? 'close' : 'keep-alive' });
    res.end(status === 200 ? '{"ok":true}' : JSON.stringify({ ok: false, status }));
  };

  const server: Server = createServer(webhookServerOptions(o.limits), (req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (req.method !== 'POST' || url.pathname !== o.path) return respond(res, 404);
      const given = req.headers['x-telegram-bot-api-secret-token'];
      if (!secretMatches(typeof given === 'string' ? given : undefined, o.secret)) {
        log.warn({ remote: req.socket.remoteAddress }, 'webhook call with a missing or wrong secret');
        return respond(res, 401);
      }
      if (Number(req.headers['content-length'] ?? 0) > o.maxBodyBytes) {
        log.warn({ contentLength: req.headers['content-length'] }, 'webhook body too large');
        return respond(res, 413);
      }
      let update: Update;
      try {
        const body = await readBody(req, o.maxBodyBytes);
        // Only what processing needs is kept (and journaled); ids must be safe integers.
        const slim = slimUpdate(parseJsonLimited(body.toString('utf8'), o.limits?.maxJsonDepth));
        if (!slim) return respond(res, 400);
        update = slim;
      } catch (err) {
        if (err instanceof BodyTooLarge) {
          log.warn('webhook body too large');
          return respond(res, 413);
        }
        return respond(res, 400);
      }
      if (!(await o.journal.accept(update))) {
        log.debug({ updateId: update.update_id }, 'duplicate webhook delivery acknowledged');
        return respond(res, 200);
      }
      await o.journal.save();
      respond(res, 200);
      o.processor.enqueue(update);
    })().catch((err: unknown) => {
      log.error({ err: err instanceof Error ? err.message : String(err) }, 'webhook request failed');
      if (!res.headersSent) respond(res, 500);
    });
  });
  capConnections(server, o.limits);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
