import { promises as fs } from 'node:fs';
import path from 'node:path';

/** Questions shared by the benchmarks: the dev set next to the repository, or a fixed fallback. */

const FALLBACK = [
  'Kon Tum có bao nhiêu tổ chức cơ sở đảng?',
  'Mô hình bí thư đồng thời là chủ tịch xã đạt kết quả gì?',
  'An Giang có bao nhiêu xã thực hiện mô hình bí thư đồng thời chủ tịch UBND?',
  'Nguyên nhân của hạn chế là gì?',
  'Đức Thọ nhất thể hóa chức danh nào?',
];

export async function devQuestions(repoRoot: string): Promise<string[]> {
  try {
    const raw = await fs.readFile(path.resolve(repoRoot, '../shared/eval/dev.jsonl'), 'utf8');
    const questions = raw
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => (JSON.parse(l) as { question?: unknown }).question)
      .filter((q): q is string => typeof q === 'string' && q.trim().length > 0);
    return questions.length ? questions : FALLBACK;
  } catch {
    // Without the eval folder the reports still get a fixed, representative set.
    return FALLBACK;
  }
}
