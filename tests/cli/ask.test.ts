import { execFile, spawn } from 'node:child_process';
import { copyFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { corpusDir, DOC, repoRoot, tempDir } from '../helpers.js';

const run = promisify(execFile);
const tsx = path.join(repoRoot, 'node_modules', '.bin', 'tsx');
const env = { ...process.env, LOG_LEVEL: 'silent', TELEGRAM_BOT_TOKEN: '', ZALO_BOT_TOKEN: '', LLM_PROVIDER: '' };

function runWithStdin(args: string[], input: string): Promise<{ stdout: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(tsx, args, { cwd: repoRoot, env });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, code }));
    child.stdin.end(input);
  });
}

/** A private corpus and index per test: the CLI builds the index itself when it is missing. */
function isolated(): { corpus: string; index: string } {
  const corpus = tempDir('corpus-');
  for (const id of [DOC.r381, DOC.anGiang]) copyFileSync(path.join(corpusDir, `${id}.txt`), path.join(corpus, `${id}.txt`));
  return { corpus, index: path.join(tempDir(), 'index') };
}

describe('ask CLI contract', () => {
  it('prints one JSON object with the stable fields, building a missing index first', async () => {
    const { corpus, index } = isolated();
    expect(existsSync(index)).toBe(false);
    const { stdout } = await run(tsx, ['src/cli/ask.ts', '--json', '--corpus', corpus, '--index', index, 'An Giang có bao nhiêu xã thực hiện mô hình?'], { cwd: repoRoot, env });
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const a = JSON.parse(lines[0]!);
    expect(Object.keys(a)).toEqual(['question', 'answered', 'lead', 'answer', 'citations']);
    expect(a.question).toBe('An Giang có bao nhiêu xã thực hiện mô hình?');
    expect(a.answered).toBe(true);
    expect(a.answer).toContain('119/156');
    expect(a.lead).toContain('119/156');
    expect(a.citations[0]).toMatchObject({ document: DOC.anGiang, section: 'Thành quả bước đầu' });
    expect(typeof a.citations[0].title).toBe('string');
    expect(typeof a.citations[0].quote).toBe('string');
    expect(existsSync(index)).toBe(true);
  });

  it('reads questions one per line from stdin and writes one answer per line', async () => {
    const { corpus, index } = isolated();
    const questions = ['Bí thư Đảng ủy xã Đăk Pét được bầu với bao nhiêu phiếu?', '', 'Giá vàng hôm nay là bao nhiêu?', 'chau phu giam bao nhieu bien che moi xa'];
    const { stdout, code } = await runWithStdin(['src/cli/ask.ts', '--json', '--corpus', corpus, '--index', index], questions.join('\n'));
    expect(code).toBe(0);
    const answers = stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(answers.map((a) => a.question)).toEqual(questions.filter(Boolean));
    expect(answers.map((a) => a.answered)).toEqual([true, false, true]);
    expect(answers[0].citations[0].section).toBe('II. Kết quả triển khai thực hiện › chú thích 4');
    expect(answers[2].answer).toContain('7/47');

    const plain = await runWithStdin(['src/cli/ask.ts', '--corpus', corpus, '--index', index], questions.join('\n'));
    expect(plain.stdout.trim().split('\n')).toHaveLength(3);
  });

  it('answers a conversation given as JSON lines in batch mode, follow-ups with what came before', async () => {
    const { corpus, index } = isolated();
    const lines = [
      JSON.stringify({ question: 'An Giang có bao nhiêu xã thực hiện mô hình bí thư đồng thời là chủ tịch UBND?', conversation: 'c1' }),
      JSON.stringify({ question: 'còn Kon Tum thì sao?', conversation: 'c1' }),
      // Outside the conversation the same words have nothing to follow.
      'còn Kon Tum thì sao?',
    ];
    const { stdout, code } = await runWithStdin(['src/cli/ask.ts', '--json', '--corpus', corpus, '--index', index], lines.join('\n'));
    expect(code).toBe(0);
    const answers = stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(answers.map((a) => a.question)).toEqual(['An Giang có bao nhiêu xã thực hiện mô hình bí thư đồng thời là chủ tịch UBND?', 'còn Kon Tum thì sao?', 'còn Kon Tum thì sao?']);
    expect(answers[0].lead).toContain('119/156');
    expect(answers[1].answered).toBe(true);
    expect(answers[1].citations[0].document).toBe(DOC.r381);
    expect(answers[1].lead).not.toBe(answers[2].lead);
  });

  it('refreshes a stale index when the corpus changed', async () => {
    const { corpus, index } = isolated();
    await run(tsx, ['src/cli/ask.ts', '--json', '--corpus', corpus, '--index', index, 'Đức Thọ giảm bao nhiêu đầu mối?'], { cwd: repoRoot, env });
    copyFileSync(path.join(corpusDir, `${DOC.ducTho}.txt`), path.join(corpus, `${DOC.ducTho}.txt`));
    const { stdout } = await run(tsx, ['src/cli/ask.ts', '--json', '--corpus', corpus, '--index', index, 'Huyện Đức Thọ giảm được bao nhiêu đầu mối?'], { cwd: repoRoot, env });
    const a = JSON.parse(stdout.trim());
    expect(a.answered).toBe(true);
    expect(a.answer).toContain('06 đầu mối');
  });

  it('ingest prints the summary and start exits 0 with advice when no token and no terminal', async () => {
    const { corpus, index } = isolated();
    const ingest = await run(tsx, ['src/cli/ingest.ts', '--corpus', corpus, '--index', index], { cwd: repoRoot, env });
    expect(ingest.stdout).toMatch(/tài liệu \/ documents: 2/);
    expect(ingest.stdout).toMatch(/chú thích \/ footnotes: 9/);
    const start = await runWithStdin(['src/cli/start.ts'], '');
    expect(start.code).toBe(0);
    expect(start.stdout).toContain('TELEGRAM_BOT_TOKEN');
  });
});
