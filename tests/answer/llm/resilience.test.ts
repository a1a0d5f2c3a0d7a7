import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { CallbackManagerForLLMRun } from '@langchain/core/callbacks/manager';
import type { BaseMessage } from '@langchain/core/messages';
import type { ChatResult } from '@langchain/core/outputs';
import { FakeListChatModel } from '@langchain/core/utils/testing';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ReportAssistant } from '../../../src/app/assistant.js';
import { LlmAnswerGenerator } from '../../../src/answer/llm/generator.js';
import { BrokenCircuitError, LlmCallGuard } from '../../../src/answer/llm/resilience.js';
import type { Answer } from '../../../src/answer/types.js';
import { localEmbedderFactory } from '../../../src/index/embedder.js';
import { CallTimeoutError } from '../../../src/resilience.js';
import { sourceNumberContaining } from './fakeServers.js';

/**
 * The LLM call path on the shared resilience module (src/resilience.ts, cockatiel): a deadline
 * per attempt, bounded retries with jittered backoff, and a circuit breaker. All on fake timers:
 * the deadlines, the backoff and the breaker's open period are virtual time.
 */

const Q = 'An Giang có bao nhiêu xã thực hiện mô hình bí thư đồng thời là chủ tịch UBND?';
const silent = pino({ level: 'silent' });
const httpError = (status: number) => Object.assign(new Error(`http ${status}`), { status });

afterEach(() => {
  vi.useRealTimers();
});

describe('LlmCallGuard', () => {
  it('retries transient failures a bounded number of times with backoff, not client errors', async () => {
    vi.useFakeTimers();
    const guard = new LlmCallGuard({ timeoutMs: 1_000, retries: 2, backoffMs: 100, breaker: { failureThreshold: 10 } });
    let calls = 0;
    const failing = guard.run(async () => {
      calls++;
      throw httpError(503);
    }).catch((e: unknown) => e);
    // Jittered: the first wait is in [50, 100] ms, the second in [100, 200] ms.
    await vi.advanceTimersByTimeAsync(49);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(51 + 200);
    expect(((await failing) as Error).message).toBe('http 503');
    expect(calls).toBe(3);

    calls = 0;
    await expect(guard.run(async () => {
      calls++;
      throw httpError(401);
    })).rejects.toThrow('http 401');
    expect(calls).toBe(1);
  });

  it('an attempt that never answers is abandoned at its deadline (signal aborted), retried, then fails with CallTimeoutError', async () => {
    vi.useFakeTimers();
    const guard = new LlmCallGuard({ timeoutMs: 1_000, retries: 1, backoffMs: 100 });
    const signals: AbortSignal[] = [];
    const hung = guard.run((signal) => {
      signals.push(signal);
      return new Promise<never>(() => undefined);
    }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(999);
    expect(signals).toHaveLength(1);
    expect(signals[0]!.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(signals[0]!.aborted).toBe(true);
    await vi.advanceTimersByTimeAsync(100 + 1_000);
    expect(signals).toHaveLength(2);
    expect(await hung).toBeInstanceOf(CallTimeoutError);
  });

  it('opens after N failed calls, fails fast while open and while the probe is out, closes on a good probe', async () => {
    vi.useFakeTimers();
    const guard = new LlmCallGuard({ timeoutMs: 1_000, retries: 0, backoffMs: 100, breaker: { failureThreshold: 2, openMs: 30_000 } });
    let calls = 0;
    const fail = () => guard.run(async () => {
      calls++;
      throw httpError(500);
    });
    await expect(fail()).rejects.toThrow('http 500');
    expect(guard.state).toBe('closed');
    await expect(fail()).rejects.toThrow('http 500');
    expect(guard.state).toBe('open');
    await expect(fail()).rejects.toBeInstanceOf(BrokenCircuitError);
    expect(calls).toBe(2);

    await vi.advanceTimersByTimeAsync(30_000);
    let release: (v: string) => void = () => undefined;
    const probe = guard.run(() => new Promise<string>((resolve) => (release = resolve)));
    expect(guard.state).toBe('half-open');
    // A second question does not wait for the probe.
    await expect(guard.run(async () => 'second')).rejects.toBeInstanceOf(BrokenCircuitError);
    release('up');
    await expect(probe).resolves.toBe('up');
    expect(guard.state).toBe('closed');
    await expect(guard.run(async () => 'after')).resolves.toBe('after');
  });
});

/** LangChain's fake chat model, made slow or quick at will, answering with the passage that holds the figure. */
class SwitchableFakeChat extends FakeListChatModel {
  calls = 0;

  constructor() {
    super({ responses: [''] });
  }

  override async _generate(messages: BaseMessage[], options: this['ParsedCallOptions'], runManager?: CallbackManagerForLLMRun): Promise<ChatResult> {
    this.calls++;
    const user = messages.map((m) => ({ role: m.getType() === 'human' ? 'user' : m.getType(), content: m.text }));
    const n = sourceNumberContaining(user, '119/156') ?? 1;
    this.responses = [`Toàn tỉnh An Giang có 119/156 xã, phường, thị trấn (đạt 76,28%) thực hiện mô hình Bí thư cấp ủy đồng thời là Chủ tịch UBND [${n}].`];
    return super._generate(messages, options, runManager);
  }
}

describe('breaker drill: a hung endpoint, then a healthy one (fake timers)', () => {
  let indexDir: string;
  let baseline: Answer;

  beforeAll(async () => {
    indexDir = await mkdtemp(path.join(tmpdir(), 'llm-breaker-'));
    const assistant = await ReportAssistant.open({ corpusDir: 'corpus', indexDir, embedderFactory: localEmbedderFactory(), logger: silent });
    baseline = (await assistant.ask(Q)).answer;
  });

  afterAll(async () => {
    await rm(indexDir, { recursive: true, force: true });
  });

  it('opens after N failed questions; while open the extractive answer is served at once, with no call; a probe closes it', async () => {
    const TIMEOUT_MS = 2_000;
    const N = 3;
    const model = new SwitchableFakeChat();
    // Slower than any deadline: every attempt times out.
    model.sleep = 600_000;
    const generator = new LlmAnswerGenerator({ model, logger: silent, timeoutMs: TIMEOUT_MS, retries: 1, backoffMs: 200, breaker: { failureThreshold: N, openMs: 30_000 } });
    const assistant = await ReportAssistant.open({ corpusDir: 'corpus', indexDir, embedderFactory: localEmbedderFactory(), generator, logger: silent });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const rows: { question: number; circuit: string; modelCalls: number; virtualMs: number; realMs: number; path: string }[] = [];
    const timed = async (question: number, advanceMs: number) => {
      const virtual0 = Date.now();
      const real0 = performance.now();
      const pending = assistant.ask(Q);
      if (advanceMs) await vi.advanceTimersByTimeAsync(advanceMs);
      const { answer } = await pending;
      rows.push({ question, circuit: generator.circuit, modelCalls: model.calls, virtualMs: Date.now() - virtual0, realMs: Math.round(performance.now() - real0), path: answer.via });
      return answer;
    };

    // Each failing question: two attempts of TIMEOUT_MS and a backoff of at most 200 ms.
    for (let q = 1; q <= N; q++) {
      const answer = await timed(q, 2 * TIMEOUT_MS + 200);
      expect(answer.via).toBe('extractive');
      expect(answer.text).toBe(baseline.text);
      expect(model.calls).toBe(2 * q);
      expect(generator.circuit).toBe(q < N ? 'closed' : 'open');
    }

    // Open: no timer is advanced, so an answer that waited on the model could not arrive.
    for (let q = N + 1; q <= N + 3; q++) {
      const answer = await timed(q, 0);
      expect(answer.via).toBe('extractive');
      expect(answer.text).toBe(baseline.text);
      expect(model.calls).toBe(2 * N);
      expect(rows.at(-1)!.virtualMs).toBe(0);
    }

    // After the open period the endpoint is healthy again: one probe, and LLM answers resume.
    vi.setSystemTime(Date.now() + 30_000);
    model.sleep = undefined;
    const probe = await timed(N + 4, 0);
    expect(probe.via).toBe('llm');
    expect(model.calls).toBe(2 * N + 1);
    expect(generator.circuit).toBe('closed');

    console.log('LLM breaker drill (fake timers): hung endpoint, timeout %d ms, 1 retry, opens after %d failed questions', TIMEOUT_MS, N);
    console.table(rows);
  });
});
