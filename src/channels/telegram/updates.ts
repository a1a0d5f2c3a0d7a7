import type { Message, MessageEntity, Update } from 'telegraf/types';
import type { CallbackEvent, IncomingMessage, MessageKind, PollAnswerEvent } from '../../bot/types.js';

/** Who we are, from getMe: needed to recognise mentions, replies and "/cmd@bot" in groups. */
export interface BotIdentity {
  id: number;
  username: string;
}

/** Fetches an uploaded file (getFile + download), injected so this module stays HTTP-free. */
export type FileFetcher = (fileId: string) => Promise<Buffer>;

export type MappedUpdate =
  | { type: 'message'; chatId: number; isGroup: boolean; message: IncomingMessage }
  | { type: 'callback'; chatId: number; isGroup: boolean; callbackQueryId: string; event: CallbackEvent }
  | { type: 'callback-orphan'; callbackQueryId: string }
  | { type: 'poll-answer'; event: PollAnswerEvent }
  | { type: 'ignored'; reason: string; chatId?: number };

/**
 * Chats the processor serialises on; updates without a chat share one lane. A poll answer has no
 * chat: `pollChat` tells which chat the poll was sent to, so the answer is ordered with that
 * chat's messages (a "/diem" right after a vote sees the vote).
 */
export function updateChatKey(update: Update, pollChat?: (pollId: string) => string | undefined): string {
  if ('message' in update) return String(update.message.chat.id);
  if ('edited_message' in update) return String(update.edited_message.chat.id);
  if ('callback_query' in update) {
    const m = update.callback_query.message;
    return m ? String(m.chat.id) : `user:${update.callback_query.from.id}`;
  }
  if ('poll_answer' in update) return pollChat?.(update.poll_answer.poll_id) ?? `poll:${update.poll_answer.poll_id}`;
  return 'other';
}

function messageKind(m: Message): MessageKind {
  if ('text' in m) return 'text';
  if ('document' in m) return 'document';
  if ('photo' in m) return 'photo';
  if ('sticker' in m) return 'sticker';
  if ('voice' in m || 'audio' in m || 'video_note' in m) return 'voice';
  if ('location' in m || 'venue' in m) return 'location';
  return 'other';
}

function textAndEntities(m: Message): { text: string; entities: MessageEntity[] } {
  if ('text' in m) return { text: m.text, entities: m.entities ?? [] };
  if ('caption' in m && typeof m.caption === 'string') return { text: m.caption, entities: m.caption_entities ?? [] };
  return { text: '', entities: [] };
}

/**
 * Removes mentions of the bot and the "@bot" suffix of commands. Returns undefined when the
 * message is a command for another bot, which we must not answer. Only "/cmd@ourbot" counts as
 * addressing us: a bare "/cmd" in a group may be meant for another bot, so the core answers it
 * only if it is one of our commands.
 */
function cleanText(rawText: string, entities: MessageEntity[], bot: BotIdentity): { text: string; mentioned: boolean; commandForUs: boolean } | undefined {
  let text = rawText;
  const me = `@${bot.username}`.toLowerCase();
  let mentioned = false;
  let commandForUs = false;
  const cuts: { offset: number; length: number; replacement: string }[] = [];
  for (const e of entities) {
    const slice = text.substr(e.offset, e.length);
    if (e.type === 'mention' && slice.toLowerCase() === me) {
      mentioned = true;
      cuts.push({ offset: e.offset, length: e.length, replacement: '' });
    } else if (e.type === 'text_mention' && e.user.id === bot.id) {
      mentioned = true;
    } else if (e.type === 'bot_command' && e.offset === 0) {
      const at = slice.indexOf('@');
      if (at >= 0) {
        if (slice.slice(at).toLowerCase() !== me) return undefined;
        cuts.push({ offset: e.offset + at, length: e.length - at, replacement: '' });
        commandForUs = true;
      }
    }
  }
  // Without entities (e.g. hand-built updates) fall back to plain matching.
  if (entities.length === 0) {
    const cmd = /^\/[A-Za-z0-9_]+(@\w+)?/.exec(text);
    if (cmd?.[1]) {
      if (cmd[1].toLowerCase() !== me) return undefined;
      commandForUs = true;
      text = text.slice(0, cmd[0].length - cmd[1].length) + text.slice(cmd[0].length);
    }
    const re = new RegExp(`${me.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`, 'gi');
    if (re.test(text)) {
      mentioned = true;
      return { text: text.replace(re, '').replace(/\s+/g, ' ').trim(), mentioned, commandForUs };
    }
  }
  let out = text;
  let limit = Infinity;
  for (const c of cuts.sort((a, b) => b.offset - a.offset)) {
    // Overlapping entities would garble the text; keep the first cut only.
    if (c.offset + c.length > limit) continue;
    limit = c.offset;
    out = out.slice(0, c.offset) + c.replacement + out.slice(c.offset + c.length);
  }
  return { text: out.replace(/[ \t]{2,}/g, ' ').trim(), mentioned, commandForUs };
}

/**
 * Translates a Telegram update into a core event. Edited messages are deliberately ignored:
 * the original was already answered, and answering every edit would double answers and let one
 * message consume several rate-limit slots; users simply send the corrected question.
 */
export function mapUpdate(update: Update, bot: BotIdentity, fetchFile: FileFetcher): MappedUpdate {
  if ('edited_message' in update) return { type: 'ignored', reason: 'edited message', chatId: update.edited_message.chat.id };
  if ('callback_query' in update) {
    const q = update.callback_query;
    const m = q.message;
    if (!m || !('data' in q) || typeof q.data !== 'string') return { type: 'callback-orphan', callbackQueryId: q.id };
    const isGroup = m.chat.type !== 'private';
    return {
      type: 'callback',
      chatId: m.chat.id,
      isGroup,
      callbackQueryId: q.id,
      event: {
        channel: 'telegram',
        chatId: String(m.chat.id),
        chatType: isGroup ? 'group' : 'private',
        userId: String(q.from.id),
        userName: q.from.first_name,
        messageId: String(m.message_id),
        data: q.data,
      },
    };
  }
  if ('poll_answer' in update) {
    const a = update.poll_answer;
    // Votes on behalf of a chat (anonymous admins) cannot be scored for a person.
    if (!a.user || a.user.is_bot || a.voter_chat) return { type: 'ignored', reason: 'poll answer without a user' };
    return {
      type: 'poll-answer',
      event: { pollId: a.poll_id, userId: String(a.user.id), userName: a.user.first_name, optionIds: a.option_ids },
    };
  }
  if (!('message' in update)) return { type: 'ignored', reason: 'unsupported update type' };
  const m = update.message;
  const chatType = m.chat.type;
  if (!m.from || m.from.is_bot) return { type: 'ignored', reason: 'message from a bot', chatId: m.chat.id };
  const isGroup = chatType !== 'private';
  const raw = textAndEntities(m);
  const cleaned = cleanText(raw.text, raw.entities, bot);
  if (!cleaned) return { type: 'ignored', reason: 'command for another bot', chatId: m.chat.id };
  const repliedToUs = 'reply_to_message' in m && m.reply_to_message?.from?.id === bot.id;
  const kind = messageKind(m);
  const message: IncomingMessage = {
    channel: 'telegram',
    chatId: String(m.chat.id),
    chatType: isGroup ? 'group' : 'private',
    userId: String(m.from.id),
    userName: m.from.first_name,
    messageId: String(m.message_id),
    kind,
    text: cleaned.text || undefined,
    addressedToBot: !isGroup || cleaned.mentioned || repliedToUs || cleaned.commandForUs,
  };
  if ('document' in m) {
    const doc = m.document;
    message.document = {
      fileName: doc.file_name ?? 'document',
      sizeBytes: doc.file_size ?? 0,
      download: () => fetchFile(doc.file_id),
    };
  }
  return { type: 'message', chatId: m.chat.id, isGroup, message };
}
