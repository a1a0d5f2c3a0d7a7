import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ReportAssistant } from '../../../src/app/assistant.js';
import { generatorFromConfig } from '../../../src/answer/generatorConfig.js';
import { loadConfig } from '../../../src/config.js';
import { localEmbedderFactory } from '../../../src/index/embedder.js';
import { sourceNumberContaining, startFakeOllama, type FakeServer } from './fakeServers.js';

/** LLM_PROVIDER=ollama: ChatOllama against a fake Ollama /api/chat (streamed NDJSON). */

const Q = 'An Giang có bao nhiêu xã thực hiện mô hình bí thư đồng thời là chủ tịch UBND?';
const silent = pino({ level: 'silent' });
let indexDir: string;
let server: FakeServer;

beforeAll(async () => {
  indexDir = await mkdtemp(path.join(tmpdir(), 'llm-ollama-'));
});

afterAll(async () => {
  await rm(indexDir, { recursive: true, force: true });
});

afterEach(async () => {
  await server?.close();
});

describe('ollama provider', () => {
  it('answers via the LLM through ChatOllama, and via the extractive path when Ollama is down', async () => {
    server = await startFakeOllama();
    server.setChat((messages) => ({ content: `An Giang có 119/156 xã, phường, thị trấn thực hiện mô hình [${sourceNumberContaining(messages, '119/156') ?? 1}].` }));
    const generator = generatorFromConfig(loadConfig({ LLM_PROVIDER: 'ollama', OLLAMA_BASE_URL: server.url, LLM_MODEL: 'qwen-fake', LLM_TIMEOUT_MS: '2000' }), silent, { retries: 0 });
    const assistant = await ReportAssistant.open({ corpusDir: 'corpus', indexDir, embedderFactory: localEmbedderFactory(), generator: generator!, logger: silent });
    const up = (await assistant.ask(Q)).answer;
    expect(up.via).toBe('llm');
    expect(up.text).toMatch(/119\/156 .*\[1\]\.$/);
    expect(server.requests[0]!.path).toBe('/api/chat');
    expect(server.requests[0]!.body.model).toBe('qwen-fake');
    await server.close();
    expect((await assistant.ask(Q)).answer.via).toBe('extractive');
  });

  it('ollama without LLM_MODEL is a configuration error', () => {
    expect(() => generatorFromConfig(loadConfig({ LLM_PROVIDER: 'ollama' }), silent)).toThrow(/LLM_MODEL/);
  });
});
