/** Issue 15, item 8 end to end: one /trichdan reply stays one bounded message, whatever the paragraph. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReportAssistant } from '../../src/app/assistant.js';
import { ConversationCore, MAX_CITED_CHARS } from '../../src/bot/core.js';
import { localEmbedderFactory } from '../../src/index/embedder.js';
import { tempDir } from '../helpers.js';

describe('/trichdan on a document with a 662 KB paragraph', () => {
  it('quotes one capped passage instead of the whole paragraph', async () => {
    const root = tempDir('cite-');
    const corpusDir = path.join(root, 'corpus');
    await fs.mkdir(corpusDir);
    const clause = 'tiếp tục củng cố kiện toàn tổ chức bộ máy của hệ thống chính trị ở cơ sở';
    const paragraph = Array.from({ length: 9000 }, (_, i) => `${clause} ${i}`).join(', ');
    await fs.writeFile(path.join(corpusDir, 'dai.txt'), `Báo cáo dài\n\n${paragraph}.`);
    const assistant = await ReportAssistant.open({ corpusDir, indexDir: path.join(root, 'index'), embedderFactory: localEmbedderFactory() });
    const core = await ConversationCore.create({ knowledge: assistant, channel: 'console', rateLimitPerMinute: 0 });
    const base = { channel: 'console' as const, chatId: 'c', chatType: 'private' as const, userId: 'u', kind: 'text' as const, addressedToBot: true };
    const [answer] = await core.handleMessage({ ...base, messageId: '1', text: 'Củng cố kiện toàn tổ chức bộ máy ở cơ sở 4242?' });
    expect(answer?.citations.length).toBeGreaterThan(0);
    const replies = await core.handleMessage({ ...base, messageId: '2', text: '/trichdan 1' });
    const quoted = replies.flatMap((r) => r.blocks.filter((b) => b.kind === 'quote').map((b) => b.text)).join('\n');
    expect(quoted.length).toBeGreaterThan(100);
    expect(quoted.length).toBeLessThanOrEqual(MAX_CITED_CHARS + 2);
  });
});
