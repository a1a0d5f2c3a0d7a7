import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake Telegram Bot API on 127.0.0.1 for end-to-end tests: getUpdates with offset/timeout
 * semantics, the send methods, webhooks, files, and injectable faults (429 retry_after, 5xx,
 * dropped connections, slow responses). Every call is recorded with a timestamp.
 */

export type Fault =
  | { type: '429'; retryAfterS: number }
  | { type: '5xx'; status?: number }
  | { type: 'drop' }
  | { type: 'slow'; delayMs: number }
  /** Handled (the message is sent), then the connection is cut: the response is lost. */
  | { type: 'lost' }
  /** This body instead of an answer (malformed or surprising responses). */
  | { type: 'body'; body: string; status?: number };

export interface RecordedCall {
  method: string;
  params: Record<string, unknown>;
  at: number;
  /** Set when the call was answered with an injected fault instead of a result. */
  fault?: Fault['type'];
  /** What a successful call returned. */
  result?: unknown;
}

type Json = Record<string, unknown>;

export interface FakeUser {
  id: number;
  first_name: string;
  is_bot?: boolean;
  username?: string;
}

export class FakeBotApi {
  readonly calls: RecordedCall[] = [];
  /**
   * Off for load and memory drills: calls are then only counted (`answered`), so the fake's own
   * bookkeeping does not grow with the traffic it serves.
   */
  recordCalls = true;
  /** Successful calls per method, counted whether or not calls are recorded. */
  readonly answered = new Map<string, number>();
  readonly bot: { id: number; username: string };
  webhook: { url: string; secret_token?: string } | undefined;
  private updates: Json[] = [];
  private nextUpdateId = 1000;
  private nextMessageId = 5000;
  private nextPollId = 1;
  private readonly faults = new Map<string, { fault: Fault; chatId?: number }[]>();
  /** Faults that last a while rather than a number of calls: every call until `untilMs`. */
  private readonly outages = new Map<string, { fault: Fault; untilMs: number; chatId?: number }[]>();
  private readonly files = new Map<string, { path: string; content: Buffer }>();
  private waiters: (() => void)[] = [];
  private server!: Server;
  url = '';

  private constructor(
    readonly token: string,
    bot: { id: number; username: string },
  ) {
    this.bot = bot;
  }

  static async start(token: string, bot = { id: 777000111, username: 'TroLyBaoCaoBot' }): Promise<FakeBotApi> {
    const api = new FakeBotApi(token, bot);
    api.server = createServer((req, res) => void api.handle(req, res));
    await new Promise<void>((resolve) => api.server.listen(0, '127.0.0.1', resolve));
    api.url = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
    return api;
  }

  async close(): Promise<void> {
    for (const w of this.waiters) w();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The next `times` calls of `method` (to `chatId` only, when given) get this fault ("file" targets file downloads). */
  injectFault(method: string, fault: Fault, times = 1, chatId?: number): void {
    const list = this.faults.get(method) ?? [];
    for (let i = 0; i < times; i++) list.push({ fault, ...(chatId !== undefined ? { chatId } : {}) });
    this.faults.set(method, list);
  }

  /** Every call of `method` (to `chatId` only, when given) for the next `durationMs` gets this fault: a storm or an outage. */
  outage(method: string, fault: Fault, durationMs: number, chatId?: number): void {
    const list = this.outages.get(method) ?? [];
    list.push({ fault, untilMs: Date.now() + durationMs, ...(chatId !== undefined ? { chatId } : {}) });
    this.outages.set(method, list);
  }

  private nextFault(method: string, params: Json = {}): Fault | undefined {
    const applies = (chatId: number | undefined) => chatId === undefined || chatId === params.chat_id;
    const queued = this.faults.get(method);
    const at = queued?.findIndex((f) => applies(f.chatId)) ?? -1;
    if (queued && at >= 0) return queued.splice(at, 1)[0]?.fault;
    return this.outages.get(method)?.find((o) => Date.now() < o.untilMs && applies(o.chatId))?.fault;
  }

  addFile(fileId: string, content: Buffer, path = `documents/${fileId}.bin`): void {
    this.files.set(fileId, { path, content });
  }

  /** Queues an update (update_id assigned) and returns its id. */
  pushUpdate(update: Json): number {
    const id = this.nextUpdateId++;
    this.updates.push({ update_id: id, ...update });
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
    return id;
  }

  /** An update id of its own, for a hand-made getUpdates body (the fake's later ids stay above it). */
  reserveUpdateId(): number {
    return this.nextUpdateId++;
  }

  /** Builds (but does not queue) a message update. */
  message(opts: {
    chat: { id: number; type: 'private' | 'group' | 'supergroup'; title?: string };
    from: FakeUser;
    text?: string;
    entities?: Json[];
    extra?: Json;
  }): Json {
    const message: Json = {
      message_id: this.nextMessageId++,
      date: Math.floor(Date.now() / 1000),
      chat: opts.chat,
      from: { is_bot: false, ...opts.from },
      ...(opts.text !== undefined ? { text: opts.text } : {}),
      ...(opts.entities ? { entities: opts.entities } : {}),
      ...opts.extra,
    };
    return { message };
  }

  privateText(user: FakeUser, text: string, extra: Json = {}): number {
    const entities = text.startsWith('/') ? [{ type: 'bot_command', offset: 0, length: text.split(/\s/)[0]!.length }] : undefined;
    return this.pushUpdate(this.message({ chat: { id: user.id, type: 'private' }, from: user, text, entities, extra }));
  }

  groupText(chatId: number, user: FakeUser, text: string, extra: Json = {}): number {
    const entities: Json[] = [];
    const commandLength = text.startsWith('/') ? text.split(/\s/)[0]!.length : 0;
    if (commandLength) entities.push({ type: 'bot_command', offset: 0, length: commandLength });
    const mention = `@${this.bot.username}`;
    const at = text.indexOf(mention, commandLength);
    if (at >= 0) entities.push({ type: 'mention', offset: at, length: mention.length });
    return this.pushUpdate(
      this.message({
        chat: { id: chatId, type: 'supergroup', title: 'Nhóm thử' },
        from: user,
        text,
        entities: entities.length ? entities : undefined,
        extra,
      }),
    );
  }

  pressButton(user: FakeUser, chatId: number, data: string, messageId = 1): number {
    return this.pushUpdate({
      callback_query: {
        id: `cb${this.nextUpdateId}`,
        from: { is_bot: false, ...user },
        chat_instance: 'ci',
        data,
        message: { message_id: messageId, date: 0, chat: { id: chatId, type: chatId > 0 ? 'private' : 'supergroup' }, text: 'x' },
      },
    });
  }

  /** A poll_answer update (a vote in a non-anonymous poll). */
  pollAnswer(user: FakeUser, pollId: string, optionIds: number[]): number {
    return this.pushUpdate({ poll_answer: { poll_id: pollId, user: { is_bot: false, ...user }, option_ids: optionIds } });
  }

  /** Successfully sent polls with the id Telegram gave them, in order. */
  sentPolls(chatId?: number): { chat_id: number; pollId: string; params: Json }[] {
    return this.callsOf('sendPoll')
      .filter((c) => c.result !== undefined && (chatId === undefined || c.params.chat_id === chatId))
      .map((c) => ({ chat_id: c.params.chat_id as number, pollId: (c.result as { poll: { id: string } }).poll.id, params: c.params }));
  }

  callsOf(method: string, includeFaulted = false): RecordedCall[] {
    return this.calls.filter((c) => c.method === method && (includeFaulted || !c.fault));
  }

  /** Successfully delivered messages, in order. */
  sentMessages(chatId?: number): { chat_id: number; text: string; params: Json; at: number }[] {
    return this.callsOf('sendMessage')
      .filter((c) => chatId === undefined || c.params.chat_id === chatId)
      .map((c) => ({ chat_id: c.params.chat_id as number, text: c.params.text as string, params: c.params, at: c.at }));
  }

  pendingUpdates(): number {
    return this.updates.length;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const fileMatch = /^\/file\/bot([^/]+)\/(.+)$/.exec(url.pathname);
    if (fileMatch) {
      const file = [...this.files.values()].find((f) => f.path === decodeURIComponent(fileMatch[2] ?? ''));
      const fault = this.nextFault('file');
      this.calls.push({ method: 'file', params: { path: fileMatch[2] }, at: Date.now(), fault: fault?.type });
      if (fault?.type === 'drop') {
        req.socket.destroy();
        return;
      }
      if (fault?.type === '5xx') {
        res.writeHead(fault.status ?? 502).end();
        return;
      }
      if (fault?.type === 'slow') await new Promise((r) => setTimeout(r, fault.delayMs));
      if (fileMatch[1] !== this.token || !file) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-length': file.content.length }).end(file.content);
      return;
    }
    const m = /^\/bot([^/]+)\/(\w+)$/.exec(url.pathname);
    if (!m) {
      res.writeHead(404).end();
      return;
    }
    const method = m[2] ?? '';
    const params = await this.readParams(req, url);
    const call: RecordedCall = { method, params, at: Date.now() };
    if (this.recordCalls) this.calls.push(call);
    if (m[1] !== this.token) return this.reply(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });

    const fault = this.nextFault(method, params);
    if (fault) {
      if (fault.type === 'slow') {
        await new Promise((r) => setTimeout(r, fault.delayMs));
      } else if (fault.type === 'lost') {
        // Telegram processed it; only the answer never arrives.
        const result = await this.dispatch(method, params, req);
        if (!(result instanceof Error)) call.result = result;
        req.socket.destroy();
        return;
      } else if (fault.type === 'body') {
        call.fault = fault.type;
        if (!res.destroyed) res.writeHead(fault.status ?? 200, { 'content-type': 'application/json' }).end(fault.body);
        return;
      } else {
        call.fault = fault.type;
        if (fault.type === 'drop') {
          req.socket.destroy();
          return;
        }
        if (fault.type === '429') {
          return this.reply(res, 429, {
            ok: false,
            error_code: 429,
            description: `Too Many Requests: retry after ${fault.retryAfterS}`,
            parameters: { retry_after: fault.retryAfterS },
          });
        }
        const status = fault.status ?? 502;
        return this.reply(res, status, { ok: false, error_code: status, description: 'Bad Gateway' });
      }
    }
    const result = await this.dispatch(method, params, req);
    if (result instanceof Error) return this.reply(res, 400, { ok: false, error_code: 400, description: result.message });
    if (res.destroyed) return;
    call.result = result;
    this.answered.set(method, (this.answered.get(method) ?? 0) + 1);
    this.reply(res, 200, { ok: true, result });
  }

  private async dispatch(method: string, p: Json, req: IncomingMessage): Promise<unknown> {
    switch (method) {
      case 'getMe':
        return { id: this.bot.id, is_bot: true, first_name: 'Trợ lý Báo cáo', username: this.bot.username };
      case 'getUpdates':
        return this.getUpdates(p, req);
      case 'sendMessage': {
        if (typeof p.text !== 'string' || p.text.length === 0) return new Error('Bad Request: message text is empty');
        if (p.text.length > 4096) return new Error('Bad Request: message is too long');
        return {
          message_id: this.nextMessageId++,
          date: Math.floor(Date.now() / 1000),
          chat: { id: p.chat_id, type: 'private' },
          from: { id: this.bot.id, is_bot: true, first_name: 'bot' },
          text: p.text,
        };
      }
      case 'sendPoll': {
        // The Bot API's limits for quiz polls.
        const options = p.options as unknown[] | undefined;
        if (typeof p.question !== 'string' || p.question.length < 1 || p.question.length > 300) return new Error('Bad Request: poll question length must be 1-300');
        if (!Array.isArray(options) || options.length < 2 || options.length > 10) return new Error('Bad Request: poll must have 2-10 options');
        if (options.some((o) => typeof o !== 'string' || o.length < 1 || o.length > 100)) return new Error('Bad Request: poll options length must be 1-100');
        if (p.type === 'quiz' && (typeof p.correct_option_id !== 'number' || p.correct_option_id < 0 || p.correct_option_id >= options.length)) {
          return new Error('Bad Request: wrong correct option ID specified');
        }
        if (typeof p.explanation === 'string' && p.explanation.length > 200) return new Error('Bad Request: explanation is too long');
        return {
          message_id: this.nextMessageId++,
          date: 0,
          chat: { id: p.chat_id, type: 'private' },
          poll: { id: `poll-${this.nextPollId++}`, question: p.question, type: p.type, options: options.map((text) => ({ text, voter_count: 0 })) },
        };
      }
      case 'sendChatAction':
      case 'answerCallbackQuery':
      case 'setMyCommands':
        return true;
      case 'setWebhook':
        this.webhook = { url: String(p.url), secret_token: p.secret_token as string | undefined };
        return true;
      case 'deleteWebhook':
        this.webhook = undefined;
        return true;
      case 'getFile': {
        const f = this.files.get(String(p.file_id));
        if (!f) return new Error('Bad Request: invalid file_id');
        return { file_id: p.file_id, file_unique_id: `u${String(p.file_id)}`, file_size: f.content.length, file_path: f.path };
      }
      default:
        return new Error(`Bad Request: method ${method} not implemented by the fake`);
    }
  }

  private async getUpdates(p: Json, req: IncomingMessage): Promise<unknown> {
    if (this.webhook) return new Error("Conflict: can't use getUpdates method while webhook is active");
    const offset = typeof p.offset === 'number' ? p.offset : 0;
    // Like Telegram: asking for offset N confirms (forgets) everything below N.
    if (offset > 0) this.updates = this.updates.filter((u) => (u.update_id as number) >= offset);
    const timeoutS = typeof p.timeout === 'number' ? p.timeout : 0;
    const deadline = Date.now() + timeoutS * 1000;
    while (this.updates.length === 0 && Date.now() < deadline && !req.socket.destroyed) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    const limit = typeof p.limit === 'number' ? p.limit : 100;
    return this.updates.slice(0, limit);
  }

  private async readParams(req: IncomingMessage, url: URL): Promise<Json> {
    const params: Json = Object.fromEntries(url.searchParams);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    if (body && (req.headers['content-type'] ?? '').includes('json')) Object.assign(params, JSON.parse(body) as Json);
    return params;
  }

  private reply(res: ServerResponse, status: number, body: unknown): void {
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }
}
