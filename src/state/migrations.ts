/**
 * Versioned schema. Each migration runs once, in order, inside a transaction, and its version is
 * recorded in `schema_migrations`; a store refuses to open a database newer than it knows. The
 * SQL is the common subset of SQLite and PostgreSQL (BIGINT for milliseconds, TEXT for JSON), so
 * both stores run the same statements and the same contract tests.
 */
export interface Migration {
  version: number;
  description: string;
  statements: string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'inbox, offsets, chats, rate buckets, quiz rounds and polls, uploads, leases, one-time steps',
    statements: [
      `CREATE TABLE inbox (
        channel TEXT NOT NULL,
        update_id TEXT NOT NULL,
        chat_key TEXT NOT NULL,
        order_key BIGINT NOT NULL,
        payload TEXT NOT NULL,
        status TEXT NOT NULL,
        received_at_ms BIGINT NOT NULL,
        handled_at_ms BIGINT,
        sent_parts INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 1,
        owner TEXT NOT NULL,
        lease_until_ms BIGINT NOT NULL,
        PRIMARY KEY (channel, update_id)
      )`,
      `CREATE INDEX inbox_pending_chat ON inbox (channel, chat_key, status, order_key)`,
      `CREATE INDEX inbox_status_age ON inbox (status, handled_at_ms)`,
      `CREATE TABLE offsets (channel TEXT PRIMARY KEY, value BIGINT NOT NULL)`,
      `CREATE TABLE chats (
        channel TEXT NOT NULL,
        chat_key TEXT NOT NULL,
        state TEXT NOT NULL,
        updated_at_ms BIGINT NOT NULL,
        PRIMARY KEY (channel, chat_key)
      )`,
      `CREATE INDEX chats_age ON chats (updated_at_ms)`,
      `CREATE TABLE rate_buckets (key TEXT PRIMARY KEY, hits TEXT NOT NULL, updated_at_ms BIGINT NOT NULL)`,
      `CREATE INDEX rate_buckets_age ON rate_buckets (updated_at_ms)`,
      `CREATE TABLE quiz_rounds (
        channel TEXT NOT NULL,
        chat_key TEXT NOT NULL,
        round TEXT NOT NULL,
        updated_at_ms BIGINT NOT NULL,
        PRIMARY KEY (channel, chat_key)
      )`,
      `CREATE TABLE quiz_polls (
        channel TEXT NOT NULL,
        poll_id TEXT NOT NULL,
        chat_key TEXT NOT NULL,
        question_id TEXT NOT NULL,
        PRIMARY KEY (channel, poll_id)
      )`,
      `CREATE INDEX quiz_polls_chat ON quiz_polls (channel, chat_key)`,
      `CREATE TABLE uploads (
        channel TEXT NOT NULL,
        user_id TEXT NOT NULL,
        file_name TEXT NOT NULL,
        size_bytes BIGINT NOT NULL,
        outcome TEXT NOT NULL,
        at_ms BIGINT NOT NULL
      )`,
      `CREATE INDEX uploads_channel_at ON uploads (channel, at_ms)`,
      `CREATE TABLE leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at_ms BIGINT NOT NULL)`,
      `CREATE TABLE once_steps (step TEXT PRIMARY KEY, done_at_ms BIGINT NOT NULL)`,
    ],
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS.reduce((v, m) => Math.max(v, m.version), 0);
