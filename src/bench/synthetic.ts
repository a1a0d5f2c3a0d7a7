import { promises as fs } from 'node:fs';
import path from 'node:path';
import { loadText } from '../ingest/loaders/text.js';
import { buildDocument } from '../ingest/structure.js';
import { splitSentences } from '../ingest/sentences.js';
import { documentNumberRe } from '../ingest/documentTypes.js';
import { placeMarkers } from '../ingest/places.js';
import { Rng } from './rng.js';

/**
 * Deterministic synthetic corpus for scale benchmarks, generated from the real reports'
 * structure and vocabulary. Sentences come from an order-2 word Markov chain trained on the
 * reports' body text (so word co-occurrences look like the reports but passages are not copies),
 * figures are re-drawn, places are rotated through a list of provinces, and every file uses the
 * Word-export .txt layout the loader expects: header block, Roman/numbered sections, footnote
 * marks as line breaks before the punctuation, the footnote list at the end starting with U+FFFD.
 *
 * The synthetic documents are other places' reports: every place the real reports name (found
 * after a place marker from lexicon/places.json, "tỉnh …", "huyện …", or from the lists below) is
 * rewritten in the learned text, synthetic files are about places the real reports never name, and
 * their document numbers are never the real ones. A synthetic "report of the same province" with
 * re-drawn figures would be a rival source that legitimately changes the answer (the newest report
 * wins), so it could not measure whether answers degrade as the corpus grows; distractors from
 * other places can.
 *
 * Chunk-count control: every paragraph is kept between PARAGRAPH_MIN_CHARS and
 * PARAGRAPH_MAX_CHARS, so the section-aware chunker (700-char target, paragraph boundaries
 * preferred) turns each paragraph into exactly one chunk and each footnote into one more. The
 * expected count is therefore paragraphs + footnotes; the bench reports the count ingest saw.
 */

export const DEFAULT_SEED = 20_240_601;
const PARAGRAPH_MIN_CHARS = 380;
const PARAGRAPH_MAX_CHARS = 680;
const CHUNKS_PER_FILE = 200;
const END = '\u0000';

const PROVINCES = [
  'Kon Tum', 'An Giang', 'Hà Tĩnh', 'Gia Lai', 'Đắk Lắk', 'Lâm Đồng', 'Quảng Nam', 'Quảng Ngãi', 'Bình Định', 'Phú Yên',
  'Khánh Hòa', 'Ninh Thuận', 'Bình Thuận', 'Đồng Tháp', 'Tiền Giang', 'Bến Tre', 'Vĩnh Long', 'Trà Vinh', 'Sóc Trăng', 'Bạc Liêu',
  'Cà Mau', 'Kiên Giang', 'Hậu Giang', 'Long An', 'Tây Ninh', 'Bình Phước', 'Lào Cai', 'Yên Bái', 'Hà Giang', 'Cao Bằng',
  'Lạng Sơn', 'Bắc Kạn', 'Thái Nguyên', 'Tuyên Quang', 'Phú Thọ', 'Sơn La', 'Điện Biên', 'Lai Châu', 'Hòa Bình', 'Nghệ An',
];
const DISTRICTS = [
  'Đăk Hà', 'Sa Thầy', 'Ngọc Hồi', 'Châu Phú', 'Tri Tôn', 'Tịnh Biên', 'Đức Thọ', 'Can Lộc', 'Hương Sơn', 'Krông Pắc',
  'Ea Kar', 'Di Linh', 'Bảo Lâm', 'Núi Thành', 'Tư Nghĩa', 'Phù Cát', 'Tuy An', 'Vạn Ninh', 'Ninh Hải', 'Tuy Phong',
  'Cao Lãnh', 'Cái Bè', 'Mỏ Cày', 'Long Hồ', 'Cầu Kè', 'Mỹ Tú', 'Hồng Dân', 'Năm Căn', 'Giồng Riềng', 'Phụng Hiệp',
];
const DOC_TYPES = ['BÁO CÁO', 'BÁO CÁO', 'BÁO CÁO', 'KẾ HOẠCH', 'TỜ TRÌNH', 'THÔNG BÁO'];
const ISSUER_KINDS = ['TỈNH UỶ', 'HUYỆN UỶ', 'ĐẢNG UỶ KHỐI CƠ QUAN', 'BAN TỔ CHỨC TỈNH UỶ'];
const ROMAN = ['I', 'II', 'III', 'IV', 'V', 'VI', 'VII', 'VIII'];

export interface SyntheticOptions {
  /** Folder with the real reports (.txt) the vocabulary and structure come from. */
  sourceDir: string;
  outDir: string;
  targetChunks: number;
  seed?: number;
  /** Questions to sample from the generated passages (for latency and recall runs). */
  questions?: number;
}

export interface SyntheticResult {
  files: number;
  paragraphs: number;
  footnotes: number;
  /** paragraphs + footnotes: what ingest should report as chunks. */
  expectedChunks: number;
  bytes: number;
  questions: string[];
  durationMs: number;
}

interface Vocabulary {
  /** Place names of the real reports, longest first; rewritten to the synthetic file's places. */
  seedPlaces: RegExp;
  /** The real reports' text, to keep synthetic places and document numbers apart from theirs. */
  sourceText: string;
  chain: Map<string, string[]>;
  starts: string[][];
  headings: string[];
  footnotes: string[];
}

/** Learns the Markov chain, headings and footnotes from the real reports. */
async function learnVocabulary(sourceDir: string): Promise<Vocabulary> {
  const names = (await fs.readdir(sourceDir)).filter((n) => n.endsWith('.txt')).sort();
  const chain = new Map<string, string[]>();
  const starts: string[][] = [];
  const headings = new Set<string>();
  const footnotes: string[] = [];
  const sources: string[] = [];
  for (const name of names) {
    const source = loadText(await fs.readFile(path.join(sourceDir, name)), 'txt');
    sources.push(source.originalText);
    const doc = buildDocument({ id: name, file: name, source });
    for (const s of doc.sections) {
      for (const h of s.path) {
        // Keep the heading's words, not its numbering: the generator numbers sections itself.
        const text = h.replace(/^([IVXLC]+|\d+(\.\d+)*|[a-zđ])[.)]\s*/u, '').replace(/[:;.]+$/, '').trim();
        if (text.length >= 8 && text.length <= 200 && !text.includes(':')) headings.add(text);
      }
    }
    for (const f of doc.footnotes) if (f.text.length > 20) footnotes.push(f.text);
    for (const chunk of doc.chunks) {
      if (chunk.metadata.kind !== 'body') continue;
      for (const span of splitSentences(chunk.text)) {
        const words = chunk.text.slice(span.start, span.end).split(/\s+/).filter(Boolean);
        if (words.length < 5) continue;
        // Sentences that start with a number would read as numbered headings in the output.
        if (/^[\d\-–+•*(]/.test(words[0]!)) continue;
        starts.push([words[0]!, words[1]!]);
        for (let i = 0; i + 2 <= words.length; i++) {
          const key = `${words[i]} ${words[i + 1]}`;
          const next = words[i + 2] ?? END;
          let list = chain.get(key);
          if (!list) chain.set(key, (list = []));
          list.push(next);
        }
      }
    }
  }
  if (!starts.length) throw new Error(`no report text to learn from in ${sourceDir}`);
  const sourceText = sources.join('\n');
  return { seedPlaces: seedPlacePattern(sourceText), sourceText, chain, starts, headings: [...headings], footnotes };
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Every place the real reports name: a capitalised name of one to three words after a place
 * marker ("huyện Châu Phú", "Tỉnh Kon Tum"), plus any name of the lists below that occurs.
 */
function seedPlacePattern(sourceText: string): RegExp {
  const markers = placeMarkers()
    .filter((m) => !m.english)
    .flatMap((m) => [m.text, m.text.charAt(0).toUpperCase() + m.text.slice(1)]);
  const named = new RegExp(`(?:^|[\\s(])(?:${markers.map(escapeRegExp).join('|')})\\s+(\\p{Lu}\\p{Ll}+(?:\\s\\p{Lu}\\p{Ll}+){0,2})`, 'gu');
  const names = new Set<string>();
  for (const m of sourceText.normalize('NFC').matchAll(named)) if (m[1]) names.add(m[1]);
  for (const name of [...PROVINCES, ...DISTRICTS]) if (sourceText.includes(name)) names.add(name);
  const sorted = [...names].sort((a, b) => b.length - a.length).map(escapeRegExp);
  // Any case ("An giang" occurs too); a pattern that never matches when the reports name no place.
  return new RegExp(sorted.length ? `(?<!\\p{L})(?:${sorted.join('|')})(?!\\p{L})` : '(?!)', 'giu');
}

/** The list's names the real reports never mention: the places synthetic reports are about. */
function otherPlaces(list: readonly string[], sourceText: string): string[] {
  const others = list.filter((name) => !sourceText.includes(name));
  return others.length ? others : [...list];
}

/** Re-draws every digit run, keeping its length (so "27.023" stays a five-digit figure). */
function redrawFigures(word: string, rng: Rng): string {
  if (!/\d/.test(word)) return word;
  return word.replace(/\d+/g, (run) => {
    let out = String(rng.int(run.length > 1 ? 1 : 0, 9));
    for (let i = 1; i < run.length; i++) out += String(rng.int(0, 9));
    return out;
  });
}

class Writer {
  constructor(
    readonly vocab: Vocabulary,
    private readonly rng: Rng,
  ) {}

  /** Figures re-drawn; a document number that comes out as one of the real reports' is drawn again. */
  redrawn(word: string): string {
    for (let attempt = 0; ; attempt++) {
      const out = redrawFigures(word, this.rng);
      const numbers = out.match(documentNumberRe('gu')) ?? [];
      if (attempt >= 20 || numbers.every((n) => !new RegExp(`(?<!\\d)${escapeRegExp(n)}`).test(this.vocab.sourceText))) return out;
    }
  }

  /** The real reports' place names become this file's province or district. */
  rewritePlaces(text: string, place: string, district: string): string {
    return text.replace(this.vocab.seedPlaces, () => (this.rng.chance(0.7) ? place : district));
  }

  sentence(place: string, district: string, maxWords = 42): string {
    const { rng, vocab } = this;
    const words = [...rng.pick(vocab.starts)];
    while (words.length < maxWords) {
      const options = vocab.chain.get(`${words[words.length - 2]} ${words[words.length - 1]}`);
      if (!options) break;
      const next = rng.pick(options);
      if (next === END) break;
      words.push(next);
    }
    let text = words.map((w) => this.redrawn(w)).join(' ');
    text = this.rewritePlaces(text, place, district);
    // Sentences are closed with a period so the loader's footnote-mark repair and the
    // sentence splitter see the same shapes as in the real reports.
    text = text.replace(/[\s.,;:…!?]+$/u, '') + '.';
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  /** 380–680 characters of sentences: one paragraph, one chunk. */
  paragraphSentences(place: string, district: string): string[] {
    const target = this.rng.int(PARAGRAPH_MIN_CHARS + 40, PARAGRAPH_MAX_CHARS);
    const out: string[] = [];
    let length = 0;
    for (let guard = 0; guard < 40 && length < target; guard++) {
      let s = this.sentence(place, district);
      if (length + s.length + 1 > PARAGRAPH_MAX_CHARS) {
        if (length >= PARAGRAPH_MIN_CHARS) break;
        s = s.slice(0, Math.max(20, PARAGRAPH_MAX_CHARS - length - 2)).replace(/\s+\S*$/, '').replace(/[\s.,;:]+$/, '') + '.';
      }
      out.push(s);
      length += s.length + 1;
    }
    return out;
  }

  heading(place: string, district: string): string {
    const { rng } = this;
    const base = rng.chance(0.6)
      ? rng.pick(this.vocab.headings)
      : this.sentence(place, district, rng.int(5, 12)).replace(/[.]$/, '');
    return base.replace(/[:;.]+/g, ',').replace(/,\s*$/, '').slice(0, 180);
  }
}

interface GeneratedFile {
  text: string;
  paragraphs: number;
  footnotes: number;
  sample: string[];
}

interface PlacePool {
  provinces: string[];
  districts: string[];
}

/** A document number of the type's form that none of the real reports carries. */
function freshNumber(docType: string, rng: Rng, sourceText: string): string {
  const suffix = `-${docType === 'KẾ HOẠCH' ? 'KH' : docType === 'TỜ TRÌNH' ? 'TTr' : docType === 'THÔNG BÁO' ? 'TB' : 'BC'}/TU`;
  for (;;) {
    const number = `${rng.int(10, 990)}${suffix}`;
    if (!new RegExp(`(?<!\\d)${escapeRegExp(number)}`).test(sourceText)) return number;
  }
}

function generateFile(writer: Writer, rng: Rng, index: number, budget: number, sampleRate: number, pool: PlacePool): GeneratedFile {
  const place = pool.provinces[index % pool.provinces.length]!;
  const district = rng.pick(pool.districts);
  const issuerKind = rng.pick(ISSUER_KINDS);
  const docType = rng.pick(DOC_TYPES);
  const year = rng.int(2008, 2023);
  const number = freshNumber(docType, rng, writer.vocab.sourceText);
  const lines: string[] = [
    ` \t${issuerKind} ${place.toUpperCase()}`,
    '',
    '*',
    '',
    `Số ${number}`,
    '\t',
    '\tĐẢNG CỘNG SẢN VIỆT NAM',
    '',
    `${place}, ngày ${rng.int(1, 28)} tháng ${rng.int(1, 12)} năm ${year}`,
    '',
    '',
    docType,
    '',
    writer.heading(place, district).toLowerCase() + ` năm ${year}`,
    '-----',
  ];
  const footnoteTexts: string[] = [];
  const sample: string[] = [];
  let paragraphs = 0;
  let roman = 0;
  let numbered = 0;
  let sub = 0;
  const emitParagraph = () => {
    const sentences = writer.paragraphSentences(place, district);
    const bullet = rng.chance(0.15) ? '- ' : '';
    // A footnote mark sits between a sentence and its period; the loader re-joins the line.
    if (sentences.length > 1 && rng.chance(0.12) && paragraphs + footnoteTexts.length + 2 <= budget) {
      const at = rng.int(0, sentences.length - 2);
      const head = sentences.slice(0, at + 1).join(' ').replace(/\.$/, '');
      const tail = sentences.slice(at + 1).join(' ');
      lines.push(`${bullet}${head}`, `. ${tail}`);
      footnoteTexts.push(
        rng.chance(0.4)
          ? writer.rewritePlaces(rng.pick(writer.vocab.footnotes).split(/\s+/).map((w) => writer.redrawn(w)).join(' '), place, district)
          : writer.sentence(place, district, rng.int(10, 30)),
      );
    } else {
      lines.push(bullet + sentences.join(' '));
    }
    if (rng.chance(sampleRate)) sample.push(`${place}|${rng.pick(sentences)}`);
    paragraphs++;
  };
  emitParagraph(); // the preamble ("Thực hiện … báo cáo như sau")
  while (paragraphs + footnoteTexts.length < budget) {
    if (roman === 0 || (rng.chance(0.05) && roman < ROMAN.length)) {
      lines.push('', `${ROMAN[roman++]}. ${writer.heading(place, district).toUpperCase()}`);
      numbered = 0;
      sub = 0;
    }
    if (numbered === 0 || rng.chance(0.18)) {
      lines.push(`${++numbered}. ${writer.heading(place, district)}`);
      sub = 0;
    } else if (rng.chance(0.1)) {
      lines.push(`${numbered}.${++sub}. ${writer.heading(place, district)}`);
    }
    emitParagraph();
  }
  lines.push('', '\tNơi nhận:', '- Ban Tổ chức Trung ương,', '- Thường trực Tỉnh ủy,', '- Lưu Văn phòng Tỉnh uỷ.', '', '\tT/M BAN THƯỜNG VỤ', 'PHÓ BÍ THƯ', '', '', '');
  for (const f of footnoteTexts) lines.push(`\ufffd ${f}`, '', '');
  return { text: lines.join('\n'), paragraphs, footnotes: footnoteTexts.length, sample };
}

/** Turns a sampled passage sentence into a question a user could ask about it. */
function questionFrom(entry: string, rng: Rng): string {
  const [place, sentence] = entry.split('|') as [string, string];
  const words = sentence.replace(/[.]$/, '').split(/\s+/);
  const figureAt = words.findIndex((w) => /\d/.test(w));
  if (figureAt >= 0 && figureAt + 3 < words.length && rng.chance(0.6)) {
    const what = words.slice(figureAt + 1, figureAt + 1 + rng.int(2, 5)).join(' ').replace(/[,;:()“”"]/g, '');
    return `${place} có bao nhiêu ${what}?`;
  }
  const start = rng.int(0, Math.max(0, words.length - 8));
  const window = words.slice(start, start + rng.int(5, 8)).join(' ').replace(/[,;:()“”"]/g, '');
  return rng.chance(0.5) ? `${window} ở ${place} như thế nào?` : `Kết quả ${window.toLowerCase()} của ${place}?`;
}

export async function generateSyntheticCorpus(options: SyntheticOptions): Promise<SyntheticResult> {
  const started = performance.now();
  const rng = new Rng(options.seed ?? DEFAULT_SEED);
  const vocab = await learnVocabulary(options.sourceDir);
  const writer = new Writer(vocab, rng);
  const pool: PlacePool = { provinces: otherPlaces(PROVINCES, vocab.sourceText), districts: otherPlaces(DISTRICTS, vocab.sourceText) };
  await fs.mkdir(options.outDir, { recursive: true });
  const wantedQuestions = options.questions ?? 60;
  const files = Math.max(1, Math.ceil(options.targetChunks / CHUNKS_PER_FILE));
  // Oversample passages so that the question set covers the whole corpus, then thin it out.
  const sampleRate = Math.min(1, (wantedQuestions * 4) / Math.max(1, options.targetChunks));
  let remaining = options.targetChunks;
  let paragraphs = 0;
  let footnotes = 0;
  let bytes = 0;
  const samples: string[] = [];
  for (let i = 0; i < files; i++) {
    const budget = Math.ceil(remaining / (files - i));
    const file = generateFile(writer, rng, i, budget, sampleRate, pool);
    const data = Buffer.from(file.text, 'utf8');
    await fs.writeFile(path.join(options.outDir, `synth-${String(i).padStart(4, '0')}.txt`), data);
    bytes += data.length;
    paragraphs += file.paragraphs;
    footnotes += file.footnotes;
    remaining -= file.paragraphs + file.footnotes;
    samples.push(...file.sample);
  }
  const questions: string[] = [];
  const step = Math.max(1, Math.floor(samples.length / Math.max(1, wantedQuestions)));
  for (let i = 0; i < samples.length && questions.length < wantedQuestions; i += step) questions.push(questionFrom(samples[i]!, rng));
  return { files, paragraphs, footnotes, expectedChunks: paragraphs + footnotes, bytes, questions, durationMs: performance.now() - started };
}
