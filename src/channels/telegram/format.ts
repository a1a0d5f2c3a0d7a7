import type { Messages } from '../../bot/messages.js';
import type { Reply, ReplyBlock } from '../../bot/types.js';

/** Telegram rejects longer texts; the limit counts characters after entity parsing, so raw HTML length is a safe bound. */
export const TELEGRAM_MAX_MESSAGE_CHARS = 4096;

export interface InlineButton {
  text: string;
  callback_data: string;
}

export interface OutgoingMessage {
  /** HTML (parse_mode HTML). */
  html: string;
  /** Same content without markup, used if Telegram refuses our HTML. */
  plain: string;
  buttons: InlineButton[][];
  replyToMessageId?: number;
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

interface Unit {
  /** Plain text of the unit (escaped at render time). */
  text: string;
  open: string;
  close: string;
  /** Separator placed before this unit when it follows another in the same message. */
  joiner: string;
}

function wrap(kind: ReplyBlock['kind']): { open: string; close: string } {
  switch (kind) {
    case 'heading':
      return { open: '<b>', close: '</b>' };
    case 'quote':
      return { open: '<blockquote>', close: '</blockquote>' };
    case 'notice':
      return { open: '', close: '' };
    case 'code':
      return { open: '<pre>', close: '</pre>' };
    default:
      return { open: '', close: '' };
  }
}

function renderUnit(u: Unit): string {
  return `${u.open}${escapeHtml(u.text)}${u.close}`;
}

/**
 * Cuts an oversized unit into pieces that fit once escaped and wrapped: at line breaks, then
 * sentence ends, then spaces, then (for pathological text) code points. Each piece carries its
 * own open/close tags, so no tag is ever cut.
 */
function splitUnit(u: Unit, maxChars: number): Unit[] {
  const budget = maxChars - u.open.length - u.close.length;
  const fits = (s: string) => escapeHtml(s).length <= budget;
  if (fits(u.text)) return [u];
  const pieces: string[] = [];
  const separators = [/(?<=\n)/, /(?<=[.!?;…])\s+/, /(?<=\s)/];
  const cut = (text: string, level: number): void => {
    if (fits(text)) {
      pieces.push(text);
      return;
    }
    const sep = separators[level];
    const spaced = sep === separators[1];
    const tokens = sep ? text.split(sep) : Array.from(text);
    // Lengths are tracked incrementally: re-escaping the growing piece would be quadratic.
    let current = '';
    let currentLen = 0;
    for (const token of tokens) {
      const tokenLen = escapeHtml(token).length;
      const joinLen = current && spaced ? 1 : 0;
      if (currentLen + joinLen + tokenLen <= budget) {
        current = current ? (spaced ? `${current} ${token}` : current + token) : token;
        currentLen += joinLen + tokenLen;
        continue;
      }
      if (current) pieces.push(current);
      if (tokenLen <= budget) {
        current = token;
        currentLen = tokenLen;
      } else {
        current = '';
        currentLen = 0;
        cut(token, level + 1);
      }
    }
    if (current) pieces.push(current);
  };
  cut(u.text, 0);
  return pieces
    .map((p) => p.trim())
    .filter(Boolean)
    .map((text, i) => ({ ...u, text, joiner: i === 0 ? u.joiner : '\n' }));
}

/**
 * Renders a core Reply as one or more HTML messages under Telegram's limit, splitting only at
 * block (paragraph) boundaries unless a single block is itself too long. Citation buttons go on
 * the last message, the reply-to on the first.
 */
export function renderReply(reply: Reply, messages: Messages, maxChars = TELEGRAM_MAX_MESSAGE_CHARS): OutgoingMessage[] {
  const units: Unit[] = reply.blocks.map((b) => ({ text: b.text, ...wrap(b.kind), joiner: '\n\n' }));
  if (reply.citations.length > 0) {
    units.push({ text: messages.t(reply.language, 'citationsHeading'), open: '<b>', close: '</b>', joiner: '\n\n' });
    for (const c of reply.citations) {
      const line = c.section ? `[${c.n}] ${c.title} — ${c.section}` : `[${c.n}] ${c.title}`;
      units.push({ text: line, open: '', close: '', joiner: '\n' });
    }
  }
  const pieces = units.flatMap((u) => splitUnit(u, maxChars));

  const out: { html: string; plain: string }[] = [];
  let html = '';
  let plain = '';
  for (const p of pieces) {
    const h = renderUnit(p);
    if (html && html.length + p.joiner.length + h.length > maxChars) {
      out.push({ html, plain });
      html = '';
      plain = '';
    }
    html = html ? html + p.joiner + h : h;
    plain = plain ? plain + p.joiner + p.text : p.text;
  }
  if (html) out.push({ html, plain });

  const rows: InlineButton[][] = [];
  for (let i = 0; i < reply.buttons.length; i += 3) {
    rows.push(reply.buttons.slice(i, i + 3).map((b) => ({ text: b.label, callback_data: b.data })));
  }
  const replyTo = reply.replyToMessageId !== undefined ? Number(reply.replyToMessageId) : undefined;
  return out.map((m, i) => ({
    html: m.html,
    plain: m.plain.slice(0, maxChars),
    buttons: i === out.length - 1 ? rows : [],
    replyToMessageId: i === 0 && Number.isFinite(replyTo) ? replyTo : undefined,
  }));
}
