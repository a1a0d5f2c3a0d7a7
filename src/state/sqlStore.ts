import { LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations.js';
import { SqlQuizStore } from './sqlQuiz.js';
import { num, parseJson, str } from './sqlRows.js';
import {
  HISTORY_TURNS,
  RECENT_ANSWERS,
  emptyChat,
  type ChatState,
  type InboxClaim,
  type InboxEntry,
  type InboxStatus,
  type PruneLimits,
  type PruneResult,
  type StateKind,
  type StateStore,
  type UploadRecord,
} from './types.js';

export type SqlValue = string | number | null;
export type SqlRow = Record<string, unknown>;

/** One connection's (or transaction's) statements; SQL uses `?` placeholders. */
export interface SqlQueries {
  all(sql: string, params?: readonly SqlValue[]): Promise<SqlRow[]>;
  /** Returns the number of rows changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

/** What differs between SQLite and PostgreSQL; everything else is shared SQL. */
export interface SqlDriver extends SqlQueries {
  readonly kind: StateKind;
  readonly location: string;
  /** Row lock on SELECT inside a transaction (`FOR UPDATE` on PostgreSQL; SQLite locks the file). */
  readonly forUpdate: string;
  transaction<T>(fn: (q: SqlQueries) => Promise<T>): Promise<T>;
  withLock<T>(key: string, fn: () => Promise<T>): Promise<T>;
  publish(topic: string, payload: string): Promise<void>;
  subscribe(topic: string, listener: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export class StateSchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StateSchemaError';
  }
}

function toChat(raw: unknown): ChatState {
  if (!raw || typeof raw !== 'object') return emptyChat();
  const c = raw as Partial<ChatState>;
  return {
    language: c.language === 'en' ? 'en' : 'vi',
    history: Array.isArray(c.history) ? c.history.slice(-HISTORY_TURNS) : [],
    recentAnswers: Array.isArray(c.recentAnswers) ? c.recentAnswers.slice(-RECENT_ANSWERS) : [],
    nextSeq: typeof c.nextSeq === 'number' ? c.nextSeq : 1,
  };
}

function toEntry(row: SqlRow): InboxEntry {
  return {
    channel: str(row.channel),
    updateId: str(row.update_id),
    chatKey: str(row.chat_key),
    orderKey: num(row.order_key),
    payload: parseJson(row.payload),
    receivedAtMs: num(row.received_at_ms),
    sentParts: num(row.sent_parts),
    attempts: num(row.attempts),
  };
}

const INBOX_COLUMNS = 'channel, update_id, chat_key, order_key, payload, received_at_ms, sent_parts, attempts';

/** Applies the migrations the database has not seen yet. */
export async function migrate(driver: SqlDriver): Promise<number> {
  // Two replicas starting together: one migrates, the other waits and finds nothing left to do.
  return driver.withLock('state-schema-migrations', () => migrateLocked(driver));
}

async function migrateLocked(driver: SqlDriver): Promise<number> {
  await driver.run('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at_ms BIGINT NOT NULL)');
  const rows = await driver.all('SELECT MAX(version) AS v FROM schema_migrations');
  const current = num(rows[0]?.v);
  if (current > LATEST_SCHEMA_VERSION) {
    throw new StateSchemaError(
      `Cơ sở dữ liệu trạng thái có lược đồ ${current}, mới hơn bản này (${LATEST_SCHEMA_VERSION}); hãy cập nhật bot. / State schema ${current} is newer than this build (${LATEST_SCHEMA_VERSION}).`,
    );
  }
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    await driver.transaction(async (q) => {
      for (const sql of m.statements) await q.run(sql);
      await q.run('INSERT INTO schema_migrations (version, applied_at_ms) VALUES (?, ?)', [m.version, Date.now()]);
    });
  }
  return LATEST_SCHEMA_VERSION;
}

/** The StateStore over any SqlDriver: one set of statements for SQLite and PostgreSQL. */
export class SqlStateStore extends SqlQuizStore implements StateStore {
  readonly kind: StateKind;
  readonly location: string;

  constructor(db: SqlDriver) {
    super(db);
    this.kind = db.kind;
    this.location = db.location;
  }

  static async open(driver: SqlDriver): Promise<SqlStateStore> {
    try {
      await migrate(driver);
    } catch (err) {
      await driver.close().catch(() => undefined);
      throw err;
    }
    return new SqlStateStore(driver);
  }

  async inboxClaim(c: InboxClaim): Promise<boolean> {
    const changed = await this.db.run(
      `INSERT INTO inbox (channel, update_id, chat_key, order_key, payload, status, received_at_ms, sent_parts, attempts, owner, lease_until_ms)
       VALUES (?, ?, ?, ?, ?, 'pending', ?, 0, ?, ?, ?) ON CONFLICT (channel, update_id) DO NOTHING`,
      [c.channel, c.updateId, c.chatKey, c.orderKey, JSON.stringify(c.payload ?? null), c.nowMs, c.attempts ?? 1, c.owner, c.nowMs + c.leaseMs],
    );
    return changed > 0;
  }

  async inboxStatus(channel: string, updateId: string): Promise<InboxStatus> {
    const rows = await this.db.all('SELECT status FROM inbox WHERE channel = ? AND update_id = ?', [channel, updateId]);
    const status = rows[0]?.status;
    return status === 'pending' || status === 'handled' ? status : 'unknown';
  }

  async inboxEntry(channel: string, updateId: string): Promise<InboxEntry | undefined> {
    const rows = await this.db.all(`SELECT ${INBOX_COLUMNS} FROM inbox WHERE channel = ? AND update_id = ?`, [channel, updateId]);
    return rows[0] ? toEntry(rows[0]) : undefined;
  }

  async inboxMarkHandled(channel: string, updateId: string, nowMs: number): Promise<void> {
    // The payload is no longer needed once answered: keep the row small.
    await this.db.run(`UPDATE inbox SET status = 'handled', handled_at_ms = ?, payload = 'null' WHERE channel = ? AND update_id = ?`, [
      nowMs,
      channel,
      updateId,
    ]);
  }

  async inboxRecordSentParts(channel: string, updateId: string, sentParts: number): Promise<void> {
    await this.db.run('UPDATE inbox SET sent_parts = ? WHERE channel = ? AND update_id = ?', [sentParts, channel, updateId]);
  }

  async inboxRelease(channel: string, updateId: string): Promise<void> {
    await this.db.run(`DELETE FROM inbox WHERE channel = ? AND update_id = ? AND status = 'pending'`, [channel, updateId]);
  }

  async inboxTakeOver(channel: string, owner: string, nowMs: number, leaseMs: number, limit: number): Promise<InboxEntry[]> {
    return this.db.transaction(async (q) => {
      const rows = await q.all(
        `SELECT ${INBOX_COLUMNS} FROM inbox WHERE channel = ? AND status = 'pending' AND (lease_until_ms < ? OR owner = ?)
         ORDER BY order_key LIMIT ?${this.db.forUpdate}`,
        [channel, nowMs, owner, limit],
      );
      for (const row of rows) {
        await q.run('UPDATE inbox SET owner = ?, lease_until_ms = ?, attempts = attempts + 1 WHERE channel = ? AND update_id = ?', [
          owner,
          nowMs + leaseMs,
          channel,
          str(row.update_id),
        ]);
      }
      return rows.map((row) => ({ ...toEntry(row), attempts: num(row.attempts) + 1 }));
    });
  }

  async inboxNextForChat(channel: string, chatKey: string): Promise<InboxEntry | undefined> {
    const rows = await this.db.all(
      `SELECT ${INBOX_COLUMNS} FROM inbox WHERE channel = ? AND chat_key = ? AND status = 'pending' ORDER BY order_key LIMIT 1`,
      [channel, chatKey],
    );
    return rows[0] ? toEntry(rows[0]) : undefined;
  }

  async inboxRenew(channel: string, owner: string, nowMs: number, leaseMs: number): Promise<void> {
    await this.db.run(`UPDATE inbox SET lease_until_ms = ? WHERE channel = ? AND owner = ? AND status = 'pending'`, [
      nowMs + leaseMs,
      channel,
      owner,
    ]);
  }

  async inboxPendingCount(channel: string): Promise<number> {
    const rows = await this.db.all(`SELECT COUNT(*) AS n FROM inbox WHERE channel = ? AND status = 'pending'`, [channel]);
    return num(rows[0]?.n);
  }

  async getOffset(channel: string): Promise<number> {
    const rows = await this.db.all('SELECT value FROM offsets WHERE channel = ?', [channel]);
    return num(rows[0]?.value);
  }

  async advanceOffset(channel: string, offset: number): Promise<void> {
    await this.db.run(
      `INSERT INTO offsets (channel, value) VALUES (?, ?)
       ON CONFLICT (channel) DO UPDATE SET value = CASE WHEN excluded.value > offsets.value THEN excluded.value ELSE offsets.value END`,
      [channel, offset],
    );
  }

  async getChat(channel: string, chatKey: string): Promise<ChatState> {
    const rows = await this.db.all('SELECT state FROM chats WHERE channel = ? AND chat_key = ?', [channel, chatKey]);
    return rows[0] ? toChat(parseJson(rows[0].state)) : emptyChat();
  }

  async updateChat(channel: string, chatKey: string, nowMs: number, change: (state: ChatState) => void): Promise<ChatState> {
    return this.db.transaction(async (q) => {
      await q.run(
        'INSERT INTO chats (channel, chat_key, state, updated_at_ms) VALUES (?, ?, ?, ?) ON CONFLICT (channel, chat_key) DO NOTHING',
        [channel, chatKey, JSON.stringify(emptyChat()), nowMs],
      );
      const rows = await q.all(`SELECT state FROM chats WHERE channel = ? AND chat_key = ?${this.db.forUpdate}`, [channel, chatKey]);
      const state = toChat(parseJson(rows[0]?.state));
      change(state);
      state.history = state.history.slice(-HISTORY_TURNS);
      state.recentAnswers = state.recentAnswers.slice(-RECENT_ANSWERS);
      await q.run('UPDATE chats SET state = ?, updated_at_ms = ? WHERE channel = ? AND chat_key = ?', [
        JSON.stringify(state),
        nowMs,
        channel,
        chatKey,
      ]);
      return state;
    });
  }

  async rateTake(key: string, perWindow: number, windowMs: number, nowMs: number): Promise<number> {
    if (perWindow <= 0) return 0;
    return this.db.transaction(async (q) => {
      await q.run('INSERT INTO rate_buckets (key, hits, updated_at_ms) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING', [key, '[]', nowMs]);
      const rows = await q.all(`SELECT hits FROM rate_buckets WHERE key = ?${this.db.forUpdate}`, [key]);
      const parsed = parseJson(rows[0]?.hits);
      // Refusals are not recorded, so a user who keeps typing while limited is not locked out longer.
      const recent = (Array.isArray(parsed) ? parsed : []).map(num).filter((at) => nowMs - at < windowMs);
      let waitMs = 0;
      if (recent.length >= perWindow) {
        waitMs = Math.max(1, (recent[0] ?? nowMs) + windowMs - nowMs);
      } else {
        recent.push(nowMs);
      }
      await q.run('UPDATE rate_buckets SET hits = ?, updated_at_ms = ? WHERE key = ?', [JSON.stringify(recent.slice(-perWindow)), nowMs, key]);
      return waitMs;
    });
  }

  async recordUpload(r: UploadRecord): Promise<void> {
    await this.db.run('INSERT INTO uploads (channel, user_id, file_name, size_bytes, outcome, at_ms) VALUES (?, ?, ?, ?, ?, ?)', [
      r.channel,
      r.userId,
      r.fileName,
      r.sizeBytes,
      r.outcome,
      r.atMs,
    ]);
  }

  async recentUploads(channel: string, limit: number): Promise<UploadRecord[]> {
    const rows = await this.db.all(
      'SELECT channel, user_id, file_name, size_bytes, outcome, at_ms FROM uploads WHERE channel = ? ORDER BY at_ms DESC LIMIT ?',
      [channel, limit],
    );
    return rows.map((r) => ({
      channel: str(r.channel),
      userId: str(r.user_id),
      fileName: str(r.file_name),
      sizeBytes: num(r.size_bytes),
      outcome: str(r.outcome),
      atMs: num(r.at_ms),
    }));
  }

  async tryLease(name: string, holder: string, nowMs: number, ttlMs: number): Promise<boolean> {
    const renewed = await this.db.run('UPDATE leases SET holder = ?, expires_at_ms = ? WHERE name = ? AND (holder = ? OR expires_at_ms < ?)', [
      holder,
      nowMs + ttlMs,
      name,
      holder,
      nowMs,
    ]);
    if (renewed > 0) return true;
    const inserted = await this.db.run('INSERT INTO leases (name, holder, expires_at_ms) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING', [
      name,
      holder,
      nowMs + ttlMs,
    ]);
    return inserted > 0;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    await this.db.run('DELETE FROM leases WHERE name = ? AND holder = ?', [name, holder]);
  }

  withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.db.withLock(key, fn);
  }

  publish(topic: string, payload: string): Promise<void> {
    return this.db.publish(topic, payload);
  }

  subscribe(topic: string, listener: (payload: string) => void): Promise<() => Promise<void>> {
    return this.db.subscribe(topic, listener);
  }

  async prune(l: PruneLimits): Promise<PruneResult> {
    const inbox = await this.db.run(`DELETE FROM inbox WHERE status = 'handled' AND handled_at_ms < ?`, [l.nowMs - l.handledMaxAgeMs]);
    const chats = await this.db.run('DELETE FROM chats WHERE updated_at_ms < ?', [l.nowMs - l.chatMaxAgeMs]);
    // A bucket idle for a day holds no hit inside any window we use.
    const rateBuckets = await this.db.run('DELETE FROM rate_buckets WHERE updated_at_ms < ?', [l.nowMs - 24 * 3600_000]);
    const rounds = await this.pruneRounds(l.nowMs - l.roundMaxAgeMs);
    return { inbox, chats, rateBuckets, rounds };
  }

  async markOnce(step: string, nowMs: number): Promise<boolean> {
    const changed = await this.db.run('INSERT INTO once_steps (step, done_at_ms) VALUES (?, ?) ON CONFLICT (step) DO NOTHING', [step, nowMs]);
    return changed > 0;
  }

  async schemaVersion(): Promise<number> {
    const rows = await this.db.all('SELECT MAX(version) AS v FROM schema_migrations');
    return num(rows[0]?.v);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
