import 'dotenv/config';
import cliProgress from 'cli-progress';
import { loadConfig } from '../config.js';
import { ingestCorpus, type IngestSummary, type ProgressEvent } from '../ingest/pipeline.js';
import { embedderFactoryFromConfig } from '../index/embedderConfig.js';
import { IndexLockedError } from '../index/store.js';
import { flagString, parseArgs } from './args.js';

export function formatSummary(s: IngestSummary): string {
  const lines = [
    `Tóm tắt ingest / ingest summary (${(s.durationMs / 1000).toFixed(2)} s)${s.wrote ? '' : ' — chỉ mục đã cập nhật, không cần ghi / index up to date'}`,
    `  tài liệu / documents: ${s.documents}`,
    `  mục / sections:       ${s.sections}`,
    `  chú thích / footnotes: ${s.footnotes}`,
    `  đoạn / chunks:        ${s.chunks}`,
  ];
  if (s.rebuildReason) lines.push(`  xây lại / rebuilt: ${s.rebuildReason}`);
  if (s.added.length) lines.push(`  thêm / added: ${s.added.join(', ')}`);
  if (s.changed.length) lines.push(`  đổi / changed: ${s.changed.join(', ')}`);
  if (s.removed.length) lines.push(`  xóa / removed: ${s.removed.join(', ')}`);
  if (s.unchanged.length) lines.push(`  giữ nguyên / unchanged: ${s.unchanged.length}`);
  if (s.skipped.length) {
    lines.push(`  bỏ qua / skipped: ${s.skipped.length}`);
    for (const k of s.skipped) lines.push(`    - ${k.file}: ${k.reason}`);
  }
  for (const w of s.warnings) lines.push(`  cảnh báo / warning: ${w}`);
  return lines.join('\n');
}

/** A bar on a terminal, plain lines otherwise (CI logs, pipes). */
export function progressReporter(stream: NodeJS.WriteStream = process.stderr): { onProgress: (e: ProgressEvent) => void; done: () => void } {
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
        else bar.update(value, { file: `(${e.step})` });
      },
      done: () => bar.stop(),
    };
  }
  return {
    onProgress: (e) => {
      if (e.type === 'start') stream.write(`ingest: ${e.totalFiles} tệp / files\n`);
      else if (e.type === 'file') stream.write(`ingest: ${e.status} ${e.file}${e.reason ? ` (${e.reason})` : ''}\n`);
      else stream.write(`ingest: ${e.step}\n`);
    },
    done: () => undefined,
  };
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
    process.stdout.write(formatSummary(summary) + '\n');
  } catch (err) {
    progress.done();
    process.stderr.write(`${err instanceof IndexLockedError ? '' : 'Lỗi ingest / ingest failed: '}${(err as Error).message}\n`);
    process.exitCode = err instanceof IndexLockedError ? 75 : 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
