/**
 * What the bot keeps of a Telegram update: the fields mapUpdate() reads, validated, nothing else.
 * The journal holds pending updates on disk until they are answered; storing whole bodies let
 * 100 deliveries of 1 MiB make a 100 MB journal and 724 MB of RSS. zod objects drop unknown keys,
 * so parsing is also slimming. `update_id` must be a safe integer: 1.5 or 1e308 would break
 * ordering, offsets and de-duplication.
 */
import { z } from 'zod';
import type { Update } from 'telegraf/types';

const id = z.number().int().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER);
export const updateIdSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const user = z.object({
  id,
  is_bot: z.boolean(),
  first_name: z.string().max(256),
  username: z.string().max(64).optional(),
  language_code: z.string().max(16).optional(),
});
const chat = z.object({ id, type: z.string().max(32), title: z.string().max(256).optional(), username: z.string().max(64).optional() });
const entity = z.object({ type: z.string().max(64), offset: z.number().int().min(0), length: z.number().int().min(0), user: user.optional() });
/** Kinds the bot only names ("photo", "sticker"…): their content is not kept. */
const MARKERS = ['photo', 'sticker', 'voice', 'audio', 'video_note', 'location', 'venue'] as const;

const message = z
  .object({
    message_id: id,
    date: z.number().int(),
    chat,
    from: user.optional(),
    // Telegram's own limits: 4096 characters of text, 1024 of caption.
    text: z.string().max(4096).optional(),
    entities: z.array(entity).max(500).optional(),
    caption: z.string().max(1024).optional(),
    caption_entities: z.array(entity).max(500).optional(),
    reply_to_message: z.object({ message_id: id, from: user.optional() }).optional(),
    document: z
      .object({
        file_id: z.string().max(512),
        file_unique_id: z.string().max(512).optional(),
        file_name: z.string().max(1024).optional(),
        mime_type: z.string().max(256).optional(),
        file_size: z.number().int().min(0).optional(),
      })
      .optional(),
    ...Object.fromEntries(MARKERS.map((k) => [k, z.unknown().optional()])),
  })
  .transform((m) => {
    const markers = new Set<string>(MARKERS);
    // Absent keys stay absent (mapUpdate() tells kinds apart with `in`); markers become {}.
    return Object.fromEntries(Object.entries(m).filter(([, v]) => v !== undefined).map(([k, v]) => [k, markers.has(k) ? {} : v]));
  });

export const telegramUpdateSchema = z.object({
  update_id: updateIdSchema,
  message: message.optional(),
  edited_message: z.object({ message_id: id, chat }).optional(),
  callback_query: z
    .object({
      id: z.string().max(256),
      from: user,
      data: z.string().max(256).optional(),
      message: z.object({ message_id: id, chat }).optional(),
    })
    .optional(),
  poll_answer: z
    .object({ poll_id: z.string().max(256), user: user.optional(), voter_chat: chat.optional(), option_ids: z.array(z.number().int().min(0)).max(100) })
    .optional(),
});

/** The slim, validated update, or undefined when the body is not a usable update. */
export function slimUpdate(raw: unknown): Update | undefined {
  const parsed = telegramUpdateSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  // Absent optional keys must stay absent: mapUpdate() tells update kinds apart with `in`.
  const out = Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined));
  return out as unknown as Update;
}
