import { describe, expect, it } from 'vitest';
import { cleanReply, parseRewrite } from '../../../src/answer/llm/generator.js';
import { sanitizeSourceText, type NumberedSource } from '../../../src/answer/llm/sources.js';
import { citationNumbers, isRefusal, numberReadings, verifyAnswer } from '../../../src/answer/llm/verify.js';
import { loadLlmPrompts } from '../../../src/answer/llm/prompts.js';
import type { Chunk } from '../../../src/ingest/types.js';

/** The pure parts of the LLM path: verification, refusal detection, reply clean-up (resilience: resilience.test.ts). */

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
    expect(v.problems).toContainEqual({ kind: 'unsupportedNumber', number: '27.023' });
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

describe('links, sentence support and contradictions', () => {
  const withLink = [source(1, 'Toàn tỉnh An Giang hiện có 119/156 xã, phường, thị trấn (đạt 76,28%) thực hiện mô hình. Xem https://www.angiang.gov.vn/bao-cao/381.'), sources[1]!];
  const figureFacts = { lead: 'An Giang: 119/156 xã.', yesNo: false, unitTokens: ['xa'], places: ['an giang'], wantsTarget: false };
  const q = 'An Giang có bao nhiêu xã thực hiện mô hình?';

  it('a link must occur in a cited source (scheme, www. and case aside)', () => {
    const ok = verifyAnswer({ ...base, sources: withLink, text: 'An Giang có 119/156 xã thực hiện mô hình [1]; xem angiang.gov.vn/bao-cao/381 [1].' });
    expect(ok.problems).toEqual([]);
    const bad = verifyAnswer({ ...base, sources: withLink, text: 'An Giang có 119/156 xã thực hiện mô hình [1]; xem http://angiang.gov.vn/bao-cao/999 [1].' });
    expect(bad.problems).toEqual([{ kind: 'unsupportedUrl', url: 'http://angiang.gov.vn/bao-cao/999' }]);
    // A link only an uncited source has is as unsupported as an invented one.
    expect(verifyAnswer({ ...base, sources: withLink, text: 'Tổng số đảng viên toàn tỉnh là 27.023 đồng chí, xem angiang.gov.vn/bao-cao/381 [2].' }).problems).toEqual([{ kind: 'unsupportedUrl', url: 'angiang.gov.vn/bao-cao/381' }]);
  });

  it('sentence support ignores case, diacritics and NFC/NFD, and uses the sentence\'s own citation', () => {
    const nfd = 'Toàn tỉnh An Giang có 119/156 xã, phường, thị trấn thực hiện mô hình [1].'.normalize('NFD');
    expect(verifyAnswer({ ...base, text: nfd }).problems).toEqual([]);
    expect(verifyAnswer({ ...base, text: 'TOAN TINH AN GIANG co 119/156 xa, phuong, thi tran thuc hien mo hinh [1].' }).problems).toEqual([]);
    // Words of source 2, cited as [1]: not supported by the source the sentence names.
    const wrongSource = verifyAnswer({ ...base, text: 'An Giang có 119/156 xã thực hiện mô hình [1]. Tổng số đảng viên toàn tỉnh là nhiều đồng chí [1].' });
    expect(wrongSource.problems).toEqual([{ kind: 'unsupportedSentence', sentence: 'Tổng số đảng viên toàn tỉnh là nhiều đồng chí.', sources: [1] }]);
    // A marker at the end of the paragraph covers the sentences before it.
    expect(verifyAnswer({ ...base, text: 'Tổng số đảng viên toàn tỉnh là 27.023 đồng chí. Đây là tổng số đảng viên [2].' }).problems).toEqual([]);
  });

  it('an English answer is checked through the glossary and the names it copies', () => {
    const en = { ...base, question: 'How many communes in An Giang apply the model?', language: 'en' as const };
    expect(verifyAnswer({ ...en, text: 'In An Giang, 119 of 156 communes, wards and towns (76.28%) apply the model [1].' }).problems).toEqual([]);
    expect(verifyAnswer({ ...en, text: 'In An Giang, the Central Committee suspended the model in every district and province [1].' }).problems.map((p) => p.kind)).toContain('unsupportedSentence');
  });

  it('another figure for the unit and place asked contradicts the extractive lead; targets and other places do not', () => {
    const s = [source(1, 'Toàn tỉnh An Giang hiện có 119/156 xã thực hiện mô hình; phấn đấu đến năm 2020 có 156/156 xã thực hiện; huyện Châu Phú có 13/13 xã thực hiện mô hình. Có 130 xã thực hiện mô hình theo kế hoạch.')];
    const v = (text: string) => verifyAnswer({ sources: s, question: q, language: 'vi', extractive: figureFacts, text }).problems.map((p) => p.kind);
    expect(v('An Giang có 119/156 xã thực hiện mô hình [1].')).toEqual([]);
    expect(v('An Giang có 119/156 xã thực hiện mô hình, phấn đấu đến năm 2020 có 156/156 xã thực hiện [1].')).toEqual([]);
    expect(v('An Giang có 119/156 xã thực hiện mô hình [1]. Huyện Châu Phú có 13/13 xã thực hiện mô hình [1].')).toEqual([]);
    expect(v('Toàn tỉnh An Giang có 130 xã thực hiện mô hình [1].')).toEqual(['contradictsExtractive']);
    expect(v('Toàn tỉnh có 130 xã thực hiện mô hình [1].')).toEqual(['contradictsExtractive']);
    expect(v('An Giang chưa có xã nào thực hiện mô hình [1].')).toEqual(['contradictsExtractive']);
  });

  it('a yes/no reply must keep the extractive polarity', () => {
    const yes = { lead: 'Có. Toàn tỉnh An Giang hiện có 119/156 xã thực hiện mô hình.', yesNo: true, unitTokens: [], places: ['an giang'], wantsTarget: false };
    const no = { ...yes, lead: 'Chưa. Toàn tỉnh An Giang hiện có 119/156 xã thực hiện mô hình.' };
    const yq = 'An Giang đã thực hiện mô hình ở tất cả các xã chưa?';
    const v = (text: string, extractive = yes) => verifyAnswer({ ...base, question: yq, extractive, text }).problems.map((p) => p.kind);
    expect(v('Có, toàn tỉnh An Giang hiện có 119/156 xã thực hiện mô hình [1].')).toEqual([]);
    expect(v('Chưa. Toàn tỉnh An Giang hiện có 119/156 xã thực hiện mô hình [1].')).toEqual(['contradictsExtractive']);
    expect(v('Chưa. Toàn tỉnh An Giang hiện có 119/156 xã thực hiện mô hình [1].', no)).toEqual([]);
    expect(v('Có. Toàn tỉnh An Giang hiện có 119/156 xã thực hiện mô hình [1].', no)).toEqual(['contradictsExtractive']);
    // The first sentence gives the yes or no; a later one may qualify it.
    expect(v('Có, toàn tỉnh An Giang hiện có 119/156 xã thực hiện mô hình [1]. Các xã, phường, thị trấn khác chưa thực hiện mô hình [1].')).toEqual([]);
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
