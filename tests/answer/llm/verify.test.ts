import { describe, expect, it } from 'vitest';
import { cleanReply, parseRewrite } from '../../../src/answer/llm/generator.js';
import { CircuitBreaker, withRetries } from '../../../src/answer/llm/resilience.js';
import { sanitizeSourceText, type NumberedSource } from '../../../src/answer/llm/sources.js';
import { citationNumbers, isRefusal, numberReadings, verifyAnswer } from '../../../src/answer/llm/verify.js';
import { loadLlmPrompts } from '../../../src/answer/llm/prompts.js';
import type { Chunk } from '../../../src/ingest/types.js';

/** The pure parts of the LLM path: verification, refusal detection, reply clean-up, breaker. */

function source(n: number, text: string, title = 'Báo cáo số 381-BC/TU ngày 20/5/2019', section = 'I. Kết quả'): NumberedSource {
  const chunk: Chunk = { id: `c${n}`, text, metadata: { documentId: `d${n}`, sectionPath: [section], kind: 'body', footnoteRefs: [], charStart: 0, charEnd: text.length, ordinal: 0 } };
  return { n, chunk, title, section, text };
}

const sources = [
  source(1, 'Toàn tỉnh An Giang hiện có 119/156 xã, phường, thị trấn (đạt 76,28%) thực hiện mô hình.'),
  source(2, 'Tổng số đảng viên toàn tỉnh là 27.023 đồng chí.'),
];
const base = { sources, question: 'An Giang có bao nhiêu xã thực hiện mô hình, bao nhiêu đảng viên?', language: 'vi' as const };

describe('numberReadings', () => {
  it('treats Vietnamese and English spellings of one figure alike', () => {
    expect(numberReadings('76,28')).toContain('76.28');
    expect(numberReadings('76.28')).toContain('76.28');
    expect(numberReadings('27.023')).toContain('27023');
    expect(numberReadings('27,023')).toContain('27023');
    expect(numberReadings('27023')).toEqual(['27023']);
    expect(numberReadings('09')).toEqual(['9']);
  });
});

describe('verifyAnswer', () => {
  it('accepts figures copied in either convention, with citations', () => {
    const v = verifyAnswer({ ...base, text: 'An Giang có 119/156 xã (76.28%) [1]; toàn tỉnh có 27023 đảng viên [2].' });
    expect(v.problems).toEqual([]);
    expect(v.cited).toEqual([1, 2]);
  });

  it('accepts numbers from the cited source title (report number, date)', () => {
    expect(verifyAnswer({ ...base, text: 'Theo Báo cáo 381-BC/TU ngày 20/5/2019, An Giang có 119/156 xã [1].' }).ok).toBe(true);
  });

  it('flags a figure that only an uncited source has', () => {
    const v = verifyAnswer({ ...base, text: 'An Giang có 119/156 xã và 27.023 đảng viên [1].' });
    expect(v.problems).toEqual([{ kind: 'unsupportedNumber', number: '27.023' }]);
  });

  it('flags invented numbers, dangling citations, missing citations, empty and off-topic replies', () => {
    expect(verifyAnswer({ ...base, text: 'An Giang có 120 xã [1].' }).problems).toEqual([{ kind: 'unsupportedNumber', number: '120' }]);
    expect(verifyAnswer({ ...base, text: 'An Giang có 119/156 xã [1][7].' }).problems).toEqual([{ kind: 'danglingCitation', n: 7 }]);
    expect(verifyAnswer({ ...base, text: 'An Giang có 119/156 xã.' }).problems).toEqual([{ kind: 'noCitation' }]);
    expect(verifyAnswer({ ...base, text: '[1]' }).problems).toEqual([{ kind: 'empty' }]);
    expect(verifyAnswer({ ...base, text: 'HACKED [1]' }).problems).toEqual([{ kind: 'offTopic' }]);
  });

  it('does not read citation markers as figures; expands "[1, 2]" and "[1-2]"', () => {
    expect(citationNumbers('a [1, 2] b [2-3] c [4][5]')).toEqual([1, 2, 2, 3, 4, 5]);
    expect(verifyAnswer({ ...base, text: 'An Giang có 119/156 xã; toàn tỉnh có 27.023 đảng viên [1, 2].' }).ok).toBe(true);
  });
});

describe('isRefusal', () => {
  const vi = loadLlmPrompts().vi;
  const en = loadLlmPrompts().en;
  it('recognises the refusal sentence and short paraphrases, not cited answers', () => {
    expect(isRefusal(vi.refusal, vi.refusalMarkers, vi.refusal)).toBe(true);
    expect(isRefusal('Xin lỗi, tôi không biết.', vi.refusalMarkers, vi.refusal)).toBe(true);
    expect(isRefusal("I don't know.", en.refusalMarkers, en.refusal)).toBe(true);
    expect(isRefusal('An Giang có 119/156 xã [1]; các nguồn không có thông tin về năm 2021 [1].', vi.refusalMarkers, vi.refusal)).toBe(false);
  });
});

describe('cleanReply / parseRewrite / sanitizeSourceText', () => {
  it('removes Markdown, reasoning and a trailing source list', () => {
    expect(cleanReply('<think>x</think>**An Giang** có 119/156 xã [1].\n\nNguồn:\n[1] Báo cáo — Mục I')).toBe('An Giang có 119/156 xã [1].');
  });
  it('takes the question out of a labelled, quoted reply', () => {
    expect(parseRewrite('Câu hỏi độc lập: “Kon Tum có bao nhiêu xã?”\nGiải thích: ...')).toBe('Kon Tum có bao nhiêu xã?');
    expect(parseRewrite('  ')).toBeUndefined();
  });
  it('strips block delimiters from document text', () => {
    expect(sanitizeSourceText('a </nguon> b <nguon> c </Sources> d <history>')).not.toMatch(/<\/?\s*(nguon|sources|history)/i);
  });
});

describe('CircuitBreaker', () => {
  it('opens after N failures, lets one probe through after the open period, closes on success', () => {
    let now = 0;
    const b = new CircuitBreaker({ failureThreshold: 3, openMs: 30_000, now: () => now });
    for (let i = 0; i < 3; i++) {
      expect(b.tryAcquire()).toBe(true);
      b.onFailure();
    }
    expect(b.state).toBe('open');
    expect(b.tryAcquire()).toBe(false);
    now = 30_000;
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false);
    b.onFailure();
    expect(b.state).toBe('open');
    now = 60_000;
    expect(b.tryAcquire()).toBe(true);
    b.onSuccess();
    expect(b.state).toBe('closed');
    expect(b.tryAcquire()).toBe(true);
  });
});

describe('withRetries', () => {
  it('retries transient errors a bounded number of times, not client errors', async () => {
    let calls = 0;
    await expect(withRetries(async () => { calls++; throw Object.assign(new Error('boom'), { status: 503 }); }, { timeoutMs: 1_000, retries: 2, backoffMs: 1 })).rejects.toThrow('boom');
    expect(calls).toBe(3);
    calls = 0;
    await expect(withRetries(async () => { calls++; throw Object.assign(new Error('bad'), { status: 401 }); }, { timeoutMs: 1_000, retries: 2, backoffMs: 1 })).rejects.toThrow('bad');
    expect(calls).toBe(1);
    calls = 0;
    expect(await withRetries(async () => (++calls < 2 ? Promise.reject(new Error('reset')) : 'ok'), { timeoutMs: 1_000, retries: 2, backoffMs: 1 })).toBe('ok');
  });
});
