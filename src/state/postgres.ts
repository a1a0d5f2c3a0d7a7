import pg from 'pg';
import type { SqlDriver, SqlQueries, SqlRow, SqlValue } from './sqlStore.js';

export interface PostgresOptions {
  connectionString: string;
  /** A schema of its own (tests, or two bots on one database); created when missing. */
  schema?: string;
  /** Connections for ordinary statements. */
  poolSize?: number;
  /** Connections that may hold a chat lock at once (each lock pins one while its chat is answered). */
  lockPoolSize?: number;
  onError?: (err: unknown) => void;
}

/** `?` placeholders (the shared SQL) to PostgreSQL's `$1, $2…`; the statements contain no literal `?`. */
export function numberPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** The connection string without its password, for logs. */
export function redactDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = 'REDACTED';
    return u.toString();
  } catch {
    return 'postgres://[unparsable URL]';
  }
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** SQLSTATEs of a server that is restarting or unreachable (admin shutdown, crash shutdown, cannot connect now, connection failures). */
const TRANSIENT_SQLSTATES = new Set(['57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006']);
const TRANSIENT_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

/** A failure that a database restart causes and that goes away once it is back. */
export function isTransientDbError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (TRANSIENT_SQLSTATES.has(code) || TRANSIENT_NODE_CODES.has(code))) return true;
  return /Connection terminated|connection error and is not queryable|timeout exceeded when trying to connect|the database system is (starting up|shutting down)/i.test(err.message);
}

/** How long statements ride out a database restart before the error reaches the caller. */
const RESTART_PATIENCE_MS = 15_000;

/**
 * The shared store for several replicas. Chat locks are session advisory locks on a separate
 * small pool, so a replica that dies mid-answer releases them with its connections; events go
 * through LISTEN/NOTIFY on one dedicated connection that reconnects after a database restart.
 */
export class PostgresDriver implements SqlDriver {
  readonly kind = 'postgres' as const;
  readonly forUpdate = ' FOR UPDATE';
  readonly location: string;
  private readonly pool: pg.Pool;
  private readonly lockPool: pg.Pool;
  private readonly eventChannel: string;
  private listener: pg.Client | undefined;
  private readonly listeners = new Map<string, Set<(payload: string) => void>>();
  private closed = false;
  private readonly onError: (err: unknown) => void;

  private constructor(
    private readonly options: PostgresOptions,
    schema: string | undefined,
  ) {
    this.onError = options.onError ?? (() => {});
    this.location = redactDatabaseUrl(options.connectionString) + (schema ? ` (schema ${schema})` : '');
    const base: pg.PoolConfig = {
      connectionString: options.connectionString,
      options: schema ? `-c search_path=${schema}` : undefined,
      connectionTimeoutMillis: 5000,
    };
    this.pool = new pg.Pool({ ...base, max: options.poolSize ?? 10 });
    this.lockPool = new pg.Pool({ ...base, max: options.lockPoolSize ?? 20 });
    // A database restart breaks idle connections; the pool drops them and the next query reconnects.
    this.pool.on('error', (err) => this.onError(err));
    this.lockPool.on('error', (err) => this.onError(err));
    // Every connection either pool opens keeps an error listener for its whole life: between a
    // check-out's own guard and the pool's idle listener (a client released as broken and being
    // ended, say) a restart's "terminating connection" must never be an unhandled 'error' that
    // kills the replica (seen once in the PostgreSQL-restart drill).
    for (const p of [this.pool, this.lockPool]) p.on('connect', (client) => client.on('error', (err) => this.onError(err)));
    this.eventChannel = `tlbc_events_${schema ?? 'public'}`;
  }

  static async connect(options: PostgresOptions): Promise<PostgresDriver> {
    const schema = options.schema;
    if (schema !== undefined && !IDENTIFIER.test(schema)) {
      throw new Error(`Tên schema PostgreSQL không hợp lệ / invalid PostgreSQL schema name: ${schema}`);
    }
    if (schema) {
      const client = new pg.Client({ connectionString: options.connectionString, connectionTimeoutMillis: 5000 });
      // A failure surfaces through the awaited calls; the event alone must not crash the process.
      client.on('error', () => undefined);
      await client.connect();
      try {
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      } finally {
        await client.end();
      }
    }
    return new PostgresDriver(options, schema);
  }

  /**
   * Runs one statement or transaction again while the database restarts, so a restart of a few
   * seconds delays answers instead of failing them. A statement cut off mid-way may have been
   * applied: the store's statements are idempotent or conflict-guarded (a repeated claim reads as
   * already known, and the take-over answers it), and a transaction cut off before COMMIT was
   * rolled back.
   */
  private async patiently<T>(work: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + RESTART_PATIENCE_MS;
    for (let attempt = 1; ; attempt++) {
      try {
        return await work();
      } catch (err) {
        if (this.closed || !isTransientDbError(err) || Date.now() > deadline) throw err;
        this.onError(err);
        await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** attempt)));
      }
    }
  }

  async all(sql: string, params: readonly SqlValue[] = []): Promise<SqlRow[]> {
    const result = await this.patiently(() => this.pool.query(numberPlaceholders(sql), [...params]));
    return result.rows as SqlRow[];
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    const result = await this.patiently(() => this.pool.query(numberPlaceholders(sql), [...params]));
    return result.rowCount ?? 0;
  }

  /**
   * A checked-out client has no error listener of the pool's: a database restart while it is held
   * (a chat lock pins one for a whole answer) would emit an unhandled 'error' and kill the process.
   */
  private guard(client: pg.PoolClient): () => void {
    const onError = (err: unknown) => this.onError(err);
    client.on('error', onError);
    return () => client.off('error', onError);
  }

  transaction<T>(fn: (q: SqlQueries) => Promise<T>): Promise<T> {
    return this.patiently(() => this.transactionOnce(fn));
  }

  private async transactionOnce<T>(fn: (q: SqlQueries) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const unguard = this.guard(client);
    let broken = false;
    try {
      await client.query('BEGIN');
      const q: SqlQueries = {
        all: async (sql, params = []) => (await client.query(numberPlaceholders(sql), [...params])).rows as SqlRow[],
        run: async (sql, params = []) => (await client.query(numberPlaceholders(sql), [...params])).rowCount ?? 0,
      };
      const result = await fn(q);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw err;
    } finally {
      unguard();
      client.release(broken);
    }
  }

  async withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const client = await this.lockPool.connect();
    const unguard = this.guard(client);
    let broken = false;
    try {
      await client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [key]);
      return await fn();
    } finally {
      // If the connection died the server already dropped the lock; do not reuse the client.
      await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key]).catch(() => {
        broken = true;
      });
      unguard();
      client.release(broken);
    }
  }

  async publish(topic: string, payload: string): Promise<void> {
    await this.pool.query('SELECT pg_notify($1, $2)', [this.eventChannel, JSON.stringify({ topic, payload })]);
  }

  async subscribe(topic: string, listener: (payload: string) => void): Promise<() => Promise<void>> {
    let set = this.listeners.get(topic);
    if (!set) {
      set = new Set();
      this.listeners.set(topic, set);
    }
    set.add(listener);
    await this.ensureListener();
    return async () => {
      set.delete(listener);
    };
  }

  private async ensureListener(): Promise<void> {
    if (this.listener || this.closed) return;
    const client = new pg.Client({ connectionString: this.options.connectionString, connectionTimeoutMillis: 5000 });
    this.listener = client;
    client.on('notification', (msg) => {
      if (msg.channel !== this.eventChannel || !msg.payload) return;
      try {
        const event = JSON.parse(msg.payload) as { topic?: unknown; payload?: unknown };
        if (typeof event.topic !== 'string' || typeof event.payload !== 'string') return;
        for (const l of this.listeners.get(event.topic) ?? []) l(event.payload);
      } catch (err) {
        this.onError(err);
      }
    });
    const reconnect = (err: unknown) => {
      if (this.listener !== client) return;
      this.listener = undefined;
      this.onError(err);
      client.end().catch(() => undefined);
      if (!this.closed) setTimeout(() => void this.ensureListener().catch((e: unknown) => reconnect(e)), 1000).unref();
    };
    client.on('error', reconnect);
    client.on('end', () => reconnect(new Error('LISTEN connection ended')));
    try {
      await client.connect();
      await client.query(`LISTEN ${this.eventChannel}`);
    } catch (err) {
      reconnect(err);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const listener = this.listener;
    this.listener = undefined;
    await Promise.allSettled([this.pool.end(), this.lockPool.end(), listener?.end()]);
  }

  /** Drops the schema (tests clean up after themselves). */
  static async dropSchema(connectionString: string, schema: string): Promise<void> {
    if (!IDENTIFIER.test(schema)) throw new Error(`invalid schema name: ${schema}`);
    const client = new pg.Client({ connectionString, connectionTimeoutMillis: 5000 });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    } finally {
      await client.end();
    }
  }
}
