/**
 * Shapes of the Zalo Bot API, as documented at https://bot.zaloplatforms.com/docs (mirrored in
 * public copies such as github.com/XuanNguyenNB/QuanLyThuChi_Bot_Telegram_Zalom docs/ZALO_BOT_API.md)
 * and as seen in published adapters. The platform is young and its samples disagree with each other
 * (`display_name` vs `first_name`, ids as strings or numbers, getUpdates results with or without
 * `event_name`), so everything coming in is checked with zod here, at the edge: what the bot relies
 * on (an envelope, ids) is required, the rest is read leniently. Nothing here throws; a body that
 * does not fit comes back as `{ malformed: issues }` for the caller to count and skip.
 */

import { z } from 'zod';

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

// --- the wire format, as far as the bot depends on it ---

/** Ids come as strings or numbers; an empty string or a non-finite number is no id. */
const IdSchema = z.union([z.string().trim().min(1), z.number().finite()]).transform((v) => String(v));

/** `{ok:true, result}` or `{ok:false, error_code, description}` (any HTTP status). */
export const EnvelopeSchema = z.object({
  ok: z.boolean(),
  result: z.unknown().optional(),
  error_code: z.unknown().optional(),
  description: z.unknown().optional(),
});
export type Envelope = z.infer<typeof EnvelopeSchema>;

const SenderSchema = z.looseObject({ id: IdSchema });

/** A message must say who sent it and carry an id: without one there is nothing to de-duplicate on. */
const MessageSchema = z
  .looseObject({
    message_id: IdSchema.optional(),
    msg_id: IdSchema.optional(),
    chat: z.looseObject({ id: IdSchema.optional() }).optional(),
    from: SenderSchema.optional(),
    sender: SenderSchema.optional(),
  })
  .refine((m) => m.message_id !== undefined || m.msg_id !== undefined, { message: 'message without message_id' })
  .refine((m) => m.from !== undefined || m.sender !== undefined, { message: 'message without a sender id' });

const UpdateSchema = z
  .looseObject({ event_name: z.string().optional(), message: MessageSchema.optional() })
  .refine((u) => u.event_name !== undefined || u.message !== undefined, { message: 'neither event_name nor message' });

const BotInfoSchema = z.looseObject({ id: IdSchema });
const SentMessageSchema = z.looseObject({ message_id: IdSchema, date: z.number().optional() });
const WebhookInfoSchema = z.looseObject({ url: z.string(), updated_at: z.number().optional() });

/** What a check found wrong, as short "path: message" lines: never the values, which hold user text. */
export type Checked<T> = { value: T } | { malformed: string[] };

function issuesOf(error: z.ZodError): string[] {
  return error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
}

function check<S extends z.ZodType, T>(schema: S, v: unknown, build: (parsed: z.infer<S>, raw: Json) => T): Checked<T> {
  const parsed = schema.safeParse(v);
  if (!parsed.success) return { malformed: issuesOf(parsed.error) };
  return { value: build(parsed.data, v as Json) };
}

export function checkEnvelope(body: unknown): Checked<Envelope> {
  return check(EnvelopeSchema, body, (e) => e);
}

/**
 * Webhook bodies and getUpdates results come both bare and wrapped in `{ok, result}`; a few
 * payloads even nest the update list. Returns the bare update (or list of updates), or the input.
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

/** Builds the message from a payload MessageSchema accepted (ids and sender present). */
function buildMessage(v: Json): ZaloMessage | undefined {
  const chatRaw = isObject(v.chat) ? v.chat : undefined;
  const from = parseUser(v.from) ?? parseUser(v.sender);
  const messageId = idOf(v.message_id) ?? idOf(v.msg_id);
  // A private chat's id is the user's id; fall back to it when the chat object is missing.
  const chatId = idOf(chatRaw?.id) ?? from?.id;
  if (!chatId || !from || !messageId) return undefined;
  const chatTypeRaw = str(chatRaw?.chat_type)?.toUpperCase() ?? str(chatRaw?.type)?.toUpperCase();
  const chatType: ZaloChatType = chatTypeRaw === 'GROUP' ? 'GROUP' : 'PRIVATE';
  const dateNum = typeof v.date === 'number' ? v.date : Number(v.date);
  const text = str(v.text) ?? str(v.caption);
  const msg: ZaloMessage = {
    messageId,
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

/** One bare update (not an envelope, not a list). */
export function checkUpdate(u: unknown): Checked<ZaloUpdate> {
  const checked = check(UpdateSchema, u, (parsed, raw): ZaloUpdate | undefined => {
    const message = isObject(raw.message) ? buildMessage(raw.message) : undefined;
    let eventName = parsed.event_name ?? '';
    if (!eventName && message?.text !== undefined) eventName = ZALO_EVENTS.text;
    if (!eventName && !message) return undefined;
    const update: ZaloUpdate = { eventName, raw };
    if (message) update.message = message;
    return update;
  });
  if ('malformed' in checked) return checked;
  return checked.value ? { value: checked.value } : { malformed: ['(root): no event and no usable message'] };
}

/**
 * A webhook body or getUpdates result: bare or wrapped, one update or a list. Each item is
 * checked alone, so one bad item in a list does not cost the others.
 */
export function checkUpdates(body: unknown): { updates: ZaloUpdate[]; malformed: string[][] } {
  const inner = unwrapEnvelope(body);
  const items = Array.isArray(inner) ? inner : [inner];
  const updates: ZaloUpdate[] = [];
  const malformed: string[][] = [];
  for (const item of items) {
    const checked = checkUpdate(item);
    if ('value' in checked) updates.push(checked.value);
    else malformed.push(checked.malformed);
  }
  return { updates, malformed };
}

/** The first update of any webhook body or getUpdates result; undefined if it holds none. */
export function parseUpdate(body: unknown): ZaloUpdate | undefined {
  return checkUpdates(body).updates[0];
}

export function checkBotInfo(v: unknown): Checked<ZaloBotInfo> {
  return check(BotInfoSchema, v, (parsed, o) => {
    const names = [o.display_name, o.account_name, o.name, o.first_name, o.username]
      .map(str)
      .filter((s): s is string => Boolean(s && s.trim()))
      .map((s) => s.trim());
    const info: ZaloBotInfo = { id: parsed.id, names };
    if (typeof o.can_join_groups === 'boolean') info.canJoinGroups = o.can_join_groups;
    return info;
  });
}

export function checkSentMessage(v: unknown): Checked<SentMessage> {
  return check(SentMessageSchema, v, (parsed) => ({ messageId: parsed.message_id, dateMs: parsed.date ?? Date.now() }));
}

export function checkWebhookInfo(v: unknown): Checked<WebhookInfo> {
  return check(WebhookInfoSchema, v, (parsed) => {
    const info: WebhookInfo = { url: parsed.url };
    if (parsed.updated_at !== undefined) info.updatedAtMs = parsed.updated_at;
    return info;
  });
}
