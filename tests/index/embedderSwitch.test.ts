import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReportAssistant } from '../../src/app/assistant.js';
import { localEmbedderFactory } from '../../src/index/embedder.js';
import { ollamaEmbedderFactory, openAiCompatibleEmbedderFactory } from '../../src/index/remoteEmbedder.js';
import { ingestCorpus } from '../../src/ingest/pipeline.js';
import { startFakeOllama, startFakeOpenAi, type FakeServer } from '../answer/llm/fakeServers.js';

/**
 * Switching the embedder (local → an OpenAI-compatible server → Ollama) rebuilds the index with
 * a reason naming both embedders, batches go out at the configured size, and answering works on
 * the rebuilt index (queries are embedded by the same server).
 */

const Q = 'An Giang có bao nhiêu xã thực hiện mô hình bí thư đồng thời là chủ tịch UBND?';
const silent = pino({ level: 'silent' });
let root: string;
let corpusDir: string;
let indexDir: string;
let openai: FakeServer;
let ollama: FakeServer;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'embed-switch-'));
  corpusDir = path.join(root, 'corpus');
  indexDir = path.join(root, 'index');
  await mkdir(corpusDir, { recursive: true });
  await writeFile(
    path.join(corpusDir, 'an-giang.txt'),
    'Nhân rộng mô hình ở An Giang\n\nThành quả bước đầu\n\nToàn tỉnh An Giang hiện có 119/156 xã, phường, thị trấn (đạt 76,28%) thực hiện mô hình Bí thư cấp ủy đồng thời là Chủ tịch UBND.\n\nLộ trình\n\nĐến năm 2020, tỉnh An Giang sẽ thực hiện nhất thể hóa chức danh ở 156/156 xã, phường, thị trấn.\n',
  );
  await writeFile(
    path.join(corpusDir, 'kon-tum.txt'),
    'Sơ kết mô hình ở Kon Tum\n\nKết quả\n\nTỉnh Kon Tum có 23 xã thực hiện mô hình bí thư đảng ủy đồng thời là chủ tịch UBND xã.\n\nHạn chế\n\nMột số nơi còn lúng túng trong phân công nhiệm vụ.\n',
  );
  openai = await startFakeOpenAi();
  ollama = await startFakeOllama();
});

afterAll(async () => {
  await openai.close();
  await ollama.close();
  await rm(root, { recursive: true, force: true });
});

describe('switching embedders', () => {
  it('local → openai-compatible → ollama → local: each switch rebuilds, with the reason', async () => {
    const local = localEmbedderFactory();
    const first = await ingestCorpus({ corpusDir, indexDir, embedderFactory: local });
    expect(first.rebuilt).toBe(true);
    expect(first.documents).toBe(2);

    const remote = openAiCompatibleEmbedderFactory({ baseURL: openai.url, model: 'emb-fake', batchSize: 2 });
    expect(remote.id).toBe(`openai:emb-fake@127.0.0.1:${openai.port}`);
    const second = await ingestCorpus({ corpusDir, indexDir, embedderFactory: remote });
    expect(second.rebuilt).toBe(true);
    expect(second.wrote).toBe(true);
    expect(second.rebuildReason).toContain(`${local.id} → ${remote.id}`);
    // LangChain batches the chunks at batchSize; every chunk was embedded exactly once.
    expect(openai.embeddingInputs.length).toBeGreaterThan(1);
    expect(openai.embeddingInputs.every((batch) => batch.length <= 2)).toBe(true);
    expect(openai.embeddingInputs.flat()).toHaveLength(second.chunks);
    expect(openai.requests.every((r) => r.body.model === 'emb-fake' && r.body.encoding_format === 'float')).toBe(true);

    const again = await ingestCorpus({ corpusDir, indexDir, embedderFactory: remote });
    expect(again.rebuilt).toBe(false);
    expect(again.wrote).toBe(false);

    const assistant = await ReportAssistant.open({ corpusDir, indexDir, embedderFactory: remote, logger: silent });
    const before = openai.embeddingInputs.length;
    const { answer } = await assistant.ask(Q);
    expect(answer.answered).toBe(true);
    expect(answer.text).toContain('119/156');
    expect(openai.embeddingInputs.length).toBe(before + 1);

    const viaOllama = ollamaEmbedderFactory({ baseURL: ollama.url, model: 'bge-fake', batchSize: 3 });
    expect(viaOllama.id).toBe(`ollama:bge-fake@127.0.0.1:${ollama.port}`);
    const third = await ingestCorpus({ corpusDir, indexDir, embedderFactory: viaOllama });
    expect(third.rebuildReason).toContain(`${remote.id} → ${viaOllama.id}`);
    expect(ollama.requests.every((r) => r.path === '/api/embed')).toBe(true);
    expect(ollama.embeddingInputs.every((batch) => batch.length <= 3)).toBe(true);
    expect(ollama.embeddingInputs.flat()).toHaveLength(third.chunks);
    const overOllama = await ReportAssistant.open({ corpusDir, indexDir, embedderFactory: viaOllama, logger: silent });
    expect((await overOllama.ask(Q)).answer.text).toContain('119/156');

    const back = await ingestCorpus({ corpusDir, indexDir, embedderFactory: local });
    expect(back.rebuilt).toBe(true);
    expect(back.rebuildReason).toContain(`${viaOllama.id} → ${local.id}`);
  });

  it('another model or host is another embedder', () => {
    const a = openAiCompatibleEmbedderFactory({ baseURL: 'http://10.0.0.1:8000/v1', model: 'bge-m3' });
    const b = openAiCompatibleEmbedderFactory({ baseURL: 'http://10.0.0.2:8000/v1', model: 'bge-m3' });
    const c = openAiCompatibleEmbedderFactory({ baseURL: 'http://10.0.0.1:8000/v1', model: 'e5-large' });
    expect(new Set([a.id, b.id, c.id]).size).toBe(3);
  });

  it('a failed embeddings request is retried by LangChain', async () => {
    const before = openai.requests.length;
    openai.failEmbeddings(1);
    const factory = openAiCompatibleEmbedderFactory({ baseURL: openai.url, model: 'emb-fake', maxRetries: 2 });
    const vectors = await factory.create().embeddings.embedDocuments(['mô hình bí thư', 'chủ tịch UBND']);
    expect(vectors).toHaveLength(2);
    expect(openai.requests.length - before).toBe(2);
  });
});
