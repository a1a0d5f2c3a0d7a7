import 'dotenv/config';
import cliProgress from 'cli-progress';
import { loadConfig } from '../config.js';
import { ingestCorpus, type IngestSummary, type ProgressEvent } from '../ingest/pipeline.js';
import { embedderFactoryFromConfig } from '../index/embedderConfig.js';
import { IndexLockedError, currentVersionDir, readDocuments } from '../index/store.js';
import { documentCard, formatCard, type DocumentCard } from '../ingest/card.js';
import type { ParsedDocument } from '../ingest/types.js';
import { flagString, parseArgs } from './args.js';

const seconds = (ms: number) => `${(ms / 1000).toFixed(1).replace('.', ',')} s`;

/** "label: value" with the labels right-aligned, so the values line up in one column. */
function rows(entries: readonly (readonly [string, string])[], indent = '  '): string[] {
  const width = Math.max(0, ...entries.map(([label]) => label.length));
  return entries.map(([label, value]) => `${indent}${label.padStart(width)}: ${value}`);
}

/** Files whose pages were read by OCR in this run, with pages and time. */
export interface OcrRun {
  file: string;
  pages: number;
  durationMs: number;
}

/** OCR'd files of this run: the documents parsed now (not reused) that carry OCR statistics. */
export function ocrRuns(s: IngestSummary, documents: readonly ParsedDocument[]): OcrRun[] {
  const parsedNow = new Set([...s.added, ...s.changed]);
  return documents.filter((d) => d.ocr && parsedNow.has(d.meta.file)).map((d) => ({ file: d.meta.file, pages: d.ocr!.pages, durationMs: d.ocr!.durationMs }));
}

export function formatSummary(s: IngestSummary, cards: readonly DocumentCard[] = [], ocr: readonly OcrRun[] = []): string {
  const header = `Tóm tắt ingest / ingest summary (${seconds(s.durationMs)})${s.wrote ? '' : ' — chỉ mục đã cập nhật, không cần ghi / index up to date'}`;
  const entries: [string, string][] = [
    ['tài liệu / documents', String(s.documents)],
    ['mục / sections', String(s.sections)],
    ['chú thích / footnotes', String(s.footnotes)],
    ['bảng / tables', String(cards.reduce((n, c) => n + c.tables, 0))],
    ['đoạn / chunks', String(s.chunks)],
  ];
  if (s.rebuildReason) entries.push(['xây lại / rebuilt', s.rebuildReason]);
  if (s.added.length) entries.push(['thêm / added', s.added.join(', ')]);
  if (s.changed.length) entries.push(['đổi / changed', s.changed.join(', ')]);
  if (s.removed.length) entries.push(['xóa / removed', s.removed.join(', ')]);
  if (s.unchanged.length) entries.push(['giữ nguyên / unchanged', String(s.unchanged.length)]);
  if (ocr.length) {
    const pages = ocr.reduce((n, o) => n + o.pages, 0);
    const ms = ocr.reduce((n, o) => n + o.durationMs, 0);
    entries.push(['OCR', `${ocr.length} tệp, ${pages} trang, ${seconds(ms)} (${seconds(ms / Math.max(1, pages))}/trang)`]);
  }
  const flagged = cards.filter((c) => c.lowConfidence.length);
  if (flagged.length) entries.push(['cần kiểm tra / check', `${flagged.length} tài liệu đọc chưa chắc / read with low confidence`]);
  if (s.skipped.length) entries.push(['bỏ qua / skipped', String(s.skipped.length)]);
  const lines = [header, ...rows(entries)];
  for (const o of ocr) lines.push(`    - OCR ${o.file}: ${o.pages} trang / pages, ${seconds(o.durationMs)}`);
  for (const c of flagged) lines.push(`    - ⚠ ${c.file}: ${c.lowConfidence.join('; ')}`);
  for (const k of s.skipped) lines.push(`    - ${k.file}: ${k.reason}`);
  if (s.warnings.length) {
    lines.push('  cảnh báo / warnings:');
    for (const w of s.warnings) lines.push(`    - ${w}`);
  }
  return lines.join('\n');
}

/** Above this many documents only the new, changed and flagged ones get a card. */
export const MAX_ALL_CARDS = 50;

/** One card per document (or per new/changed/flagged one in a large corpus). */
export function formatCards(s: IngestSummary, cards: readonly DocumentCard[]): string {
  const parsedNow = new Set([...s.added, ...s.changed]);
  const shown = cards.length <= MAX_ALL_CARDS ? cards : cards.filter((c) => parsedNow.has(c.file) || c.lowConfidence.length);
  if (!shown.length) return '';
  const title = shown.length === cards.length ? `Tài liệu / documents (${cards.length}):` : `Tài liệu mới, đã đổi hoặc cần kiểm tra / new, changed or flagged (${shown.length}/${cards.length}):`;
  return [title, ...shown.map((c) => formatCard(c))].join('\n\n');
}

/**
 * A bar on a terminal, plain lines otherwise (CI logs, pipes). The plain lines go to `lines`,
 * the stream the summary is printed on: when a log captures stdout and stderr together, progress
 * and summary then stay in order instead of running into each other ("unchanged: 4ingest: 5 tệp").
 */
export function progressReporter(
  stream: NodeJS.WriteStream = process.stderr,
  lines: NodeJS.WritableStream = process.stdout,
): { onProgress: (e: ProgressEvent) => void; done: () => void } {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: 'ingest [{bar}] {value}/{total} {file}', stream, hideCursor: true, clearOnComplete: true },
      cliProgress.Presets.shades_classic,
    );
    let value = 0;
    return {
      onProgress: (e) => {
        if (e.type === 'start') bar.start(e.totalFiles, 0, { file: '' });
        else if (e.type === 'file') bar.update(++value, { file: e.file });
        else if (e.type === 'ocr') bar.update(value, { file: `${e.file} (OCR ${e.index}/${e.total})` });
        else bar.update(value, { file: `(${e.step})` });
      },
      done: () => bar.stop(),
    };
  }
  let wrote = false;
  const write = (line: string) => {
    wrote = true;
    lines.write(`ingest: ${line}\n`);
  };
  return {
    onProgress: (e) => {
      if (e.type === 'start') write(`${e.totalFiles} tệp / files`);
      else if (e.type === 'file') write(`${e.status} ${e.file}${e.reason ? ` (${e.reason})` : ''}`);
      else if (e.type === 'ocr') write(`OCR ${e.file} trang / page ${e.page} (${e.index}/${e.total}, ${seconds(e.durationMs)})`);
      else write(e.step);
    },
    // A blank line between the progress lines and what follows.
    done: () => {
      if (wrote) lines.write('\n');
    },
  };
}

/** The documents of the index just written (none when it cannot be read). */
async function readIndexedDocuments(indexDir: string): Promise<ParsedDocument[]> {
  const dir = await currentVersionDir(indexDir);
  if (!dir) return [];
  try {
    return await readDocuments(dir);
  } catch {
    return [];
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), ['corpus', 'index']);
  const config = loadConfig();
  const corpusDir = flagString(args, 'corpus') ?? config.CORPUS_DIR;
  const indexDir = flagString(args, 'index') ?? config.INDEX_DIR;
  const progress = progressReporter();
  try {
    const summary = await ingestCorpus({
      corpusDir,
      indexDir,
      embedderFactory: embedderFactoryFromConfig(config),
      onProgress: progress.onProgress,
      force: args.flags.has('force'),
    });
    progress.done();
    const documents = await readIndexedDocuments(indexDir);
    const cards = documents.map(documentCard);
    const cardText = formatCards(summary, cards);
    process.stdout.write(`${cardText ? `${cardText}\n\n` : ''}${formatSummary(summary, cards, ocrRuns(summary, documents))}\n`);
  } catch (err) {
    progress.done();
    process.stderr.write(`${err instanceof IndexLockedError ? '' : 'Lỗi ingest / ingest failed: '}${(err as Error).message}\n`);
    process.exitCode = err instanceof IndexLockedError ? 75 : 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
