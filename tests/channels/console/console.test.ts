import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { FakeKnowledgeBase } from '../../../src/bot/index.js';
import { startConsole } from '../../../src/channels/console/index.js';

function collect(stream: PassThrough): () => string {
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return () => text;
}

describe('console chat', () => {
  it('answers questions with plain-text citations, serves commands, exits on /thoat', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const read = collect(output);
    const kb = new FakeKnowledgeBase();
    const done = startConsole({ knowledge: kb, input, output });
    input.write('Kon Tum thực hiện mô hình bí thư đồng thời chủ tịch xã thế nào?\n');
    input.write('/trichdan 2\n');
    input.write('/nguon\n');
    input.write('/trogiup\n');
    input.write('còn An Giang thì sao?\n');
    input.write('/thoat\n');
    input.write('Câu này không được trả lời\n');
    await done;
    const out = read();
    expect(out).toContain('Trợ lý Báo cáo — chế độ dòng lệnh');
    expect(out).toContain('86/102 xã');
    expect(out).toContain('Nguồn:\n[1] Báo cáo số 381-BC/TU ngày 20/3/2019 của Tỉnh ủy Kon Tum — II. Kết quả thực hiện');
    expect(out).toContain('Gõ /trichdan N');
    expect(out).toContain('> Một số nơi còn lúng túng trong phân định nhiệm vụ giữa <cấp ủy> & chính quyền.');
    expect(out).toContain('Các tài liệu hiện có (2)');
    expect(out).toContain('/trichdan (/cite)');
    expect(out).not.toMatch(/<b>|&lt;/);
    expect(out).toContain('Tạm biệt!');
    expect(kb.asks.map((a) => a.question)).toEqual([
      'Kon Tum thực hiện mô hình bí thư đồng thời chủ tịch xã thế nào?',
      'còn An Giang thì sao?',
    ]);
    expect(kb.asks[1]?.history).toHaveLength(1);
  });

  it('exits cleanly on end of input (Ctrl-D)', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const read = collect(output);
    const done = startConsole({ knowledge: new FakeKnowledgeBase(), input, output });
    input.write('/nguon\n');
    input.end();
    await done;
    expect(read()).toContain('381-BC/TU');
    expect(read()).toContain('Tạm biệt!');
  });
});
