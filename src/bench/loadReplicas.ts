import { PostgresDriver } from '../state/index.js';
import { runWebhookScenario, type ScenarioResult } from '../../tests/drills/replicaScenario.js';
import { percentile } from './stats.js';

/**
 * `bench:load --replicas`: the same load through 1 replica and through 3, in Telegram webhook
 * mode on PostgreSQL behind the round-robin proxy of the drills (tests/drills/replicaHarness.ts).
 * Chats' questions are delivered the way Telegram does (a chat's next update once the previous
 * one was acknowledged, 32 connections); answers/s counts from the first delivery to the last
 * first answer, latency from a question's acknowledged delivery to its answer.
 */

export interface ReplicaLoadOptions {
  databaseUrl: string;
  chats: number;
  questionsPerChat: number;
  /** 'reports': ReportAssistant over corpusDir/indexDir (index already built); 'fake': FakeKnowledgeBase. */
  knowledge: 'reports' | 'fake';
  corpusDir: string;
  indexDir: string;
  timeoutMs: number;
}

export interface ReplicaLoadRow {
  replicas: number;
  knowledge: string;
  questions: number;
  answered: number;
  lost: number;
  duplicated: number;
  orderViolations: number;
  answersPerSecond: number;
  p50Ms: number;
  p95Ms: number;
}

function row(r: ScenarioResult, knowledge: string): ReplicaLoadRow {
  const questions = r.chats * r.questionsPerChat;
  const answered = r.answerLatenciesMs.length;
  return {
    replicas: r.replicas,
    knowledge,
    questions,
    answered,
    lost: r.lost,
    duplicated: r.duplicated,
    orderViolations: r.orderViolations,
    answersPerSecond: answered / Math.max(0.001, r.answeredSpanMs / 1000),
    p50Ms: percentile(r.answerLatenciesMs, 50),
    p95Ms: percentile(r.answerLatenciesMs, 95),
  };
}

export async function runReplicaLoad(options: ReplicaLoadOptions, counts: readonly number[] = [1, 3]): Promise<ReplicaLoadRow[]> {
  const rows: ReplicaLoadRow[] = [];
  const knowledge = options.knowledge === 'fake' ? 'FakeKnowledgeBase (transport only)' : 'ReportAssistant (corpus/, extractive)';
  for (const replicas of counts) {
    const schema = `bench_replicas_${process.pid}_${replicas}`;
    try {
      const result = await runWebhookScenario({
        scenario: `${replicas} replica(s)`,
        channel: 'telegram',
        databaseUrl: options.databaseUrl,
        schema,
        replicas,
        chats: options.chats,
        questionsPerChat: options.questionsPerChat,
        askDelayMs: 0,
        timeoutMs: options.timeoutMs,
        env: { REPLICA_KB: options.knowledge, REPLICA_CORPUS_DIR: options.corpusDir, REPLICA_INDEX_DIR: options.indexDir },
      });
      rows.push(row(result, knowledge));
    } finally {
      await PostgresDriver.dropSchema(options.databaseUrl, schema).catch(() => undefined);
    }
  }
  return rows;
}

export function renderReplicaLoad(rows: readonly ReplicaLoadRow[]): string {
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : '—');
  return [
    '| Replicas | Knowledge | Questions | Answered | Lost | Duplicated | Order violations | Answers/s | p50 / p95 (ms) |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---|',
    ...rows.map(
      (r) =>
        `| ${r.replicas} | ${r.knowledge} | ${r.questions} | ${r.answered} | ${r.lost} | ${r.duplicated} | ${r.orderViolations} | ${r.answersPerSecond.toFixed(1)} | ${f(r.p50Ms)} / ${f(r.p95Ms)} |`,
    ),
  ].join('\n');
}
