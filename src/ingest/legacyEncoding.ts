import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/**
 * Old Vietnamese 8-bit encodings. Many reports typed before Unicode became the rule (and Word
 * files still set in .VnTime or VNI-Times fonts) carry TCVN3 (ABC) or VNI text: read with a
 * Latin-1 reader, "Báo cáo" shows as "B¸o c¸o" (TCVN3) or "Baùo caùo" (VNI). The mapping is data
 * (lexicon/legacy-encodings.json, generated from published tables); detection and conversion
 * work line by line, so a document mixing Unicode and legacy paragraphs comes out whole.
 */

export type LegacyEncoding = 'tcvn3' | 'vni';

const TableSchema = z.object({ tcvn3: z.record(z.string(), z.string()), vni: z.record(z.string(), z.string()) });

interface Tables {
  tcvn3: Map<string, string>;
  /** VNI sequences, two-character ones first so "aø" wins over "a". */
  vniPattern: RegExp;
  vni: Map<string, string>;
}

let tables: Tables | undefined;

function load(): Tables {
  if (tables) return tables;
  const raw: unknown = JSON.parse(readFileSync(fileURLToPath(new URL('../../lexicon/legacy-encodings.json', import.meta.url)), 'utf8'));
  const parsed = TableSchema.parse(raw);
  const vniKeys = Object.keys(parsed.vni).sort((a, b) => b.length - a.length);
  tables = {
    tcvn3: new Map(Object.entries(parsed.tcvn3)),
    vni: new Map(Object.entries(parsed.vni)),
    vniPattern: new RegExp(vniKeys.map((k) => k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'gu'),
  };
  return tables;
}

/** Latin-1 letters Vietnamese never uses: in a line with no other non-ASCII text they betray a legacy encoding. */
const FOREIGN_LATIN1 = /[\u00a1-\u00bf\u00c4-\u00c7\u00cb\u00ce-\u00d1\u00d6-\u00d8\u00db\u00dc\u00de-\u00df\u00e4-\u00e7\u00eb\u00ee-\u00f1\u00f6-\u00f8\u00fb\u00fc\u00fe\u00ff]/u;
/** Unicode Vietnamese letters outside Latin-1 (ă, đ, ơ, ư, ạ…ỹ): such a line is already Unicode. */
const UNICODE_VIETNAMESE = /[\u0102\u0103\u0110\u0111\u0128\u0129\u0168\u0169\u01a0\u01a1\u01af\u01b0\u1ea0-\u1ef9]/u;
/** Characters that only TCVN3 puts in running text: its most frequent letters (á à ả ã ạ ă â ê ô ơ ư đ). */
const TCVN3_SIGNAL = /[\u00a1-\u00bf]/gu;
/** VNI's mark bytes after a vowel, and its single-byte ơ ư đ. */
const VNI_SIGNAL = /[aeiouyAEIOUY][ùøûõïâáàåãäêéèúüëÙØÛÕÏÂÁÀÅÃÄÊÉÈÚÜË]|[ôöñÔÖÑ]/gu;

const LATIN1_LETTER = /[\u00a1-\u00ff]/u;

/** Evidence for detection: Latin-1 letters Vietnamese never uses, and no Unicode Vietnamese. */
function isLegacyLine(line: string): boolean {
  return FOREIGN_LATIN1.test(line) && !UNICODE_VIETNAMESE.test(line);
}

/**
 * Once a document is known to be legacy-encoded, every line with Latin-1 letters and no Unicode
 * Vietnamese is converted: a short cell such as "QuÕ" (Quế) uses only letters Unicode
 * Vietnamese also has, so it gives no evidence of its own.
 */
function isConvertibleLine(line: string): boolean {
  return LATIN1_LETTER.test(line) && !UNICODE_VIETNAMESE.test(line);
}

/** Which legacy encoding the text's legacy-looking lines are in, if any. */
export function detectLegacyEncoding(text: string): LegacyEncoding | undefined {
  let tcvn = 0;
  let vni = 0;
  let lines = 0;
  for (const line of text.split('\n')) {
    if (!isLegacyLine(line)) continue;
    lines++;
    tcvn += line.match(TCVN3_SIGNAL)?.length ?? 0;
    vni += line.match(VNI_SIGNAL)?.length ?? 0;
  }
  // A stray "©" or "½" is not an encoding: ask for a few letters' worth of evidence.
  if (!lines || Math.max(tcvn, vni) < 3) return undefined;
  return tcvn >= vni ? 'tcvn3' : 'vni';
}

function convertLine(line: string, encoding: LegacyEncoding): string {
  const t = load();
  if (encoding === 'tcvn3') {
    // TCVN3 has no codes for most toned capitals: capitals are set in a ".VnTimeH" font with the
    // lower-case codes. A line (or table cell) whose plain letters are all capitals was such text.
    return line
      .split('\t')
      .map((part) => {
        const out = [...part].map((c) => t.tcvn3.get(c) ?? c).join('');
        return !/[a-z]/.test(part) && (part.match(/[A-Z]/g)?.length ?? 0) >= 3 ? out.toUpperCase() : out;
      })
      .join('\t');
  }
  return line.replace(t.vniPattern, (m) => t.vni.get(m) ?? m);
}

/**
 * Converts the legacy-encoded lines of `text` to Unicode (NFC) and leaves Unicode lines alone.
 * Returns the text unchanged when no legacy encoding is detected. Line count is preserved.
 */
export function convertLegacyText(text: string, encoding = detectLegacyEncoding(text)): { text: string; encoding?: LegacyEncoding } {
  if (!encoding) return { text };
  const out = text
    .split('\n')
    .map((line) => (isConvertibleLine(line) ? convertLine(line, encoding).normalize('NFC') : line))
    .join('\n');
  return { text: out, encoding };
}
