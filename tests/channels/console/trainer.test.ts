import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeKnowledgeBase } from '../../../src/bot/index.js';
import { startConsole } from '../../../src/channels/console/index.js';
import { openStateStore } from '../../../src/state/index.js';
import { TrainerExtension } from '../../../src/trainer/extension.js';
import { useCorpus } from '../../trainer/helpers.js';

const corpus = useCorpus();
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function newStateDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'console-quiz-'));
  dirs.push(dir);
  return dir;
}

async function run(stateDir: string, lines: string[]): Promise<{ out: string; kb: FakeKnowledgeBase }> {
  const input = new PassThrough();
  const output = new PassThrough();
  let out = '';
  output.on('data', (d: Buffer) => (out += d.toString()));
  const kb = new FakeKnowledgeBase();
  // One store per run, closed at its end: the next run is a restart on the same STATE_DIR.
  const store = await openStateStore({ stateDir });
  const extension = await TrainerExtension.create({ snapshot: () => corpus.snapshot, store, channel: 'console' });
  const done = startConsole({ knowledge: kb, input, output, store, extension });
  for (const l of lines) input.write(`${l}\n`);
  input.end();
  await done;
  await store.close();
  return { out, kb };
}

describe('console trainer', () => {
  it('runs a quiz answered by number, and prints cited summaries and comparisons', async () => {
    const { out, kb } = await run(await newStateDir(), ['/quiz', '1', '/tomtat 381-BC/TU', '/sosanh An Giang | Kon Tum: bí thư đồng thời là chủ tịch', '/trogiup']);
    // The question as numbered text, then the reveal with its source.
    // "/quiz" alone is Vietnamese: the alias is not the user's language.
    expect(out).toMatch(/== Câu 1 ==/);
    expect(out).toMatch(/\n1\) .+\n2\) /);
    expect(out).toMatch(/Trả lời bằng số \(1–\d\)/);
    expect(out).toMatch(/(✅ Bạn trả lời đúng!|❌ Bạn chưa đúng\.)/);
    expect(out).toMatch(/Đáp án câu 1: \d\) /);
    expect(out).toMatch(/Nguồn:\n\[1\] .+ — /);
    // Summary: every line carries its section reference.
    expect(out).toMatch(/== Tóm tắt: Báo cáo 381-BC\/TU/);
    expect(out).toMatch(/• .+ \[[IVX]+( › \d+)?\]/);
    // Comparison: figures with numbered sources.
    expect(out).toMatch(/== So sánh: An Giang \| Kon Tum — chủ đề/);
    expect(out).toMatch(/119\/156 xã, phường, thị trấn/);
    expect(out).toMatch(/\[\d\]/);
    expect(out).toMatch(/Nguồn:\n\[1\] .+ — .+\n\[2\] /);
    // /trichdan is offered only for answers (which carry buttons), not for trainer sources.
    expect(out).not.toMatch(/\/trichdan N|\/cite N/);
    expect(out).toMatch(/Tập huấn với báo cáo/);
    expect(out).toMatch(/ví dụ: \/sosanh An Giang \| Kon Tum/);
    expect(kb.asks).toHaveLength(0);
  });

  it('keeps the round and scoreboard across runs with the same state dir', async () => {
    const stateDir = await newStateDir();
    await run(stateDir, ['/kiemtra', '2']);
    const { out } = await run(stateDir, ['/diem', '/ketthuc']);
    expect(out).toMatch(/Bạn: [01]\/1 câu đúng/);
    expect(out).toMatch(/Kết thúc vòng trắc nghiệm/);
  });
});
