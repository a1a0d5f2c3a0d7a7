import { describe, expect, it } from 'vitest';
import type { Reply } from '../../../src/bot/index.js';
import { citationNumberOfButton, renderReply, splitMessage } from '../../../src/channels/zalo/format.js';

describe('splitMessage', () => {
  it('keeps short text whole and NFC-normalises Vietnamese', () => {
    const decomposed = 'Nghi\u0323 quyê\u0301t';
    expect(splitMessage(decomposed)).toEqual(['Nghị quyết']);
  });

  it('splits at paragraph boundaries under the limit', () => {
    const paras = Array.from({ length: 12 }, (_v, i) => `Đoạn ${i + 1}. ${'chữ '.repeat(60).trim()}`);
    const parts = splitMessage(paras.join('\n\n'), 700);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) {
      expect(p.length).toBeLessThanOrEqual(700);
      for (const para of p.split('\n\n')) expect(paras).toContain(para);
    }
    expect(parts.join('\n\n')).toBe(paras.join('\n\n'));
  });

  it('falls back to sentences, words and finally a hard cut that keeps surrogate pairs', () => {
    const sentences = Array.from({ length: 40 }, (_v, i) => `Câu số ${i + 1} nói về kết quả.`).join(' ');
    for (const p of splitMessage(sentences, 100)) {
      expect(p.length).toBeLessThanOrEqual(100);
      expect(p.endsWith('.')).toBe(true);
    }
    const emoji = '😀'.repeat(30);
    const parts = splitMessage(emoji, 7);
    for (const p of parts) {
      expect(p.length).toBeLessThanOrEqual(7);
      expect(p).not.toMatch(/[\uD800-\uDBFF]$/);
    }
    expect(parts.join('')).toBe(emoji);
  });
});

describe('renderReply', () => {
  const reply: Reply = {
    language: 'vi',
    blocks: [{ kind: 'paragraph', text: 'Theo báo cáo, 86/102 xã đã thực hiện **mô hình** [1]; một số nơi còn lúng túng [2].' }],
    citations: [
      { n: 1, title: 'Báo cáo 381-BC/TU', section: 'II › 1', quote: 'Đến nay, 86/102 xã (84,3%) thực hiện mô hình <bí thư> & chủ tịch.' },
      { n: 2, title: 'Báo cáo 381-BC/TU', section: 'III › 2', quote: 'x '.repeat(400) },
    ],
    buttons: [
      { label: '📄 Trích dẫn [1]', data: 'cite:3:1' },
      { label: '📄 Trích dẫn [2]', data: 'cite:3:2' },
    ],
  };

  it('renders plain text with numbered citations and a typed-command stand-in for buttons', () => {
    const parts = renderReply(reply, { sourcesHeading: 'Nguồn:' });
    expect(parts).toHaveLength(1);
    const text = parts[0] ?? '';
    expect(text).toContain('mô hình [1]');
    expect(text).not.toContain('**');
    expect(text).toContain('Nguồn:\n[1] Báo cáo 381-BC/TU › II › 1');
    // Plain text: no HTML escaping of report quotes.
    expect(text).toContain('<bí thư> & chủ tịch');
    expect(text).toContain('[2] Báo cáo 381-BC/TU › III › 2');
    expect(text).toContain('/trichdan 1');
    expect(text).toContain('/trichdan 2');
    expect(text.length).toBeLessThan(1200);
  });

  it('maps citation buttons by data or label', () => {
    expect(citationNumberOfButton('cite:12:3', 'x')).toBe(3);
    expect(citationNumberOfButton('cite:4', 'x')).toBe(4);
    expect(citationNumberOfButton('other', '[5]')).toBe(5);
    expect(citationNumberOfButton('other', 'Mở')).toBeUndefined();
  });

  it('uses a single-citation hint and English hints for English replies', () => {
    const one = renderReply({ ...reply, language: 'en', citations: reply.citations.slice(0, 1), buttons: reply.buttons.slice(0, 1) });
    expect(one.join('\n')).toContain('Type /trichdan 1 to see the passage.');
  });
});
