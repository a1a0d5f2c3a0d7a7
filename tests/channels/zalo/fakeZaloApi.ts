/**
 * A fake Zalo Bot API on 127.0.0.1 for end-to-end tests. It speaks the real wire format
 * (POST /bot<TOKEN>/<method>, `{ok, result}` / `{ok:false, error_code, description}` with HTTP
 * 200, one update per getUpdates, 408 for an empty long poll, nothing delivered while a webhook is
 * set), records every call with a timestamp, and injects faults on demand.
 */

import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Fault =
  /** Answers with this HTTP status and a body (default: a non-envelope text body). */
  | { kind: 'http'; status: number; body?: string }
  /** Answers HTTP 200 with `{ok:false, error_code, description}`. */
  | { kind: 'api'; errorCode: number; description?: string }
  /** Destroys the connection without an answer. */
  | { kind: 'drop' }
  /** Waits before handling the call normally. */
  | { kind: 'delay'; ms: number };

export interface RecordedCall {
  method: string;
  body: Record<string, unknown>;
  atMs: number;
  /** What the fake answered: 'ok', 'empty' (408), or the fault kind. */
  outcome: string;
}

export interface SentText {
  chatId: string;
  text: string;
  atMs: number;
}

export interface FakeZaloApiOptions {
  token: string;
  /** How long an empty getUpdates is held before answering 408 (real Zalo: the timeout). */
  emptyPollHoldMs?: number;
}

interface FaultRule {
  method: string | '*';
  fault: Fault;
  remaining: number;
  /** Matching calls to let through before the fault starts. */
  skip: number;
}

export class FakeZaloApi {
  readonly calls: RecordedCall[] = [];
  readonly sent: SentText[] = [];
  webhookUrl = '';
  webhookSecret = '';
  private readonly queue: unknown[] = [];
  private readonly waitingPolls = new Set<() => void>();
  private readonly faults: FaultRule[] = [];
  private readonly sockets = new Set<Socket>();
  private server: http.Server | undefined;
  private nextMessageNo = 1;
  private readonly emptyPollHoldMs: number;
  private listeners: (() => void)[] = [];
  /** When set, every call answers this (an outage) until cleared. */
  outage: Fault | undefined;
  /**
   * Called once getUpdates has written an update to the socket: from then on the update exists
   * only in the bot (Zalo has no offset to ask for it again), so drills kill the bot here.
   */
  onHandedOut: ((update: unknown) => void) | undefined;
  /** Called when a sendMessage has been accepted, before its answer goes back to the bot. */
  onSent: ((sent: SentText) => void) | undefined;
  /**
   * Updates written to a connection that the bot's process then reset with the answer still
   * unread (it died before reading it): they never reached the bot, and with no offset on Zalo
   * nothing can fetch them again. Kill drills report them apart from updates the bot lost.
   */
  readonly unread: unknown[] = [];
  /** Order of events: getUpdates requests arriving and updates handed out share one counter. */
  private eventNo = 0;
  private readonly handedOut: { update: unknown; eventNo: number }[] = [];
  private lastPollArrival = 0;
  /** Per connection, the update last written on it, until the next request proves it was read. */
  private readonly lastHandedOut = new WeakMap<Socket, unknown>();
  /** Bodies that getUpdates answers verbatim, one per call, before any queued update. */
  private readonly rawBodies: unknown[] = [];

  constructor(private readonly options: FakeZaloApiOptions) {
    this.emptyPollHoldMs = options.emptyPollHoldMs ?? 20;
  }

  get url(): string {
    const addr = this.server?.address() as AddressInfo | undefined;
    if (!addr) throw new Error('fake Zalo API not started');
    return `http://127.0.0.1:${addr.port}`;
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      // A reset (not a clean close) while an update is unread: the kernel of a process that died
      // with data in its receive buffer answers RST.
      const reset = (): void => {
        const update = this.lastHandedOut.get(s);
        if (update === undefined) return;
        this.lastHandedOut.delete(s);
        this.unread.push(update);
      };
      s.on('error', reset);
      s.on('close', (hadError) => {
        if (hadError) reset();
        this.sockets.delete(s);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    for (const wake of this.waitingPolls) wake();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Queues an update for getUpdates (wrapped in the envelope by the fake). */
  push(update: unknown): void {
    this.queue.push(update);
    for (const wake of this.waitingPolls) wake();
  }

  /**
   * Call when the bot's process has died: the update handed out last, if the bot asked for no
   * more after it. The poller asks again only once an update is written down, so this one was on
   * the wire or being written down when the process died. Zalo has no offset to fetch it again.
   */
  unconfirmedAtDeath(): unknown {
    const last = this.handedOut.at(-1);
    const unconfirmed = last && last.eventNo > this.lastPollArrival ? last.update : undefined;
    // What the next process asks for confirms nothing about this one.
    this.lastPollArrival = ++this.eventNo;
    return unconfirmed;
  }

  /** Queues a getUpdates answer sent as is (a string verbatim, anything else as JSON): malformed-body drills. */
  pushRaw(body: unknown): void {
    this.rawBodies.push(body);
    for (const wake of this.waitingPolls) wake();
  }

  /** Injects `fault` for the next `times` calls of `method` ('*' for any), after `afterCalls` good ones. */
  failNext(method: string | '*', fault: Fault, times = 1, afterCalls = 0): void {
    this.faults.push({ method, fault, remaining: times, skip: afterCalls });
  }

  clearFaults(): void {
    this.faults.length = 0;
    this.outage = undefined;
  }

  callsOf(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  textsTo(chatId: string): string[] {
    return this.sent.filter((s) => s.chatId === chatId).map((s) => s.text);
  }

  /** Resolves once `predicate` holds (checked after every call), or rejects after `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (predicate()) {
          cleanup();
          resolve();
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`fake Zalo API: timed out waiting for ${what}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== check);
      };
      this.listeners.push(check);
    });
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }

  private takeFault(method: string): Fault | undefined {
    if (this.outage) return this.outage;
    const rule = this.faults.find((f) => (f.method === '*' || f.method === method) && f.remaining > 0);
    if (!rule) return undefined;
    if (rule.skip > 0) {
      rule.skip -= 1;
      return undefined;
    }
    rule.remaining -= 1;
    if (rule.remaining === 0) this.faults.splice(this.faults.indexOf(rule), 1);
    return rule.fault;
  }

  private record(method: string, body: Record<string, unknown>, outcome: string): void {
    this.calls.push({ method, body, atMs: Date.now(), outcome });
    this.notify();
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    // A new request on a kept-alive connection: the client has read the previous answer.
    this.lastHandedOut.delete(req.socket);
    if (req.url?.endsWith('/getUpdates')) this.lastPollArrival = ++this.eventNo;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body: Record<string, unknown> = {};
    try {
      const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      if (parsed && typeof parsed === 'object') body = parsed as Record<string, unknown>;
    } catch {
      // keep {}
    }
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(req.url ?? '');
    const method = match?.[2] ?? '?';
    const send = (status: number, payload: unknown): void => {
      if (res.destroyed) return;
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(typeof payload === 'string' ? payload : JSON.stringify(payload));
    };

    let fault = this.takeFault(method);
    if (fault?.kind === 'delay') {
      await new Promise((r) => setTimeout(r, fault?.kind === 'delay' ? fault.ms : 0));
      fault = undefined;
    }
    if (fault?.kind === 'drop') {
      this.record(method, body, 'drop');
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'http') {
      this.record(method, body, `http ${fault.status}`);
      send(fault.status, fault.body ?? `<html><body>${fault.status}</body></html>`);
      return;
    }
    if (fault?.kind === 'api') {
      this.record(method, body, `api ${fault.errorCode}`);
      send(200, { ok: false, error_code: fault.errorCode, description: fault.description ?? 'Injected fault' });
      return;
    }

    if (match?.[1] !== this.options.token) {
      this.record(method, body, 'unauthorized');
      send(200, { ok: false, error_code: 401, description: 'Unauthorized' });
      return;
    }

    switch (method) {
      case 'getMe':
        this.record(method, body, 'ok');
        return send(200, { ok: true, result: { id: '1459232241454765289', account_name: 'bot.TroLy', display_name: 'Trợ lý Báo cáo', account_type: 'BASIC', can_join_groups: true } });
      case 'deleteWebhook':
        this.webhookUrl = '';
        this.webhookSecret = '';
        this.record(method, body, 'ok');
        return send(200, { ok: true, result: { url: '', updated_at: Date.now() } });
      case 'setWebhook': {
        const secret = typeof body.secret_token === 'string' ? body.secret_token : '';
        if (secret.length < 8 || secret.length > 256 || typeof body.url !== 'string') {
          this.record(method, body, 'bad request');
          return send(200, { ok: false, error_code: 400, description: 'Bad Request' });
        }
        this.webhookUrl = body.url;
        this.webhookSecret = secret;
        this.record(method, body, 'ok');
        return send(200, { ok: true, result: { url: body.url, updated_at: Date.now() } });
      }
      case 'getWebhookInfo':
        this.record(method, body, 'ok');
        return send(200, { ok: true, result: { url: this.webhookUrl, updated_at: Date.now() } });
      case 'getUpdates': {
        // While a webhook is set, getUpdates receives nothing (as on the real platform).
        if (!this.webhookUrl && this.queue.length === 0 && this.rawBodies.length === 0) {
          await new Promise<void>((resolve) => {
            const wake = (): void => {
              clearTimeout(timer);
              this.waitingPolls.delete(wake);
              req.socket.off('close', wake);
              resolve();
            };
            const timer = setTimeout(wake, this.emptyPollHoldMs);
            this.waitingPolls.add(wake);
            req.socket.once('close', wake);
          });
        }
        if (this.rawBodies.length > 0 && !this.webhookUrl) {
          this.record(method, body, 'raw');
          return send(200, this.rawBodies.shift());
        }
        const update = this.webhookUrl ? undefined : this.queue.shift();
        if (res.destroyed || req.socket.destroyed) {
          if (update !== undefined) this.queue.unshift(update);
          return;
        }
        if (update === undefined) {
          this.record(method, body, 'empty');
          return send(200, { ok: false, error_code: 408, description: 'Request timeout' });
        }
        this.record(method, body, 'ok');
        send(200, { ok: true, result: update });
        this.lastHandedOut.set(req.socket, update);
        this.handedOut.push({ update, eventNo: ++this.eventNo });
        this.onHandedOut?.(update);
        return;
      }
      case 'sendMessage': {
        const text = typeof body.text === 'string' ? body.text : '';
        const chatId = typeof body.chat_id === 'string' ? body.chat_id : String(body.chat_id ?? '');
        if (!chatId || text.length < 1 || text.length > 2000) {
          this.record(method, body, 'bad request');
          return send(200, { ok: false, error_code: 400, description: 'Bad Request: text must be 1..2000 characters' });
        }
        const sent = { chatId, text, atMs: Date.now() };
        this.sent.push(sent);
        this.onSent?.(sent);
        this.record(method, body, 'ok');
        return send(200, { ok: true, result: { message_id: `sent${this.nextMessageNo++}`, date: Date.now() } });
      }
      case 'sendChatAction':
        this.record(method, body, 'ok');
        return send(200, { ok: true });
      case 'sendPhoto':
      case 'sendSticker':
        this.record(method, body, 'ok');
        return send(200, { ok: true, result: { message_id: `sent${this.nextMessageNo++}`, date: Date.now() } });
      default:
        this.record(method, body, 'not found');
        return send(200, { ok: false, error_code: 404, description: 'Not Found' });
    }
  }
}

let updateNo = 1;

/** A `message.text.received` update as Zalo sends it. */
export function textUpdate(opts: {
  text: string;
  chatId?: string;
  userId?: string;
  messageId?: string;
  chatType?: 'PRIVATE' | 'GROUP';
  displayName?: string;
}): Record<string, unknown> {
  const userId = opts.userId ?? 'u-alice';
  return {
    event_name: 'message.text.received',
    message: {
      message_id: opts.messageId ?? `m${updateNo++}-${Date.now()}`,
      date: Date.now(),
      chat: { id: opts.chatId ?? userId, chat_type: opts.chatType ?? 'PRIVATE' },
      from: { id: userId, display_name: opts.displayName ?? 'Alice', is_bot: false },
      text: opts.text,
    },
  };
}

export function nonTextUpdate(
  eventName: string,
  opts: { chatId?: string; userId?: string; messageId?: string } = {},
): Record<string, unknown> {
  const userId = opts.userId ?? 'u-alice';
  return {
    event_name: eventName,
    message: {
      message_id: opts.messageId ?? `m${updateNo++}-${Date.now()}`,
      date: Date.now(),
      chat: { id: opts.chatId ?? userId, chat_type: 'PRIVATE' },
      from: { id: userId, display_name: 'Alice', is_bot: false },
    },
  };
}
