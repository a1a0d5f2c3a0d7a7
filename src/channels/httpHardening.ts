/**
 * Limits shared by the Telegram and Zalo webhook servers. Node's defaults suit a trusted network,
 * not a port on the internet: a minute for headers, no cap on sockets, and the timeouts checked
 * only every 30 s. 1,100 slow sockets ("slowloris") were enough to make every real delivery
 * fail. Behind the reverse proxy the servers bind 127.0.0.1 (configurable).
 */
import type { Server, ServerOptions } from 'node:http';

export interface WebhookServerLimits {
  /** Time allowed for the request line and headers. */
  headersTimeoutMs: number;
  /** Time allowed for the whole request, body included. */
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** Open sockets at most; more are refused until slow ones are cut. */
  maxConnections: number;
  /** How often Node checks the two timeouts above. */
  checkIntervalMs: number;
  /** Deepest JSON nesting accepted in a body. */
  maxJsonDepth: number;
}

export const DEFAULT_WEBHOOK_LIMITS: WebhookServerLimits = {
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 256,
  checkIntervalMs: 1_000,
  maxJsonDepth: 32,
};

/** Loopback by default: the public side is the reverse proxy's job. */
export const DEFAULT_WEBHOOK_HOST = '127.0.0.1';

export function webhookServerOptions(limits: WebhookServerLimits = DEFAULT_WEBHOOK_LIMITS): ServerOptions {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: limits.checkIntervalMs,
  };
}

/** What `createServer` options cannot set. */
export function capConnections(server: Server, limits: WebhookServerLimits = DEFAULT_WEBHOOK_LIMITS): void {
  server.maxConnections = limits.maxConnections;
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
}

export class JsonTooDeep extends Error {}

/**
 * JSON.parse with a nesting limit checked first: a 1 MiB body of "[[[[…" costs a deep recursion
 * and an object graph far larger than the text, for data no update ever has.
 */
export function parseJsonLimited(text: string, maxDepth: number = DEFAULT_WEBHOOK_LIMITS.maxJsonDepth): unknown {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) throw new JsonTooDeep(`JSON nested deeper than ${maxDepth}`);
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return JSON.parse(text);
}
