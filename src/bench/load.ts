import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TELEGRAM_PUBLISHED_LIMITS as TELEGRAM_LIMITS } from '../channels/telegram/sendScheduler.js';
import { FakeBotApi } from '../../tests/channels/telegram/fakeBotApi.js';
import { FakeZaloApi, textUpdate } from '../../tests/channels/zalo/fakeZaloApi.js';
import { maxInWindow, percentile } from './stats.js';
import { TAG_OUT } from './tagged.js';

const BOT = fileURLToPath(new URL('./loadBot.ts', import.meta.url));

/**
 * Load runs of the chat channels against their fake Bot APIs on 127.0.0.1: many chats asking
 * at once, half of them groups addressing the bot with a mention. Every question carries a tag
 * ("[q17]") that the knowledge wrapper strips before answering and appends to the answer
 * ("#q17"), so each delivered message can be traced back to its question: lost = tag never
 * delivered, duplicated = tag delivered in more than one message.
 */

export interface LoadOptions {
  chats: number;
  questionsPerChat: number;
  /** Share of chats that are groups (the bot is @mentioned there). */
  groupShare: number;
  questions: readonly string[];
  /** Hard cap on waiting for the answers; the run ends (and reports losses) after it. */
  timeoutMs: number;
  /** 'reports': ReportAssistant over corpusDir/indexDir (index already built); 'fake': FakeKnowledgeBase. */
  knowledge: 'reports' | 'fake';
  corpusDir: string;
  indexDir: string;
}

export interface LimitCheck {
  name: string;
  measured: string;
  pass: boolean;
}

export interface LoadResult {
  channel: 'telegram' | 'zalo';
  knowledge: string;
  chats: number;
  groups: number;
  questions: number;
  answered: number;
  lost: number;
  duplicated: number;
  messagesSent: number;
  durationMs: number;
  answersPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  limits: LimitCheck[];
}

/** The core's rate-limit notice (prompts/bot.*.json "rateLimited"). */
const RATE_LIMITED = /gửi hơi nhanh|a little fast/i;

interface Planned {
  tag: number;
  chatIndex: number;
  /** The chat's k-th question (0-based); in groups each is asked by a different member. */
  k: number;
  isGroup: boolean;
  text: string;
}

/** Round-robin over chats: every chat's first question, then every chat's second, … */
function plan(options: LoadOptions): Planned[] {
  const out: Planned[] = [];
  const groups = Math.round(options.chats * options.groupShare);
  for (let k = 0; k < options.questionsPerChat; k++) {
    for (let c = 0; c < options.chats; c++) {
      const q = options.questions[(c * 7 + k) % options.questions.length]!;
      out.push({ tag: out.length, chatIndex: c, k, isGroup: c < groups, text: `${q} [q${out.length}]` });
    }
  }
  return out;
}

interface Delivery {
  chat: string;
  text: string;
  atMs: number;
}

function tally(
  channel: LoadResult['channel'],
  options: LoadOptions,
  planned: readonly Planned[],
  pushedAt: ReadonlyMap<number, number>,
  deliveries: readonly Delivery[],
  startedMs: number,
  limits: LimitCheck[],
): LoadResult {
  const seen = new Map<number, number[]>();
  for (const d of deliveries) {
    for (const m of d.text.matchAll(TAG_OUT)) {
      const tag = Number(m[1]);
      seen.set(tag, [...(seen.get(tag) ?? []), d.atMs]);
    }
  }
  const latencies: number[] = [];
  let lost = 0;
  let duplicated = 0;
  let last = startedMs;
  for (const p of planned) {
    const times = seen.get(p.tag);
    if (!times?.length) {
      lost++;
      continue;
    }
    if (times.length > 1) duplicated++;
    const first = Math.min(...times);
    latencies.push(first - (pushedAt.get(p.tag) ?? startedMs));
    last = Math.max(last, first);
  }
  const durationMs = last - startedMs;
  return {
    channel,
    knowledge: options.knowledge === 'fake' ? 'FakeKnowledgeBase (transport only)' : 'ReportAssistant (corpus/, extractive)',
    chats: options.chats,
    groups: Math.round(options.chats * options.groupShare),
    questions: planned.length,
    answered: latencies.length,
    lost,
    duplicated,
    messagesSent: deliveries.length,
    durationMs,
    answersPerSecond: latencies.length / Math.max(0.001, durationMs / 1000),
    p50Ms: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
    maxMs: latencies.length ? Math.max(...latencies) : Number.NaN,
    limits,
  };
}


function minGap(times: readonly number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let gap = Infinity;
  for (let i = 1; i < sorted.length; i++) gap = Math.min(gap, sorted[i]! - sorted[i - 1]!);
  return gap;
}

async function waitUntil(done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

function countTags(texts: Iterable<string>): number {
  const tags = new Set<string>();
  for (const t of texts) for (const m of t.matchAll(TAG_OUT)) tags.add(m[1]!);
  return tags.size;
}

/** Starts the bot in its own process and resolves once it polls. */
async function startBot(channel: 'telegram' | 'zalo', options: LoadOptions, env: Record<string, string>): Promise<{ stop(): Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', BOT], {
    env: {
      ...process.env,
      ...env,
      BENCH_CHANNEL: channel,
      BENCH_KB: options.knowledge,
      BENCH_CORPUS_DIR: options.corpusDir,
      BENCH_INDEX_DIR: options.indexDir,
      LOG_LEVEL: 'error',
      TELEGRAM_WEBHOOK_URL: '',
      ZALO_WEBHOOK_URL: '',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${channel} bot did not start within 60 s`)), 60_000);
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('READY')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${channel} bot exited early (${code})`));
    });
  });
  return {
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      // Bounded: a bot that does not drain within 30 s is killed.
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

// Recorded timestamps come from the fake server (arrival of the request), the scheduler books
// slots when the request leaves: allow for loopback jitter before calling a limit broken.
const JITTER_MS = 50;

export async function runTelegramLoad(options: LoadOptions): Promise<LoadResult> {
  const token = '900000001:AAbenchLoadTokenForTheFakeBotApi_x';
  const api = await FakeBotApi.start(token);
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'tlbc-load-tg-'));
  let bot: { stop(): Promise<void> } | undefined;
  try {
    bot = await startBot('telegram', options, { TELEGRAM_BOT_TOKEN: token, TELEGRAM_API_ROOT: api.url, STATE_DIR: stateDir });
    const planned = plan(options);
    const pushedAt = new Map<number, number>();
    const started = Date.now();
    for (const p of planned) {
      const user = { id: 10_000 + p.chatIndex * 10 + (p.isGroup ? p.k : 0), first_name: `Người dùng ${p.chatIndex}` };
      pushedAt.set(p.tag, Date.now());
      if (p.isGroup) api.groupText(-1_000_000 - p.chatIndex, user, `@${api.bot.username} ${p.text}`);
      else api.privateText(user, p.text);
    }
    await waitUntil(() => countTags(api.sentMessages().map((m) => m.text)) >= planned.length, options.timeoutMs);
    // A short grace period so that late duplicates, if any, are counted.
    await new Promise((r) => setTimeout(r, 500));
    const sent = api.sentMessages();
    const byChat = new Map<number, number[]>();
    for (const m of sent) byChat.set(m.chat_id, [...(byChat.get(m.chat_id) ?? []), m.at]);
    const perChatGap = Math.min(...[...byChat.values()].map(minGap));
    const groupMax = Math.max(0, ...[...byChat.entries()].filter(([id]) => id < 0).map(([, t]) => maxInWindow(t, 60_000)));
    const globalMax = maxInWindow(
      sent.map((m) => m.at),
      1000 - JITTER_MS,
    );
    const limits: LimitCheck[] = [
      { name: `per chat ≥ ${TELEGRAM_LIMITS.perChatIntervalMs} ms apart`, measured: `min gap ${Number.isFinite(perChatGap) ? perChatGap : '—'} ms`, pass: !Number.isFinite(perChatGap) || perChatGap >= TELEGRAM_LIMITS.perChatIntervalMs - JITTER_MS },
      { name: `per group ≤ ${TELEGRAM_LIMITS.groupPerMinute}/min`, measured: `max ${groupMax} in 60 s`, pass: groupMax <= TELEGRAM_LIMITS.groupPerMinute },
      { name: `overall ≤ ${TELEGRAM_LIMITS.globalPerSecond}/s`, measured: `max ${globalMax} in 1 s`, pass: globalMax <= TELEGRAM_LIMITS.globalPerSecond },
      { name: 'no rate-limit notices to users (≤ 5 questions per user)', measured: `${sent.filter((m) => RATE_LIMITED.test(m.text)).length}`, pass: !sent.some((m) => RATE_LIMITED.test(m.text)) },
      { name: 'no 429 from the API', measured: `${api.calls.filter((c) => c.fault === '429').length}`, pass: api.calls.every((c) => c.fault !== '429') },
    ];
    return tally(
      'telegram',
      options,
      planned,
      pushedAt,
      sent.map((m) => ({ chat: String(m.chat_id), text: m.text, atMs: m.at })),
      started,
      limits,
    );
  } finally {
    await bot?.stop();
    await api.close();
    await rm(stateDir, { recursive: true, force: true });
  }
}

export async function runZaloLoad(options: LoadOptions, rateLimitPerMinute: number): Promise<LoadResult> {
  const token = '1459232241454765289:benchLoadZaloSecret-Qw3rty';
  const api = await new FakeZaloApi({ token, emptyPollHoldMs: 50 }).start();
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'tlbc-load-zalo-'));
  let bot: { stop(): Promise<void> } | undefined;
  try {
    bot = await startBot('zalo', options, { ZALO_BOT_TOKEN: token, ZALO_API_ROOT: api.url, STATE_DIR: stateDir, RATE_LIMIT_PER_MINUTE: String(rateLimitPerMinute) });
    const planned = plan(options);
    const pushedAt = new Map<number, number>();
    const started = Date.now();
    for (const p of planned) {
      const userId = `u-${p.chatIndex}-${p.isGroup ? p.k : 0}`;
      pushedAt.set(p.tag, Date.now());
      api.push(
        p.isGroup
          ? textUpdate({ text: `@Trợ lý Báo cáo ${p.text}`, chatId: `g-${p.chatIndex}`, userId, chatType: 'GROUP', messageId: `m-${p.tag}` })
          : textUpdate({ text: p.text, chatId: userId, userId, messageId: `m-${p.tag}` }),
      );
    }
    await waitUntil(() => countTags(api.sent.map((s) => s.text)) >= planned.length, options.timeoutMs);
    await new Promise((r) => setTimeout(r, 500));
    // Zalo publishes no per-chat send rate; the bot's own limit is RATE_LIMIT_PER_MINUTE per user.
    const byChat = new Map<string, number[]>();
    for (const s of api.sent) byChat.set(s.chatId, [...(byChat.get(s.chatId) ?? []), s.atMs]);
    const chatMax = Math.max(0, ...[...byChat.values()].map((t) => maxInWindow(t, 1000)));
    const refusals = api.sent.filter((s) => RATE_LIMITED.test(s.text)).length;
    const limits: LimitCheck[] = [
      { name: `per user ≤ ${rateLimitPerMinute} questions/min (RATE_LIMIT_PER_MINUTE)`, measured: `${refusals} rate-limit replies (≤ ${options.questionsPerChat} asked per user)`, pass: refusals === 0 },
      { name: 'messages per chat per second (informational)', measured: `max ${chatMax}`, pass: true },
    ];
    return tally(
      'zalo',
      options,
      planned,
      pushedAt,
      api.sent.map((s) => ({ chat: s.chatId, text: s.text, atMs: s.atMs })),
      started,
      limits,
    );
  } finally {
    await bot?.stop();
    await api.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}

export function renderLoad(results: readonly LoadResult[]): string {
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : '—');
  const lines = [
    '| Channel | Knowledge | Chats (groups) | Questions | Answered | Lost | Duplicated | Answers/s | p50 / p95 / max e2e (ms) | Verdict |',
    '|---|---|---|---:|---:|---:|---:|---:|---|---|',
    ...results.map(
      (r) =>
        `| ${r.channel} | ${r.knowledge} | ${r.chats} (${r.groups}) | ${r.questions} | ${r.answered} | ${r.lost} | ${r.duplicated} | ${r.answersPerSecond.toFixed(1)} | ${f(r.p50Ms)} / ${f(r.p95Ms)} / ${f(r.maxMs)} | ${r.lost === 0 && r.duplicated === 0 && r.limits.every((l) => l.pass) ? 'PASS' : 'FAIL'} |`,
    ),
    '',
    '| Channel | Limit | Measured (fake server timestamps) | Result |',
    '|---|---|---|---|',
    ...results.flatMap((r) => r.limits.map((l) => `| ${r.channel} | ${l.name} | ${l.measured} | ${l.pass ? 'PASS' : 'FAIL'} |`)),
  ];
  return lines.join('\n');
}
