import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { secretMatches, startWebhookServer, type WebhookServer } from '../../../src/channels/shared/webhookServer.js';
import { createLogger } from '../../../src/logger.js';

const SECRET = 'shared-webhook-secret-0123456789';
const logger = createLogger({ level: 'silent' });

/** A raw request, so a body can be streamed without a content-length. */
function send(port: number, options: { method?: string; path?: string; secret?: string; body?: string; chunked?: boolean }): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (options.secret !== undefined) headers['x-test-secret'] = options.secret;
    if (options.chunked) headers['transfer-encoding'] = 'chunked';
    const req = request({ host: '127.0.0.1', port, method: options.method ?? 'POST', path: options.path ?? '/hook', headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(options.body ?? '');
  });
}

describe('the shared webhook server', () => {
  let server: WebhookServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('checks path, method, secret, size and depth before the channel sees a body, and answers before the work starts', async () => {
    const received: unknown[] = [];
    const events: string[] = [];
    server = await startWebhookServer({
      name: 'test',
      host: '127.0.0.1',
      port: 0,
      path: 'hook/',
      secretHeader: 'x-test-secret',
      secret: SECRET,
      maxBodyBytes: 1024,
      logger,
      receive: (body) => {
        received.push(body);
        return Promise.resolve({ status: 200, afterResponse: () => events.push('work started') });
      },
    });
    const port = server.port;
    expect(await send(port, { path: '/other', secret: SECRET, body: '{}' })).toBe(404);
    expect(await send(port, { method: 'GET', secret: SECRET })).toBe(405);
    expect(await send(port, { body: '{}' })).toBe(401);
    expect(await send(port, { secret: `${SECRET}x`, body: '{}' })).toBe(401);
    expect(await send(port, { secret: SECRET, body: `{"a":"${'x'.repeat(2000)}"}` })).toBe(413);
    // Streamed without a declared length: cut once the cap is passed.
    expect(await send(port, { secret: SECRET, body: `{"a":"${'x'.repeat(2000)}"}`, chunked: true })).toBe(413);
    expect(await send(port, { secret: SECRET, body: '['.repeat(40) + ']'.repeat(40) })).toBe(400);
    expect(await send(port, { secret: SECRET, body: 'not json' })).toBe(400);
    expect(received).toEqual([]);

    expect(await send(port, { secret: SECRET, body: '{"update_id":1}' })).toBe(200);
    expect(received).toEqual([{ update_id: 1 }]);
    expect(events).toEqual(['work started']);
  });

  it('compares secrets exactly, whatever their length', () => {
    expect(secretMatches(SECRET, SECRET)).toBe(true);
    expect(secretMatches(SECRET.slice(0, -1), SECRET)).toBe(false);
    expect(secretMatches(undefined, SECRET)).toBe(false);
  });
});
