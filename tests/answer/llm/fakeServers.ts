import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Fake model endpoints on 127.0.0.1 for the LLM tests: an OpenAI-compatible server
 * (/v1/chat/completions, /v1/embeddings) and an Ollama server (/api/chat streaming NDJSON,
 * /api/embed). Each records the requests it saw; replies come from a handler the test sets.
 */

export interface ChatMessageRecord {
  role: string;
  content: string;
}

export interface RecordedRequest {
  path: string;
  body: Record<string, unknown>;
}

export type ChatReply =
  | { content: string }
  | { status: number; body?: unknown }
  /** Never answer (until the server closes): a hung endpoint. */
  | { hang: true };

export type ChatHandler = (messages: ChatMessageRecord[], callIndex: number) => ChatReply | Promise<ChatReply>;

export interface FakeServer {
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Chat requests only, as message lists. */
  chats: ChatMessageRecord[][];
  embeddingInputs: string[][];
  setChat(handler: ChatHandler): void;
  /** The next `count` embedding requests get a 500 (to see the client retry). */
  failEmbeddings(count: number): void;
  close(): Promise<void>;
}

/** Deterministic toy embedding: folded character-bigram hashes, so similar texts are near. */
export function toyEmbedding(text: string, dims = 32): number[] {
  const v = new Array<number>(dims).fill(0);
  const t = text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
  for (let i = 0; i + 2 <= t.length; i++) {
    let h = 0;
    for (const ch of t.slice(i, i + 2)) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
    v[h % dims]! += 1;
  }
  v[0]! += 0.001;
  return v;
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  const raw = Buffer.concat(parts).toString('utf8');
  return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
}

function messagesOf(body: Record<string, unknown>): ChatMessageRecord[] {
  const list = Array.isArray(body.messages) ? (body.messages as Record<string, unknown>[]) : [];
  return list.map((m) => ({ role: String(m.role), content: typeof m.content === 'string' ? m.content : JSON.stringify(m.content) }));
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function start(kind: 'openai' | 'ollama', port = 0): Promise<FakeServer> {
  let handler: ChatHandler = () => ({ content: '' });
  const requests: RecordedRequest[] = [];
  const chats: ChatMessageRecord[][] = [];
  const embeddingInputs: string[][] = [];
  let embeddingFailures = 0;
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readJson(req);
      const path = (req.url ?? '').split('?')[0] ?? '';
      requests.push({ path, body });
      if (path.endsWith('/embeddings') || path === '/api/embed') {
        if (embeddingFailures > 0) {
          embeddingFailures--;
          send(res, 500, { error: { message: 'fake embeddings outage', type: 'server_error' } });
          return;
        }
        const input = body.input;
        const texts = Array.isArray(input) ? input.map(String) : [String(input)];
        embeddingInputs.push(texts);
        const vectors = texts.map((t) => toyEmbedding(t));
        if (kind === 'ollama') send(res, 200, { model: body.model, embeddings: vectors });
        else send(res, 200, { object: 'list', model: body.model, data: vectors.map((embedding, index) => ({ object: 'embedding', index, embedding })), usage: { prompt_tokens: 1, total_tokens: 1 } });
        return;
      }
      if (path.endsWith('/chat/completions') || path === '/api/chat') {
        const messages = messagesOf(body);
        chats.push(messages);
        const reply = await handler(messages, chats.length - 1);
        if ('hang' in reply) return;
        if ('status' in reply) {
          send(res, reply.status, reply.body ?? { error: { message: `fake error ${reply.status}`, type: 'server_error' } });
          return;
        }
        if (kind === 'ollama') {
          res.writeHead(200, { 'content-type': 'application/x-ndjson' });
          const at = new Date().toISOString();
          res.write(JSON.stringify({ model: body.model, created_at: at, message: { role: 'assistant', content: reply.content }, done: false }) + '\n');
          res.end(JSON.stringify({ model: body.model, created_at: at, message: { role: 'assistant', content: '' }, done: true, done_reason: 'stop', prompt_eval_count: 1, eval_count: 1 }) + '\n');
          return;
        }
        send(res, 200, {
          id: `chatcmpl-${chats.length}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: body.model,
          choices: [{ index: 0, message: { role: 'assistant', content: reply.content }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        });
        return;
      }
      send(res, 404, { error: { message: `no route ${path}` } });
    })().catch((err: unknown) => send(res, 500, { error: { message: (err as Error).message } }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: kind === 'openai' ? `http://127.0.0.1:${actual}/v1` : `http://127.0.0.1:${actual}`,
    port: actual,
    requests,
    chats,
    embeddingInputs,
    setChat(h) {
      handler = h;
    },
    failEmbeddings(count) {
      embeddingFailures = count;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const startFakeOpenAi = (port?: number) => start('openai', port);
export const startFakeOllama = (port?: number) => start('ollama', port);

/** A port nothing listens on (taken, then released). */
export async function closedPort(): Promise<number> {
  const s = await startFakeOpenAi();
  const port = s.port;
  await s.close();
  return port;
}

/** The user message that carries the sources block (the last one in the request). */
export function lastUser(messages: readonly ChatMessageRecord[]): string {
  return [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
}

export function firstUser(messages: readonly ChatMessageRecord[]): string {
  return messages.find((m) => m.role === 'user')?.content ?? '';
}

/** Number of the source whose block contains `needle` (what a well-behaved model would cite). */
export function sourceNumberContaining(messages: readonly ChatMessageRecord[], needle: string): number | undefined {
  const user = firstUser(messages);
  const blocks = user.split(/\n(?=\[\d+\] )/);
  for (const b of blocks) {
    const m = /^\[(\d+)\] /.exec(b.replace(/^[\s\S]*?<nguon>\n|^[\s\S]*?<sources>\n/, ''));
    if (m && b.includes(needle)) return Number(m[1]);
  }
  return undefined;
}

export function isRewriteRequest(messages: readonly ChatMessageRecord[]): boolean {
  const user = firstUser(messages);
  return user.includes('<lich_su>') || user.includes('<history>');
}
