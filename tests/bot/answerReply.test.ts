import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConversationCore, type IncomingMessage } from '../../src/bot/index.js';
import { corpusAssistant } from '../helpers.js';

// The reply a chat shows for a real answer: the lead first (a heading block, bold in Telegram),
// then the quoted evidence, and citations under short labels rather than 250-character titles.

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reply-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const msg = (text: string): IncomingMessage => ({
  channel: 'console',
  chatId: 'c1',
  chatType: 'private',
  userId: 'u1',
  messageId: String(Math.random()),
  kind: 'text',
  addressedToBot: true,
  text,
});

describe('answer replies', () => {
  it('lead first, then evidence, with short citation labels', async () => {
    const core = await ConversationCore.create({ knowledge: await corpusAssistant(), channel: 'console', stateDir: dir, rateLimitPerMinute: 100 });
    const [reply] = await core.handleMessage(msg('An Giang có bao nhiêu xã thực hiện mô hình bí thư đồng thời là chủ tịch UBND?'), {});
    expect(reply!.blocks[0]).toMatchObject({ kind: 'heading' });
    expect(reply!.blocks[0]!.text).toContain('119/156');
    expect(reply!.blocks.slice(1).some((b) => b.text.includes('«'))).toBe(true);
    const c = reply!.citations[0]!;
    expect(c.title.length).toBeLessThan(120);
    expect(c.title).toMatch(/TTXVN/);
  });

  it('a refusal is one short paragraph, not a heading', async () => {
    const core = await ConversationCore.create({ knowledge: await corpusAssistant(), channel: 'console', stateDir: dir, rateLimitPerMinute: 100 });
    const [reply] = await core.handleMessage(msg('Giá vàng hôm nay là bao nhiêu?'), {});
    expect(reply!.blocks).toHaveLength(1);
    expect(reply!.blocks[0]!.kind).not.toBe('heading');
    expect(reply!.citations).toHaveLength(0);
  });
});
