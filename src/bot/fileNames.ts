/**
 * Upload names come from the chat platform and are hostile until cleaned: they may carry NUL and
 * other control characters, right-to-left overrides that make "gpj.exe" read as "exe.jpg",
 * decomposed (NFD) Vietnamese that would be saved as "Ba_o ca_o", dot-names that the corpus
 * walker hides, and lengths beyond what the file system takes. Every name is cleaned here once;
 * the cleaned form is what is stored and what replies echo.
 */
import { createHash } from 'node:crypto';

/** Longest stem kept (characters and UTF-8 bytes); the rest of a name is cut, with a short hash. */
export const MAX_STEM_CHARS = 100;
export const MAX_STEM_BYTES = 160;

export type UploadName = { ok: true; name: string; stem: string; ext: string } | { ok: false; reason: string; display: string };

/** Control, format (bidi overrides, zero-width), separator and private-use characters go. */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Zl}\p{Zp}]/gu;

/** A name fit to show in a reply: NFC, no invisible or control characters, bounded length. */
export function displayFileName(raw: string): string {
  const base = raw.normalize('NFC').split(/[\\/]/).pop() ?? '';
  const visible = base.replace(INVISIBLE, '').replace(/\s+/gu, ' ').trim();
  const chars = [...visible];
  return chars.length > MAX_STEM_CHARS + 10 ? `${chars.slice(0, MAX_STEM_CHARS).join('')}…` : visible || 'document';
}

function shortenStem(stem: string, fullName: string): string {
  const chars = [...stem];
  if (chars.length <= MAX_STEM_CHARS && Buffer.byteLength(stem) <= MAX_STEM_BYTES) return stem;
  // Different long names sharing a prefix stay different: a hash of the whole name is appended.
  const tag = createHash('sha256').update(fullName).digest('hex').slice(0, 8);
  let kept = '';
  for (const c of chars) {
    const next = kept + c;
    if ([...next].length > MAX_STEM_CHARS - 9 || Buffer.byteLength(next) > MAX_STEM_BYTES - 9) break;
    kept = next;
  }
  // Prefer to cut between words.
  const atWord = kept.replace(/[ _-][^ _-]*$/u, '');
  const head = (atWord.length >= kept.length / 2 ? atWord : kept).replace(/[ ._-]+$/u, '');
  return `${head}-${tag}`;
}

/**
 * The name an upload is stored under, or why it is refused. Letters (any script), digits, marks,
 * space, "._-()" are kept; anything else becomes "_". The extension is lower-cased so that
 * "Báo cáo.TXT" and "Báo cáo.txt" are one name.
 */
export function normalizeUploadName(raw: string): UploadName {
  const display = displayFileName(raw);
  const base = (raw.normalize('NFC').split(/[\\/]/).pop() ?? '').replace(INVISIBLE, '').trim();
  if (base.startsWith('.')) {
    return { ok: false, display, reason: 'tên tệp bắt đầu bằng dấu chấm (tệp ẩn) không được nhận; hãy đổi tên / names starting with a dot are not accepted' };
  }
  const cleaned = base.replace(/[^\p{L}\p{M}\p{N}._ ()-]/gu, '_').replace(/\s+/gu, ' ');
  const dot = cleaned.lastIndexOf('.');
  const ext = dot > 0 ? cleaned.slice(dot).toLowerCase() : '';
  const stem = (dot > 0 ? cleaned.slice(0, dot) : cleaned).replace(/[ .]+$/u, '').trim();
  if (!stem || !/[\p{L}\p{N}]/u.test(stem)) {
    return { ok: false, display, reason: 'tên tệp không có chữ hoặc số; hãy đổi tên / the file name has no letters or digits' };
  }
  const short = shortenStem(stem, cleaned);
  return { ok: true, name: `${short}${ext}`, stem: short, ext };
}
