import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A misbehaving middlebox between a bot and its fake Bot API (127.0.0.1 only): for chosen
 * methods it answers by itself with malformed JSON (a truncated body with HTTP 200, as a broken
 * proxy or a cut connection produces) instead of forwarding. Everything else is forwarded
 * untouched. The fakes cannot produce malformed JSON themselves, hence this.
 */

interface Rule {
  method: string;
  remaining: number;
}

export class ChaosProxy {
  /** Methods answered with garbage, in order, with the time. */
  readonly corrupted: { method: string; atMs: number }[] = [];
  private readonly rules: Rule[] = [];
  private readonly sockets = new Set<Socket>();
  private server!: http.Server;
  url = '';

  private constructor(private readonly target: URL) {}

  static async start(target: string): Promise<ChaosProxy> {
    const proxy = new ChaosProxy(new URL(target));
    proxy.server = http.createServer((req, res) => void proxy.handle(req, res));
    proxy.server.on('connection', (s) => {
      proxy.sockets.add(s);
      s.on('close', () => proxy.sockets.delete(s));
    });
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    proxy.url = `http://127.0.0.1:${(proxy.server.address() as AddressInfo).port}`;
    return proxy;
  }

  /** The next `times` calls of `method` get a malformed JSON body instead of an answer. */
  malformed(method: string, times = 1): void {
    this.rules.push({ method, remaining: times });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const method = /\/(\w+)(?:\?.*)?$/.exec(req.url ?? '')?.[1] ?? '';
    const rule = this.rules.find((r) => r.method === method && r.remaining > 0);
    if (rule) {
      rule.remaining--;
      this.corrupted.push({ method, atMs: Date.now() });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true,"result":[{"update_id":12');
      return;
    }
    const upstream = http.request(
      { host: this.target.hostname, port: this.target.port, path: req.url, method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    // A client that gives up (timeout) must not leave the upstream call hanging on.
    res.on('close', () => upstream.destroy());
    upstream.end(body);
  }
}
