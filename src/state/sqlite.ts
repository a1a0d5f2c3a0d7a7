import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { SqlDriver, SqlQueries, SqlRow, SqlValue } from './sqlStore.js';

export type SqliteSync = 'full' | 'normal';

/**
 * Runs `fn` after every earlier call has finished. better-sqlite3 is synchronous, but a
 * transaction body awaits between statements, and any statement another task ran in that gap
 * would silently join (or be rolled back with) the open transaction.
 */
class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/** Per-key FIFO lanes inside one process: the SQLite store serves one process at a time. */
class KeyedLanes {
  private readonly lanes = new Map<string, Promise<unknown>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.lanes.get(key) ?? Promise.resolve();
    const result = previous.then(fn, fn);
    const tail = result.catch(() => undefined);
    this.lanes.set(key, tail);
    // Forget the lane once idle, so a million chats do not leave a million entries behind.
    void tail.then(() => {
      if (this.lanes.get(key) === tail) this.lanes.delete(key);
    });
    return result;
  }
}

/**
 * The embedded default: one SQLite file under STATE_DIR in WAL mode (readers never wait for the
 * writer; a kill -9 leaves the last committed transaction). `synchronous=FULL` also fsyncs each
 * commit, so a power cut loses nothing that was acknowledged; `normal` trades that for speed.
 */
export class SqliteDriver implements SqlDriver {
  readonly kind = 'sqlite' as const;
  readonly forUpdate = '';
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly serial = new Serial();
  private readonly lanes = new KeyedLanes();
  private readonly events = new EventEmitter();
  private closed = false;

  constructor(
    readonly location: string,
    sync: SqliteSync = 'full',
  ) {
    if (location !== ':memory:') mkdirSync(dirname(location), { recursive: true });
    this.db = new Database(location);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${sync === 'full' ? 'FULL' : 'NORMAL'}`);
    // A restarted process may find the previous one still closing; wait rather than fail.
    this.db.pragma('busy_timeout = 5000');
    this.events.setMaxListeners(0);
  }

  private prepared(sql: string): Database.Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  private allNow(sql: string, params: readonly SqlValue[]): SqlRow[] {
    const stmt = this.prepared(sql);
    if (!stmt.reader) {
      stmt.run(...params);
      return [];
    }
    return stmt.all(...params) as SqlRow[];
  }

  private runNow(sql: string, params: readonly SqlValue[]): number {
    return this.prepared(sql).run(...params).changes;
  }

  all(sql: string, params: readonly SqlValue[] = []): Promise<SqlRow[]> {
    return this.serial.run(async () => this.allNow(sql, params));
  }

  run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return this.serial.run(async () => this.runNow(sql, params));
  }

  transaction<T>(fn: (q: SqlQueries) => Promise<T>): Promise<T> {
    return this.serial.run(async () => {
      const q: SqlQueries = {
        all: async (sql, params = []) => this.allNow(sql, params),
        run: async (sql, params = []) => this.runNow(sql, params),
      };
      // IMMEDIATE takes the write lock up front, so a read-modify-write cannot be overtaken.
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(q);
        this.db.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    });
  }

  withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.lanes.run(key, fn);
  }

  async publish(topic: string, payload: string): Promise<void> {
    this.events.emit(topic, payload);
  }

  async subscribe(topic: string, listener: (payload: string) => void): Promise<() => Promise<void>> {
    this.events.on(topic, listener);
    return async () => {
      this.events.off(topic, listener);
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.serial.run(async () => {
      this.statements.clear();
      this.db.close();
    });
  }
}
