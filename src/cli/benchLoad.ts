/**
 * `npm run bench:load [-- --chats 200 --per-chat 5 --kb reports|fake --channel both|telegram|zalo --timeout-s 240 --write]`
 * `npm run bench:load -- --replicas [--chats 200 --per-chat 5 --kb reports|fake --database-url postgres://…]`
 *
 * With --replicas: 1 replica and 3 replicas in Telegram webhook mode on PostgreSQL (DATABASE_URL,
 * else the local test database) behind a round-robin proxy; answers/s and p95 for each.
 *
 * Drives the Telegram and Zalo channels through their fake Bot APIs on 127.0.0.1 with many
 * chats asking at once (half of them groups, where the bot is @mentioned). Reports answers per
 * second, end-to-end latency, lost and duplicated answers, and whether the send limits held,
 * judged from the fake servers' own timestamps. Bounded: every wait has a deadline.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { flagString, parseArgs } from './args.js';
import { ingestCorpus } from '../ingest/pipeline.js';
import { localEmbedderFactory } from '../index/embedder.js';
import { renderLoad, runTelegramLoad, runZaloLoad, type LoadOptions, type LoadResult } from '../bench/load.js';
import { machineInfo } from '../bench/machine.js';
import { replaceSection } from '../bench/markdownFile.js';
import { devQuestions } from '../bench/questions.js';
import { renderReplicaLoad, runReplicaLoad } from '../bench/loadReplicas.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), ['chats', 'per-chat', 'kb', 'channel', 'timeout-s', 'out', 'database-url']);
  const kbKind = flagString(args, 'kb') ?? 'reports';
  const channel = flagString(args, 'channel') ?? 'both';
  const machine = machineInfo();
  const indexDir = await mkdtemp(path.join(os.tmpdir(), 'tlbc-load-index-'));
  try {
    const corpusDir = path.join(ROOT, 'corpus');
    // Built once here; the bot processes open it without re-ingesting. With the real assistant
    // the answering cost is part of what is measured.
    if (kbKind !== 'fake') await ingestCorpus({ corpusDir, indexDir, embedderFactory: localEmbedderFactory() });
    const options: LoadOptions = {
      chats: Number(flagString(args, 'chats') ?? 200),
      questionsPerChat: Number(flagString(args, 'per-chat') ?? 5),
      groupShare: 0.5,
      questions: await devQuestions(ROOT),
      timeoutMs: Number(flagString(args, 'timeout-s') ?? 240) * 1000,
      knowledge: kbKind === 'fake' ? 'fake' : 'reports',
      corpusDir,
      indexDir,
    };
    if (args.flags.has('replicas')) {
      await replicaComparison(args, kbKind === 'fake' ? 'fake' : 'reports', corpusDir, indexDir);
      return;
    }
    const results: LoadResult[] = [];
    if (channel === 'both' || channel === 'telegram') {
      process.stderr.write(`telegram: ${options.chats} chats × ${options.questionsPerChat} questions…\n`);
      results.push(await runTelegramLoad(options));
    }
    if (channel === 'both' || channel === 'zalo') {
      process.stderr.write(`zalo: ${options.chats} chats × ${options.questionsPerChat} questions…\n`);
      // Production default per-user limit; each user asks at most questionsPerChat.
      results.push(await runZaloLoad(options, 10));
    }
    const table = [
      `## Channel load (${machine.date})`,
      '',
      `Machine: ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}. ${options.chats} chats × ${options.questionsPerChat} questions pushed at once (round-robin over chats), ${Math.round(options.groupShare * 100)}% groups with an @mention; production send limits and tuning; fake Bot APIs on 127.0.0.1 (\`npm run bench:load\`).`,
      '',
      renderLoad(results),
    ].join('\n');
    process.stdout.write(table + '\n');
    if (args.flags.has('write')) {
      await replaceSection(path.resolve(ROOT, flagString(args, 'out') ?? 'docs/BENCHMARKS.md'), 'load', table, '# Benchmarks');
    }
    const failed = results.some((r) => r.lost > 0 || r.duplicated > 0 || r.limits.some((l) => !l.pass));
    if (failed) process.exitCode = 1;
  } finally {
    await rm(indexDir, { recursive: true, force: true });
  }
}

/** 1 replica vs 3 on PostgreSQL, webhook mode, send limits off (what is measured is claiming, ordering and answering). */
async function replicaComparison(args: ReturnType<typeof parseArgs>, knowledge: 'reports' | 'fake', corpusDir: string, indexDir: string): Promise<void> {
  const machine = machineInfo();
  const chats = Number(flagString(args, 'chats') ?? 200);
  const perChat = Number(flagString(args, 'per-chat') ?? 5);
  const databaseUrl = flagString(args, 'database-url') ?? process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  process.stderr.write(`replicas: ${chats} chats × ${perChat} questions through 1 and 3 Telegram webhook replicas…\n`);
  const rows = await runReplicaLoad({ databaseUrl, chats, questionsPerChat: perChat, knowledge, corpusDir, indexDir, timeoutMs: Number(flagString(args, 'timeout-s') ?? 240) * 1000 });
  const table = [
    `## Replicas (${machine.date})`,
    '',
    `Machine: ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}. ${chats} chats × ${perChat} questions, Telegram webhook mode on PostgreSQL behind a round-robin proxy on loopback, delivered like Telegram (a chat's next update after the previous 200, 32 connections); send limits off.`,
    '',
    renderReplicaLoad(rows),
  ].join('\n');
  process.stdout.write(table + '\n');
  if (args.flags.has('write')) await replaceSection(path.resolve(ROOT, flagString(args, 'out') ?? 'docs/BENCHMARKS.md'), 'replicas', table, '# Benchmarks');
  if (rows.some((r) => r.lost > 0 || r.duplicated > 0 || r.orderViolations > 0)) process.exitCode = 1;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench:load failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  });
}
