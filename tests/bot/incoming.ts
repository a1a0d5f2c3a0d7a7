import type { IncomingMessage, Reply } from '../../src/bot/types.js';

/** Every block of every reply, as one text. */
export const replyText = (replies: Reply[]): string => replies.flatMap((r) => r.blocks.map((b) => b.text)).join('\n');

let nextId = 1;

/** A group message in chat g1 from user u1 (unaddressed unless the test says so). */
export function groupMessage(partial: Partial<IncomingMessage>): IncomingMessage {
  return {
    channel: 'telegram',
    chatId: 'g1',
    chatType: 'group',
    userId: 'u1',
    userName: 'Lan',
    messageId: String(nextId++),
    kind: 'text',
    addressedToBot: false,
    ...partial,
  };
}
