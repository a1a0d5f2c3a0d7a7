/**
 * Plumbing for the multi-replica drills and `bench:load` with replicas: bot replicas in child
 * processes, a round-robin HTTP load balancer on loopback, a deliverer playing the platform's
 * webhook side (per chat in order, retrying until a 200, as Telegram and Zalo do), a private
 * PostgreSQL cluster that may be restarted, and the lost / duplicated / out-of-order tally.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { TAG_OUT } from '../../src/bench/tagged.js';

const CHILD = fileURLToPath(new URL('./replicaChild.ts', import.meta.url));
const run = promisify(execFile);

// --- replicas -----------------------------------------------------------------------------

export class Replica {
  stderr = '';
  /** Error-level log lines of the whole run. */
  readonly errors: string[] = [];
  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly port: number,
  ) {}

  /** Starts a replica and resolves once it serves (its webhook port known). */
  static start(name: string, env: Record<string, string>): Promise<Replica> {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-20_000);
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} did not start within 60 s: ${stderr}`)), 60_000);
      child.stdout?.on('data', (d: Buffer) => {
        const m = /READY (\d+)/.exec(d.toString());
        if (!m) return;
        clearTimeout(timer);
        const replica = new Replica(name, child, Number(m[1]));
        child.stderr?.on('data', (x: Buffer) => {
          replica.stderr = (replica.stderr + x.toString()).slice(-20_000);
          // Errors are kept whole (warnings about a restarting database would push them out of the tail).
          for (const line of x.toString().split('\n')) if (/"level":(50|60)/.test(line)) replica.errors.push(line.slice(0, 1500));
        });
        replica.stderr = stderr;
        resolve(replica);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited early (${code ?? signal}): ${stderr}`));
      });
    });
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the exit code, or the signal name. */
  exited(): Promise<number | string | null> {
    if (!this.alive) return Promise.resolve(this.child.exitCode ?? this.child.signalCode);
    return new Promise((resolve) => this.child.once('exit', (code, signal) => resolve(code ?? signal)));
  }

  async kill9(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited();
  }

  /** SIGTERM (drains), bounded by a kill after 20 s. */
  async stop(): Promise<number | string | null> {
    if (!this.alive) return this.child.exitCode ?? this.child.signalCode;
    const done = this.exited();
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
    const code = await done;
    clearTimeout(timer);
    return code;
  }
}

// --- a round-robin load balancer ----------------------------------------------------------

/**
 * Any load balancer will do; this one sends each request to the next backend in turn and, when
 * a backend refuses the connection (a dead replica), to the one after it. A request cut off
 * mid-way gets a 502 and the platform retries it.
 */
export class RoundRobinProxy {
  private next = 0;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  private constructor(
    private readonly server: http.Server,
    private readonly backends: () => readonly number[],
  ) {}

  static async start(backends: () => readonly number[]): Promise<RoundRobinProxy> {
    const server = http.createServer();
    const proxy = new RoundRobinProxy(server, backends);
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => void proxy.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.agent.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const ports = this.backends();
    for (let tried = 0; tried < ports.length; tried++) {
      const port = ports[this.next++ % ports.length]!;
      const outcome = await this.forward(port, req, body, res);
      if (outcome !== 'refused') return;
    }
    if (!res.headersSent) res.writeHead(502).end();
  }

  private forward(port: number, req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): Promise<'done' | 'refused'> {
    return new Promise((resolve) => {
      const upstream = http.request(
        { host: '127.0.0.1', port, method: req.method, path: req.url, headers: { ...req.headers, host: `127.0.0.1:${port}` }, agent: this.agent },
        (up) => {
          const parts: Buffer[] = [];
          up.on('data', (d: Buffer) => parts.push(d));
          up.on('end', () => {
            res.writeHead(up.statusCode ?? 502, { 'content-type': up.headers['content-type'] ?? 'application/json' }).end(Buffer.concat(parts));
            resolve('done');
          });
          up.on('error', () => {
            if (!res.headersSent) res.writeHead(502).end();
            resolve('done');
          });
        },
      );
      upstream.on('error', (err: NodeJS.ErrnoException) => {
        // Nothing reached a dead replica: the next one may take it. Anything else is the platform's to retry.
        if (err.code === 'ECONNREFUSED') return resolve('refused');
        if (!res.headersSent) res.writeHead(502).end();
        resolve('done');
      });
      upstream.end(body);
    });
  }
}

// --- the platform's webhook side ----------------------------------------------------------

export interface Delivery {
  chatKey: string;
  body: unknown;
  /** The question's tag (#qN in its answer). */
  tag: number;
}

/**
 * Delivers webhook updates the way the platforms do: one chat's updates one after another (the
 * next once the previous got its 200), many chats at once over `connections` connections, and
 * a failed delivery (5xx, connection cut, refused) retried until it is acknowledged.
 */
export async function deliverAll(
  url: string,
  headers: Record<string, string>,
  chats: readonly (readonly Delivery[])[],
  connections: number,
  onDelivered?: (count: number, delivery: Delivery) => void,
): Promise<{ attempts: number }> {
  let attempts = 0;
  let delivered = 0;
  let nextChat = 0;
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const post = (body: unknown) =>
    new Promise<number>((resolve) => {
      const data = Buffer.from(JSON.stringify(body));
      const req = http.request(url, { method: 'POST', agent, headers: { ...headers, 'content-type': 'application/json', 'content-length': data.length } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(0));
      });
      req.setTimeout(15_000, () => req.destroy());
      req.on('error', () => resolve(0));
      req.end(data);
    });
  const worker = async () => {
    for (;;) {
      const chat = chats[nextChat++];
      if (!chat) return;
      for (const d of chat) {
        for (;;) {
          attempts++;
          if ((await post(d.body)) === 200) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        onDelivered?.(++delivered, d);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: connections }, worker));
  } finally {
    agent.destroy();
  }
  return { attempts };
}

// --- counting -----------------------------------------------------------------------------

export interface DrillCounts {
  scenario: string;
  replicas: number;
  chats: number;
  questionsPerChat: number;
  lost: number;
  duplicated: number;
  orderViolations: number;
  /**
   * Seconds from the fault to the first answer of an update taken over from the killed replica
   * (its claim's lease ran out), or, for polling, to the standby's first getUpdates.
   */
  takeoverS?: number;
}

/** Expected: per chat the tags of its questions in order; sent: every delivered message, in arrival order. */
export function tally(expected: ReadonlyMap<string, readonly number[]>, sent: readonly { chatKey: string; text: string }[]): Omit<DrillCounts, 'scenario' | 'replicas' | 'chats' | 'questionsPerChat'> {
  const seenByChat = new Map<string, number[]>();
  for (const s of sent) {
    const tags = [...s.text.matchAll(TAG_OUT)].map((m) => Number(m[1]));
    if (tags.length) seenByChat.set(s.chatKey, [...(seenByChat.get(s.chatKey) ?? []), ...tags]);
  }
  let lost = 0;
  let duplicated = 0;
  let orderViolations = 0;
  for (const [chat, tags] of expected) {
    const seen = seenByChat.get(chat) ?? [];
    const counts = new Map<number, number>();
    for (const t of seen) counts.set(t, (counts.get(t) ?? 0) + 1);
    for (const t of tags) {
      const n = counts.get(t) ?? 0;
      if (n === 0) lost++;
      if (n > 1) duplicated += n - 1;
    }
    // Order of first answers must follow the order of the questions.
    const firsts = [...new Set(seen)];
    const rank = new Map(tags.map((t, i) => [t, i]));
    let highest = -1;
    for (const t of firsts) {
      const r = rank.get(t) ?? -1;
      if (r < highest) orderViolations++;
      highest = Math.max(highest, r);
    }
  }
  return { lost, duplicated, orderViolations };
}

export function countTags(texts: Iterable<string>): number {
  const tags = new Set<string>();
  for (const t of texts) for (const m of t.matchAll(TAG_OUT)) tags.add(m[1]!);
  return tags.size;
}

export function renderDrillTable(rows: readonly DrillCounts[]): string {
  return [
    '| scenario | replicas | chats×questions | lost | duplicated | order violations | takeover s |',
    '|---|---:|---|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.scenario} | ${r.replicas} | ${r.chats}×${r.questionsPerChat} | ${r.lost} | ${r.duplicated} | ${r.orderViolations} | ${r.takeoverS === undefined ? '—' : r.takeoverS.toFixed(1)} |`,
    ),
  ].join('\n');
}

export async function waitUntil(done: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// --- a private PostgreSQL cluster that may be restarted -----------------------------------

const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

/**
 * The shared server on :5432 serves other tests and must not be restarted; this cluster lives
 * in a temporary directory on its own port, owned by the postgres user (initdb refuses root).
 */
export class PrivateCluster {
  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  static async available(): Promise<boolean> {
    try {
      await run(join(PG_BIN, 'pg_ctl'), ['--version']);
      await run('id', ['postgres']);
      return process.getuid?.() === 0;
    } catch {
      return false;
    }
  }

  static async start(port: number): Promise<PrivateCluster> {
    const dir = await mkdtemp(join(tmpdir(), 'drill-pg-'));
    await chmod(dir, 0o700);
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chown(dir, Number(stdout.trim()), Number(gid.trim()));
    const cluster = new PrivateCluster(dir, port);
    await cluster.asPostgres(`${PG_BIN}/initdb -D ${dir}/data -A trust -U postgres --no-sync >/dev/null`);
    await cluster.ctl('start');
    return cluster;
  }

  private asPostgres(command: string): Promise<unknown> {
    return run('su', ['postgres', '-s', '/bin/sh', '-c', command], { timeout: 60_000 });
  }

  private ctl(action: 'start' | 'stop' | 'restart'): Promise<unknown> {
    const opts = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
    return this.asPostgres(`${PG_BIN}/pg_ctl -D ${this.dir}/data -l ${this.dir}/log -w -m fast -o '${opts}' ${action} >/dev/null`);
  }

  /** A fast restart: every connection is cut, the server is back in about a second. */
  restart(): Promise<unknown> {
    return this.ctl('restart');
  }

  async destroy(): Promise<void> {
    await this.ctl('stop').catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * Repeated answers not explained by a kill: a reply on the wire at the kill has its first copy
 * at the kill (a request written just before the process died reaches the fake server a moment
 * later: one second of grace) and one repeat, from the replica that took over; any other repeat is
 * a defect.
 */
export function unexplainedRepeats(sent: readonly { text: string; atMs: number }[], killedAtMs: number | undefined, graceMs = 1000): number {
  const copies = new Map<number, number[]>();
  for (const s of sent) for (const m of s.text.matchAll(TAG_OUT)) copies.set(Number(m[1]), [...(copies.get(Number(m[1])) ?? []), s.atMs]);
  let n = 0;
  for (const times of copies.values()) {
    if (times.length < 2) continue;
    const first = Math.min(...times);
    if (killedAtMs === undefined || first > killedAtMs + graceMs || times.length > 2) n += times.length - 1;
  }
  return n;
}
