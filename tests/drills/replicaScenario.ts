/**
 * One webhook drill run: N replicas of a channel on one PostgreSQL schema behind the round-robin
 * proxy, C chats × Q questions delivered by the platform side, an optional fault at mid-batch,
 * then the tally of what the fake Bot API received.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { FakeBotApi } from '../channels/telegram/fakeBotApi.js';
import { FakeZaloApi, textUpdate } from '../channels/zalo/fakeZaloApi.js';
import { countTags, deliverAll, Replica, RoundRobinProxy, tally, unexplainedRepeats, waitUntil, type Delivery, type DrillCounts } from './replicaHarness.js';

export const TELEGRAM_TOKEN = '900000002:AAreplicaDrillTokenForTheFakeBotApi';
export const ZALO_TOKEN = '1459232241454765289:replicaDrillZaloSecret-Qw3rty';
export const WEBHOOK_SECRET = 'replica-drill-webhook-secret-0123456789';

export interface ScenarioOptions {
  scenario: string;
  channel: 'telegram' | 'zalo';
  databaseUrl: string;
  schema: string;
  replicas: number;
  chats: number;
  questionsPerChat: number;
  askDelayMs: number;
  /** Runs once half of the questions were acknowledged; returns when the fault happened (ms). */
  fault?: (replicas: Replica[]) => Promise<number>;
  timeoutMs: number;
  /** Extra environment for every replica (bench: REPLICA_KB, production limits). */
  env?: Record<string, string>;
}

export interface ScenarioResult extends DrillCounts {
  pendingLeft: number;
  /** Repeats whose first copy was not sent before the fault (a kill explains only those on the wire). */
  repeatsNotFromTheKill: number;
  /** Every replica still alive at the end exited cleanly on SIGTERM. */
  cleanExits: boolean;
  durationMs: number;
  /** Until the last question was acknowledged by a replica. */
  deliveryMs: number;
  /** From the first delivery to the last first answer. */
  answeredSpanMs: number;
  /** Per answered question, from its acknowledged delivery to its first answer. */
  answerLatenciesMs: number[];
  stderr: string;
}

interface Sink {
  url: string;
  sent(): { chatKey: string; text: string; atMs: number }[];
  close(): Promise<void>;
  env: Record<string, string>;
  headers: Record<string, string>;
  chat(c: number, k: number, tag: number, text: string): Delivery;
}

async function telegramSink(): Promise<Sink> {
  const api = await FakeBotApi.start(TELEGRAM_TOKEN);
  let messageId = 1;
  return {
    url: api.url,
    sent: () => api.sentMessages().map((m) => ({ chatKey: String(m.chat_id), text: m.text, atMs: m.at })),
    close: () => api.close(),
    env: {
      TELEGRAM_BOT_TOKEN: TELEGRAM_TOKEN,
      TELEGRAM_API_ROOT: api.url,
      TELEGRAM_WEBHOOK_URL: 'https://bot.example.vn/telegram',
      TELEGRAM_WEBHOOK_PATH: '/telegram',
      TELEGRAM_WEBHOOK_PORT: '0',
      TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET,
      REPLICA_CHANNEL: 'telegram',
    },
    headers: { 'x-telegram-bot-api-secret-token': WEBHOOK_SECRET },
    chat: (c, _k, tag, text) => {
      const id = 700_000 + c;
      const from = { id, is_bot: false, first_name: `Cán bộ ${c}` };
      const body = { update_id: 50_000 + tag, message: { message_id: messageId++, date: Math.floor(Date.now() / 1000), chat: { id, type: 'private' }, from, text } };
      return { chatKey: String(id), body, tag };
    },
  };
}

async function zaloSink(): Promise<Sink> {
  const api = await new FakeZaloApi({ token: ZALO_TOKEN, emptyPollHoldMs: 50 }).start();
  return {
    url: api.url,
    sent: () => api.sent.map((s) => ({ chatKey: s.chatId, text: s.text, atMs: s.atMs })),
    close: () => api.stop(),
    env: {
      ZALO_BOT_TOKEN: ZALO_TOKEN,
      ZALO_API_ROOT: api.url,
      ZALO_WEBHOOK_URL: 'https://bot.example.vn',
      ZALO_WEBHOOK_PATH: '/zalo',
      ZALO_WEBHOOK_PORT: '0',
      ZALO_WEBHOOK_SECRET: WEBHOOK_SECRET,
      REPLICA_CHANNEL: 'zalo',
    },
    headers: { 'x-bot-api-secret-token': WEBHOOK_SECRET },
    chat: (c, _k, tag, text) => {
      const userId = `u-replica-${c}`;
      return { chatKey: userId, body: textUpdate({ text, chatId: userId, userId, messageId: `rm-${tag}` }), tag };
    },
  };
}

/** Pending inbox rows left in the schema (0 when every claimed update was answered). */
export async function pendingRows(databaseUrl: string, schema: string, channel: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl, options: `-c search_path=${schema}` });
  await client.connect();
  try {
    const r = await client.query(`SELECT COUNT(*)::int AS n FROM inbox WHERE channel = $1 AND status = 'pending'`, [channel]);
    return Number((r.rows[0] as { n: number }).n);
  } finally {
    await client.end();
  }
}

/** When the first update taken over from a dead replica (attempts > 1) was answered, in ms since epoch. */
export async function firstTakeOverAnsweredMs(databaseUrl: string, schema: string, channel: string): Promise<number | undefined> {
  const client = new pg.Client({ connectionString: databaseUrl, options: `-c search_path=${schema}` });
  await client.connect();
  try {
    const r = await client.query(`SELECT MIN(handled_at_ms)::float8 AS at FROM inbox WHERE channel = $1 AND attempts > 1`, [channel]);
    const at = (r.rows[0] as { at: number | null }).at;
    return at ?? undefined;
  } finally {
    await client.end();
  }
}

export async function runWebhookScenario(o: ScenarioOptions): Promise<ScenarioResult> {
  const sink = o.channel === 'telegram' ? await telegramSink() : await zaloSink();
  const stateDir = await mkdtemp(join(tmpdir(), 'drill-replicas-'));
  const replicas: Replica[] = [];
  let proxy: RoundRobinProxy | undefined;
  try {
    const env = (i: number) => ({
      ...sink.env,
      DATABASE_URL: o.databaseUrl,
      DATABASE_SCHEMA: o.schema,
      STATE_DIR: join(stateDir, `r${i}`),
      RATE_LIMIT_PER_MINUTE: '100000',
      FAKE_ASK_DELAY_MS: String(o.askDelayMs),
      LOG_LEVEL: 'warn',
      ...o.env,
    });
    // The first one creates the schema and migrates; the others start together.
    replicas.push(await Replica.start('r0', env(0)));
    replicas.push(...(await Promise.all(Array.from({ length: o.replicas - 1 }, (_, i) => Replica.start(`r${i + 1}`, env(i + 1))))));
    proxy = await RoundRobinProxy.start(() => replicas.map((r) => r.port));

    const expected = new Map<string, number[]>();
    const chats: Delivery[][] = Array.from({ length: o.chats }, () => []);
    const total = o.chats * o.questionsPerChat;
    // Tags in round-robin order over chats: within a chat they increase, like update_ids.
    const deliveredAt = new Map<number, number>();
    for (let k = 0; k < o.questionsPerChat; k++) {
      for (let c = 0; c < o.chats; c++) {
        const tag = k * o.chats + c;
        const d = sink.chat(c, k, tag, `Kon Tum thực hiện mô hình bí thư đồng thời là chủ tịch thế nào, câu ${k + 1}? [q${tag}]`);
        chats[c]!.push(d);
        expected.set(d.chatKey, [...(expected.get(d.chatKey) ?? []), tag]);
      }
    }
    const started = Date.now();
    let faultAt: Promise<number> | undefined;
    const path = o.channel === 'telegram' ? '/telegram' : '/zalo';
    await deliverAll(`${proxy.url}${path}`, sink.headers, chats, 32, (n, d) => {
      deliveredAt.set(d.tag, Date.now());
      if (n === Math.floor(total / 2) && o.fault) faultAt = o.fault(replicas);
    });
    const deliveryMs = Date.now() - started;
    const faultMs = faultAt ? await faultAt : undefined;
    await waitUntil(() => countTags(sink.sent().map((s) => s.text)) >= total, o.timeoutMs, `${total} answers`).catch(() => undefined);
    // A duplicate would show up now.
    await new Promise((r) => setTimeout(r, 1000));
    const done = Date.now();
    const sent = sink.sent();
    const counts = tally(expected, sent);
    const repeatsNotFromTheKill = unexplainedRepeats(sent, faultMs);
    const pendingLeft = await pendingRows(o.databaseUrl, o.schema, o.channel);
    let takeoverS: number | undefined;
    if (faultMs !== undefined) {
      const at = await firstTakeOverAnsweredMs(o.databaseUrl, o.schema, o.channel);
      if (at !== undefined) takeoverS = Math.max(0, (at - faultMs) / 1000);
    }
    const firstAnswer = new Map<number, number>();
    for (const s of sent) for (const m of s.text.matchAll(/#q(\d+)\b/g)) if (!firstAnswer.has(Number(m[1]))) firstAnswer.set(Number(m[1]), s.atMs);
    const answerLatenciesMs = [...firstAnswer.entries()].map(([tag, t]) => t - (deliveredAt.get(tag) ?? started));
    const answeredSpanMs = Math.max(0, ...[...firstAnswer.values()].map((t) => t - started));
    const live = replicas.filter((r) => r.alive);
    const codes = await Promise.all(live.map((r) => r.stop()));
    return {
      scenario: o.scenario,
      replicas: o.replicas,
      chats: o.chats,
      questionsPerChat: o.questionsPerChat,
      ...counts,
      ...(takeoverS !== undefined ? { takeoverS } : {}),
      pendingLeft,
      repeatsNotFromTheKill,
      cleanExits: codes.every((c) => c === 0),
      durationMs: done - started,
      deliveryMs,
      answeredSpanMs,
      answerLatenciesMs,
      stderr: replicas.map((r) => `--- ${r.name}\n${r.errors.slice(0, 30).join('\n')}\n${r.stderr.slice(-2000)}`).join('\n'),
    };
  } finally {
    for (const r of replicas) if (r.alive) r.child.kill('SIGKILL');
    await proxy?.close();
    await sink.close();
    await rm(stateDir, { recursive: true, force: true });
  }
}
