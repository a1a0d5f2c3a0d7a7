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

import { capConnections, parseJsonLimited, webhookServerOptions, type WebhookServerLimits } from '../httpHardening.js';
import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../logger.js';
import { describeError } from './errors.js';
import type { MalformedCounter } from './malformed.js';
import { checkUpdates, type ZaloUpdate } from './types.js';

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

/** Compares via fixed-length digests so neither content nor length leaks through timing. */
export function secretMatches(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && given.length === expected.length;
}

export class ZaloWebhookServer {
  private readonly server: http.Server;
  private readonly maxBodyBytes: number;
  private readonly path: string;

  constructor(private readonly options: WebhookServerOptions) {
    this.maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
    this.path = normalizePath(options.path);
    this.server = http.createServer(webhookServerOptions(options.limits), (req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        options.logger.error({ err: describeError(err) }, 'zalo: webhook handler failed');
        if (!res.headersSent) reply(res, 500, { ok: false });
      });
    });
    // Deliveries are small and quick; a stalled client must not hold a socket for long.
    capConnections(this.server, options.limits);
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host ?? '0.0.0.0', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const port = (this.server.address() as AddressInfo).port;
    this.options.logger.info({ port, path: this.path }, 'zalo: webhook server listening');
    return port;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const { logger } = this.options;
    const urlPath = normalizePath((req.url ?? '/').split('?')[0] ?? '/');
    if (urlPath !== this.path) return reply(res, 404, { ok: false });
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return reply(res, 405, { ok: false });
    }

    const header = req.headers[SECRET_HEADER];
    const given = Array.isArray(header) ? header[0] : header;
    if (!secretMatches(given, this.options.secretToken)) {
      logger.warn({ remote: req.socket.remoteAddress, hasHeader: given !== undefined }, 'zalo: webhook call with wrong secret rejected');
      req.resume();
      return reply(res, 401, { ok: false });
    }

    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > this.maxBodyBytes) {
      req.resume();
      return reply(res, 413, { ok: false }, true);
    }

    const body = await readBody(req, this.maxBodyBytes);
    if (body === 'too-large') return reply(res, 413, { ok: false }, true);

    let parsed: unknown;
    try {
      parsed = parseJsonLimited(body.toString('utf8'), this.options.limits?.maxJsonDepth);
    } catch {
      return reply(res, 400, { ok: false });
    }

    const { updates, malformed } = checkUpdates(parsed);
    // Answer 200 anyway: a non-2xx makes the platform retry something we will never understand.
    for (const issues of malformed) this.options.malformed?.count('webhook', issues);
    for (const update of updates) {
      try {
        await this.options.onUpdate(update);
      } catch (err) {
        logger.error({ err: describeError(err) }, 'zalo: could not record webhook update');
      }
    }
    reply(res, 200, { ok: true });
  }
}

function normalizePath(p: string): string {
  const withSlash = p.startsWith('/') ? p : `/${p}`;
  return withSlash.length > 1 ? withSlash.replace(/\/+$/, '') : withSlash;
}

function reply(res: http.ServerResponse, status: number, body: unknown, close = false): void {
  if (close) res.setHeader('Connection', 'close');
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

function readBody(req: http.IncomingMessage, maxBytes: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > maxBytes) {
        done = true;
        chunks.length = 0;
        // Stop buffering but drain the socket so the 413 can still be delivered.
        req.resume();
        resolve('too-large');
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) {
        done = true;
        resolve(Buffer.concat(chunks));
      }
    });
    req.on('error', (err) => {
      if (!done) {
        done = true;
        reject(err);
      }
    });
  });
}
