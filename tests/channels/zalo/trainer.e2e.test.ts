import { afterEach, describe, expect, it } from 'vitest';
import type { StateStore } from '../../../src/state/index.js';
import { TrainerExtension } from '../../../src/trainer/extension.js';
import { useCorpus } from '../../trainer/helpers.js';
import { textUpdate } from './fakeZaloApi.js';
import { delay, startHarness, type Harness } from './harness.js';

/** The trainer on the Zalo channel: numbered options, answers typed as numbers. */

const corpus = useCorpus();

const extension = (store: StateStore) => TrainerExtension.create({ snapshot: () => corpus.snapshot, store, channel: 'zalo' });

describe('Zalo trainer', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('/kiemtra then "2" scores; the scoreboard survives a restart', async () => {
    h = await startHarness({ extension });
    const { api } = h;
    const texts = () => api.textsTo('u-alice');
    api.push(textUpdate({ text: '/kiemtra An Giang' }));
    await api.waitFor(() => texts().some((t) => t.includes('Trả lời bằng số')), 5000, 'question');
    const question = texts().find((t) => t.includes('Trả lời bằng số'))!;
    expect(texts()[0]).toMatch(/Bắt đầu vòng trắc nghiệm về «An Giang»/);
    expect(question).toMatch(/Câu 1/);
    expect(question).toMatch(/1\) .+\n2\) /);

    const before = texts().length;
    api.push(textUpdate({ text: '2' }));
    await api.waitFor(() => texts().length > before && texts().some((t) => t.includes('Đáp án câu 1')), 5000, 'reveal');
    const reveal = texts().slice(before).join('\n');
    const answerNumber = Number(/Đáp án câu 1: (\d+)\)/.exec(reveal)?.[1]);
    const right = answerNumber === 2;
    expect(reveal).toMatch(right ? /✅ Alice trả lời đúng/ : /❌ Alice chưa đúng/);
    // The reveal quotes its source.
    expect(reveal).toMatch(/Nguồn:\n\[1\] /);
    expect(h.knowledge.asks).toHaveLength(0);

    const score = new RegExp(`Alice: ${right ? 1 : 0}/1 câu đúng`);
    api.push(textUpdate({ text: '/diem' }));
    await api.waitFor(() => texts().some((t) => t.includes('Bảng điểm')), 5000, '/diem');
    expect(texts().at(-1)).toMatch(score);

    await h.restart();
    const count = texts().length;
    api.push(textUpdate({ text: '/diem' }));
    await api.waitFor(() => texts().length > count, 5000, '/diem after restart');
    expect(texts().at(-1)).toMatch(/Bảng điểm \(1 câu\)/);
    expect(texts().at(-1)).toMatch(score);
  });

  it('in groups takes bare numbers as answers while a question is open, and ignores other chatter', async () => {
    h = await startHarness({ extension });
    const { api } = h;
    const group = (text: string, userId: string, displayName: string) => textUpdate({ text, chatId: 'g-team', chatType: 'GROUP', userId, displayName });
    const texts = () => api.textsTo('g-team');
    api.push(group('/kiemtra', 'u-bob', 'Bob'));
    await api.waitFor(() => texts().some((t) => t.includes('Trả lời bằng số')), 5000, 'question');
    const count = texts().length;
    api.push(group('Chào cả nhóm', 'u-carol', 'Carol'));
    api.push(group('2', 'u-carol', 'Carol'));
    await api.waitFor(() => texts().length > count, 5000, 'recorded');
    await delay(100);
    expect(texts().slice(count)).toEqual(['Đã ghi nhận câu trả lời của Carol.']);
    expect(h.knowledge.asks).toHaveLength(0);
    api.push(group('/diem', 'u-bob', 'Bob'));
    await api.waitFor(() => texts().some((t) => t.includes('Bảng điểm')), 5000, '/diem');
    expect(texts().at(-1)).toMatch(/Carol: [01]\/1 câu đúng/);
  });
});
