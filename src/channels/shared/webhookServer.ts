import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../logger.js';
import { capConnections, JsonTooDeep, parseJsonLimited, webhookServerOptions, type WebhookServerLimits } from '../httpHardening.js';

/**
 * The one webhook server of every channel: path and method, a shared secret in a header compared
 * in constant time, a body cap (declared and actual), the slow-client timeouts and connection cap
 * of httpHardening.ts, and a JSON depth limit. What an authenticated body means is the channel's
 * business (`receive`): Telegram journals one update, Zalo accepts bare or wrapped ones.
 */

export interface WebhookReceipt {
  /** 200 once the delivery is recorded; 400 for a body the channel cannot use. */
  status: number;
  /** Runs after the response went out: answering must never delay the platform's 200. */
  afterResponse?: () => void;
}

export interface WebhookServerOptions {
  /** For logs: "telegram", "zalo". */
  name: string;
  host: string;
  port: number;
  path: string;
  /** Lower-case header name that carries the secret. */
  secretHeader: string;
  secret: string;
  maxBodyBytes: number;
  logger: Logger;
  /** Timeouts, connection cap, JSON depth (defaults: DEFAULT_WEBHOOK_LIMITS). */
  limits?: WebhookServerLimits;
  /** An authenticated, size-checked, parsed body. */
  receive(body: unknown): Promise<WebhookReceipt>;
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
  return timingSafeEqual(a, b) && given.length === expected.length;
}

export function normalizeWebhookPath(p: string): string {
  const withSlash = p.startsWith('/') ? p : `/${p}`;
  return withSlash.length > 1 ? withSlash.replace(/\/+$/, '') : withSlash;
}

/** Resolves with the body, or 'too-large' once it passes the cap (the rest is drained, not kept). */
function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | 'too-large'> {
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

function respond(res: ServerResponse, status: number, close = false): void {
  res.writeHead(status, { 'content-type': 'application/json', connection: close ? 'close' : 'keep-alive' });
  res.end(status === 200 ? '{"ok":true}' : '{"ok":false}');
}

export async function startWebhookServer(o: WebhookServerOptions): Promise<WebhookServer> {
  const log = o.logger.child({ component: `${o.name}-webhook` });
  const path = normalizeWebhookPath(o.path);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const urlPath = normalizeWebhookPath(new URL(req.url ?? '/', 'http://localhost').pathname);
    if (urlPath !== path) return respond(res, 404);
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      return respond(res, 405);
    }
    const header = req.headers[o.secretHeader];
    if (!secretMatches(Array.isArray(header) ? header[0] : header, o.secret)) {
      log.warn({ remote: req.socket.remoteAddress, hasHeader: header !== undefined }, 'webhook call with a missing or wrong secret');
      req.resume();
      return respond(res, 401);
    }
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > o.maxBodyBytes) {
      log.warn({ contentLength: declared }, 'webhook body too large');
      req.resume();
      return respond(res, 413, true);
    }
    const body = await readBody(req, o.maxBodyBytes);
    if (body === 'too-large') {
      log.warn('webhook body too large');
      return respond(res, 413, true);
    }
    let parsed: unknown;
    try {
      parsed = parseJsonLimited(body.toString('utf8'), o.limits?.maxJsonDepth);
    } catch (err) {
      if (err instanceof JsonTooDeep) log.warn('webhook body nested too deeply');
      return respond(res, 400);
    }
    const receipt = await o.receive(parsed);
    respond(res, receipt.status);
    receipt.afterResponse?.();
  };

  const server: Server = createServer(webhookServerOptions(o.limits), (req, res) => {
    handle(req, res).catch((err: unknown) => {
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
  log.info({ port, path }, 'webhook server listening');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
