/**
 * Shapes of the Zalo Bot API, as documented at https://bot.zaloplatforms.com/docs (mirrored in
 * public copies such as github.com/XuanNguyenNB/QuanLyThuChi_Bot_Telegram_Zalom docs/ZALO_BOT_API.md)
 * and as seen in published adapters. The platform is young and its samples disagree with each other
 * (`display_name` vs `first_name`, ids as strings or numbers, getUpdates results with or without
 * `event_name`), so everything coming in goes through `parseUpdate`, which never throws.
 */

export type ZaloChatType = 'PRIVATE' | 'GROUP';

export interface ZaloChat {
  id: string;
  chatType: ZaloChatType;
}

export interface ZaloUser {
  id: string;
  displayName: string;
  isBot: boolean;
}

export interface ZaloMessage {
  messageId: string;
  /** Milliseconds since the epoch (Zalo uses ms, unlike Telegram's seconds). */
  dateMs: number;
  chat: ZaloChat;
  from: ZaloUser;
  text?: string;
  /** Id of the sender of the message this one replies to, when the payload says so. */
  replyToFromId?: string;
  /** User ids mentioned in the message, when the payload lists them. */
  mentionedIds: string[];
}

export const ZALO_EVENTS = {
  text: 'message.text.received',
  image: 'message.image.received',
  sticker: 'message.sticker.received',
  voice: 'message.voice.received',
  unsupported: 'message.unsupported.received',
} as const;

export interface ZaloUpdate {
  /** Empty when the payload had none (some getUpdates samples omit it). */
  eventName: string;
  /** Absent for e.g. `message.unsupported.received` from protected accounts. */
  message?: ZaloMessage;
  /** The payload as received, persisted for replay after a crash. */
  raw: unknown;
}

export interface ZaloBotInfo {
  id: string;
  /** Whatever name the platform gives; used to recognise @mentions in groups. */
  names: string[];
  canJoinGroups?: boolean;
}

export interface SentMessage {
  messageId: string;
  dateMs: number;
}

export interface WebhookInfo {
  url: string;
  updatedAtMs?: number;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function idOf(v: unknown): string | undefined {
  if (typeof v === 'string' && v.trim()) return v.trim();
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/**
 * Webhook bodies and getUpdates results come both bare and wrapped in `{ok, result}`; a few
 * payloads even nest the update list. Returns the bare update object, or undefined.
 */
export function unwrapEnvelope(body: unknown): unknown {
  let cur = body;
  for (let depth = 0; depth < 3; depth++) {
    if (isObject(cur) && 'result' in cur && ('ok' in cur || !('message' in cur || 'event_name' in cur))) {
      cur = cur.result;
      continue;
    }
    break;
  }
  if (Array.isArray(cur)) return cur[0];
  return cur;
}

function parseUser(v: unknown): ZaloUser | undefined {
  if (!isObject(v)) return undefined;
  const id = idOf(v.id);
  if (!id) return undefined;
  const displayName =
    str(v.display_name) ?? str(v.first_name) ?? str(v.name) ?? [str(v.first_name), str(v.last_name)].filter(Boolean).join(' ');
  return { id, displayName: displayName ?? '', isBot: v.is_bot === true };
}

function parseMentions(m: Json): string[] {
  const ids: string[] = [];
  for (const key of ['mentions', 'mention', 'entities']) {
    const list = m[key];
    if (!Array.isArray(list)) continue;
    for (const item of list) {
      if (!isObject(item)) continue;
      const id = idOf(item.id) ?? idOf(item.user_id) ?? idOf(item.uid) ?? (isObject(item.user) ? idOf(item.user.id) : undefined);
      if (id) ids.push(id);
    }
  }
  return ids;
}

function parseReplyTo(m: Json): string | undefined {
  for (const key of ['reply_to_message', 'quote', 'quoted_message']) {
    const r = m[key];
    if (isObject(r)) {
      const from = parseUser(r.from);
      if (from) return from.id;
      const sender = idOf(r.from_id) ?? idOf(r.sender_id);
      if (sender) return sender;
    }
  }
  return undefined;
}

function parseMessage(v: unknown): ZaloMessage | undefined {
  if (!isObject(v)) return undefined;
  const chatRaw = isObject(v.chat) ? v.chat : undefined;
  const from = parseUser(v.from) ?? parseUser(v.sender);
  // A private chat's id is the user's id; fall back to it when the chat object is missing.
  const chatId = idOf(chatRaw?.id) ?? from?.id;
  if (!chatId || !from) return undefined;
  const chatTypeRaw = str(chatRaw?.chat_type)?.toUpperCase() ?? str(chatRaw?.type)?.toUpperCase();
  const chatType: ZaloChatType = chatTypeRaw === 'GROUP' ? 'GROUP' : 'PRIVATE';
  const dateNum = typeof v.date === 'number' ? v.date : Number(v.date);
  const text = str(v.text) ?? str(v.caption);
  const msg: ZaloMessage = {
    // Without an id there is nothing to de-duplicate on; derive one that is stable per payload.
    messageId: idOf(v.message_id) ?? idOf(v.msg_id) ?? `${chatId}:${Number.isFinite(dateNum) ? dateNum : 0}:${text ?? ''}`,
    dateMs: Number.isFinite(dateNum) ? dateNum : Date.now(),
    chat: { id: chatId, chatType },
    from,
    mentionedIds: parseMentions(v),
  };
  if (text !== undefined) msg.text = text;
  const replyTo = parseReplyTo(v);
  if (replyTo) msg.replyToFromId = replyTo;
  return msg;
}

/** Turns any webhook body or getUpdates result into an update; undefined if it is not one. */
export function parseUpdate(body: unknown): ZaloUpdate | undefined {
  const u = unwrapEnvelope(body);
  if (!isObject(u)) return undefined;
  const message = parseMessage(u.message);
  let eventName = str(u.event_name) ?? '';
  if (!eventName && message?.text !== undefined) eventName = ZALO_EVENTS.text;
  if (!eventName && !message) return undefined;
  const update: ZaloUpdate = { eventName, raw: u };
  if (message) update.message = message;
  return update;
}

export function parseBotInfo(v: unknown): ZaloBotInfo {
  const o = isObject(v) ? v : {};
  const names = [o.display_name, o.account_name, o.name, o.first_name, o.username]
    .map(str)
    .filter((s): s is string => Boolean(s && s.trim()))
    .map((s) => s.trim());
  const info: ZaloBotInfo = { id: idOf(o.id) ?? '', names };
  if (typeof o.can_join_groups === 'boolean') info.canJoinGroups = o.can_join_groups;
  return info;
}

export function parseSentMessage(v: unknown): SentMessage {
  const o = isObject(v) ? v : {};
  const date = typeof o.date === 'number' ? o.date : Date.now();
  return { messageId: idOf(o.message_id) ?? '', dateMs: date };
}

export function parseWebhookInfo(v: unknown): WebhookInfo {
  const o = isObject(v) ? v : {};
  const info: WebhookInfo = { url: str(o.url) ?? '' };
  if (typeof o.updated_at === 'number') info.updatedAtMs = o.updated_at;
  return info;
}
