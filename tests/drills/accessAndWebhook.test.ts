/**
 * Issue 15, items 14–18: group access needs the group allowed; the webhook survives slow sockets,
 * keeps only what processing needs, refuses deep JSON and unsafe update ids; credentials in API
 * roots never reach the log.
 */
import { connect, type Socket } from 'node:net';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ConversationCore, FakeKnowledgeBase, type IncomingMessage } from '../../src/bot/index.js';
import { UpdateJournal } from '../../src/channels/telegram/journal.js';
import type { UpdateProcessor } from '../../src/channels/telegram/processor.js';
import { startWebhookServer, type WebhookServer } from '../../src/channels/telegram/webhook.js';
import { slimUpdate } from '../../src/channels/telegram/slimUpdate.js';
import { DEFAULT_WEBHOOK_HOST, DEFAULT_WEBHOOK_LIMITS } from '../../src/channels/httpHardening.js';
import { loadConfig } from '../../src/config.js';
import { openStateStore, type StateStore } from '../../src/state/index.js';
import { createLogger, redactUrl } from '../../src/logger.js';

describe('item 14: in a group the chat itself must be allowed', () => {
  let n = 0;
  const ask = (chatId: string, userId: string, chatType: 'private' | 'group'): IncomingMessage => ({
    channel: 'telegram', chatId, chatType, userId, messageId: String(++n), kind: 'text', text: 'Kon Tum?', addressedToBot: true,
  });
  const cited = async (core: ConversationCore, m: IncomingMessage) => ((await core.handleMessage(m))[0]?.citations.length ?? 0) > 0;

  it('refuses an allowed user or an admin in a group that is not allowed; the looser reading is opt-in', async () => {
    const access = { allowedChats: ['g-ok'], allowedUsers: ['u-ok'], admins: ['admin'] };
    const core = await ConversationCore.create({ knowledge: new FakeKnowledgeBase(), channel: 'telegram', access, rateLimitPerMinute: 0 });
    expect(await cited(core, ask('u-ok', 'u-ok', 'private'))).toBe(true);
    expect(await cited(core, ask('g-other', 'u-ok', 'group'))).toBe(false);
    expect(await cited(core, ask('g-other', 'admin', 'group'))).toBe(false);
    expect(await cited(core, ask('g-ok', 'stranger', 'group'))).toBe(true);
    expect(await cited(core, ask('stranger', 'stranger', 'private'))).toBe(false);

    const loose = await ConversationCore.create({ knowledge: new FakeKnowledgeBase(), channel: 'telegram', access: { ...access, usersAllowedInAnyGroup: true }, rateLimitPerMinute: 0 });
    expect(await cited(loose, ask('g-other', 'u-ok', 'group'))).toBe(true);
    expect(await cited(loose, ask('g-other', 'stranger', 'group'))).toBe(false);
    expect(loadConfig({}).ALLOW_LISTED_USERS_IN_ANY_GROUP).toBe(false);
    expect(loadConfig({ ALLOW_LISTED_USERS_IN_ANY_GROUP: 'true' }).ALLOW_LISTED_USERS_IN_ANY_GROUP).toBe(true);
  });
});

const SECRET = 'drill-secret-0123456789';

describe('items 15–17: the Telegram webhook', () => {
  let server: WebhookServer | undefined;
  let journal: UpdateJournal;
  let received: unknown[];
  const sockets: Socket[] = [];
  const stores: StateStore[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await server?.close();
    server = undefined;
    for (const store of stores.splice(0)) await store.close();
  });

  async function start(limits = DEFAULT_WEBHOOK_LIMITS): Promise<WebhookServer> {
    const store = await openStateStore({ stateDir: await mkdtemp(path.join(tmpdir(), 'webhook-')), importLegacy: false });
    stores.push(store);
    journal = await UpdateJournal.open(store);
    received = [];
    const processor = { enqueue: (u: unknown) => received.push(u) } as unknown as UpdateProcessor;
    server = await startWebhookServer({
      host: '127.0.0.1', port: 0, path: '/telegram', secret: SECRET, maxBodyBytes: 1024 * 1024, journal, processor, logger: pino({ level: 'silent' }), limits,
    });
    return server;
  }

  const post = (port: number, body: string) =>
    fetch(`http://127.0.0.1:${port}/telegram`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET }, body }).then((r) => r.status);

  const update = (id: unknown, extra: Record<string, unknown> = {}) =>
    JSON.stringify({ update_id: id, message: { message_id: 1, date: 1, chat: { id: 7, type: 'private' }, from: { id: 7, is_bot: false, first_name: 'A' }, text: 'Kon Tum?', ...extra } });

  it('binds 127.0.0.1 by default, with the address configurable', () => {
    expect(DEFAULT_WEBHOOK_HOST).toBe('127.0.0.1');
    expect(loadConfig({}).TELEGRAM_WEBHOOK_HOST).toBe('127.0.0.1');
    expect(loadConfig({ TELEGRAM_WEBHOOK_HOST: '0.0.0.0' }).TELEGRAM_WEBHOOK_HOST).toBe('0.0.0.0');
    expect(loadConfig({}).ZALO_WEBHOOK_HOST).toBe('127.0.0.1');
  });

  it('cuts slow sockets at the header timeout and caps connections, so real deliveries get through', async () => {
    const limits = { ...DEFAULT_WEBHOOK_LIMITS, headersTimeoutMs: 400, requestTimeoutMs: 800, checkIntervalMs: 100, maxConnections: 64 };
    const { port } = await start(limits);
    let closedByServer = 0;
    await Promise.all(
      Array.from({ length: 200 }, () =>
        new Promise<void>((resolve) => {
          const s = connect(port, '127.0.0.1', () => {
            s.write('POST /telegram HTTP/1.1\r\nHost: x\r\nX-Slow: ');
            resolve();
          });
          s.on('error', () => undefined);
          // Read what the server sends (its 408), so that its close reaches us.
          s.resume();
          s.on('close', () => closedByServer++);
          sockets.push(s);
        }),
      ),
    );
    // Over the cap: refused at once. Under it: cut after the header timeout.
    const t0 = Date.now();
    while (closedByServer < 200 && Date.now() - t0 < 5_000) await new Promise((r) => setTimeout(r, 50));
    console.log(`slowloris drill: ${closedByServer} of 200 slow sockets closed by the server within ${Date.now() - t0} ms (header timeout ${limits.headersTimeoutMs} ms, cap ${limits.maxConnections})`);
    expect(closedByServer).toBe(200);
    const statuses = await Promise.all(Array.from({ length: 10 }, (_, i) => post(port, update(100 + i))));
    expect(statuses).toEqual(Array(10).fill(200));
    expect(received).toHaveLength(10);
  });

  it('journals only what processing needs and refuses deeply nested JSON', async () => {
    const { port } = await start();
    const padding = 'x'.repeat(900 * 1024);
    expect(await post(port, update(1, { junk: padding, via_bot: { id: 1, is_bot: true, first_name: padding.slice(0, 100) } }))).toBe(200);
    const [kept] = await journal.pending();
    expect(JSON.stringify(kept).length).toBeLessThan(1024);
    expect(kept).toMatchObject({ update_id: 1, message: { text: 'Kon Tum?', chat: { id: 7 } } });

    // The figure: 100 deliveries of ~1 MiB each made a 100 MB journal.
    const bodies = Array.from({ length: 100 }, (_, i) => update(1000 + i, { junk: padding }));
    for (const body of bodies) expect(await post(port, body)).toBe(200);
    const journaledBytes = JSON.stringify(await journal.pending()).length;
    console.log(`journal drill: 101 deliveries of ~900 KB → ${journaledBytes} bytes pending in the journal`);
    expect(journaledBytes).toBeLessThan(101 * 1024);

    const deep = `{"update_id":2,"message":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    expect(await post(port, deep)).toBe(400);
    expect(await journal.isKnown(2)).toBe(false);
  });

  it('accepts only safe-integer update ids', async () => {
    const { port } = await start();
    for (const bad of ['1.5', '1e308', '-3', '9007199254740993', '"7"']) {
      expect(await post(port, `{"update_id":${bad},"message":{"message_id":1,"date":1,"chat":{"id":7,"type":"private"},"text":"x"}}`)).toBe(400);
    }
    expect(journal.pendingCount).toBe(0);
    expect(slimUpdate({ update_id: 1.5 })).toBeUndefined();
    expect(slimUpdate({ update_id: 42 })).toEqual({ update_id: 42 });
  });
});

describe('item 18: credentials in API roots are redacted in logs', () => {
  it('replaces the user:password part of any URL in a log line', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', destination: { write: (l: string) => lines.push(l) } });
    logger.info({ apiRoot: 'https://bot:Sup3rS3cret@api.example.org/', zalo: 'http://u:pw-zalo-1@127.0.0.1:9000' }, 'Telegram bot identified');
    logger.warn({ err: 'request to https://admin:hunter22@proxy.local/bot failed' }, 'x');
    const out = lines.join('');
    expect(out).not.toMatch(/Sup3rS3cret|pw-zalo-1|hunter22/);
    expect(out).toContain('https://[REDACTED]@api.example.org/');
    expect(redactUrl('https://api.example.org/a@b')).toBe('https://api.example.org/a@b');
  });
});
