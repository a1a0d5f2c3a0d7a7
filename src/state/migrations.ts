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
  {
    version: 2,
    // Version 1 kept a round as one JSON value, rewritten on every answer; only the legacy import
    // ever wrote it (the trainer still used its own file), so it is dropped rather than converted.
    description: 'quiz rounds as rows: round, question, answer, score and poll per chat',
    statements: [
      `DROP TABLE quiz_polls`,
      `DROP TABLE quiz_rounds`,
      `CREATE TABLE quiz_round (
        channel TEXT NOT NULL,
        chat_key TEXT NOT NULL,
        round_id TEXT NOT NULL,
        topic TEXT NOT NULL,
        seed TEXT NOT NULL,
        lang TEXT NOT NULL,
        started_at_ms BIGINT NOT NULL,
        asked INTEGER NOT NULL DEFAULT 0,
        updated_at_ms BIGINT NOT NULL,
        PRIMARY KEY (channel, chat_key)
      )`,
      `CREATE INDEX quiz_round_age ON quiz_round (updated_at_ms)`,
      `CREATE TABLE quiz_question (
        channel TEXT NOT NULL,
        chat_key TEXT NOT NULL,
        round_id TEXT NOT NULL,
        n INTEGER NOT NULL,
        question TEXT NOT NULL,
        asked_at_ms BIGINT NOT NULL,
        poll_id TEXT,
        revealed INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (channel, chat_key, round_id, n)
      )`,
      `CREATE TABLE quiz_answer (
        channel TEXT NOT NULL,
        chat_key TEXT NOT NULL,
        round_id TEXT NOT NULL,
        n INTEGER NOT NULL,
        user_id TEXT NOT NULL,
        name TEXT NOT NULL,
        option_index INTEGER NOT NULL,
        correct INTEGER NOT NULL,
        at_ms BIGINT NOT NULL,
        PRIMARY KEY (channel, chat_key, round_id, n, user_id)
      )`,
      `CREATE TABLE quiz_score (
        channel TEXT NOT NULL,
        chat_key TEXT NOT NULL,
        round_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        name TEXT NOT NULL,
        correct INTEGER NOT NULL,
        answered INTEGER NOT NULL,
        PRIMARY KEY (channel, chat_key, round_id, user_id)
      )`,
      `CREATE TABLE quiz_poll (
        channel TEXT NOT NULL,
        poll_id TEXT NOT NULL,
        chat_key TEXT NOT NULL,
        round_id TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (channel, poll_id)
      )`,
      `CREATE INDEX quiz_poll_chat ON quiz_poll (channel, chat_key)`,
    ],
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS.reduce((v, m) => Math.max(v, m.version), 0);
