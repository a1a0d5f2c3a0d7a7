import { promises as fs } from 'node:fs';

/**
 * docs/BENCHMARKS.md is written by two commands (bench and bench:load) at different times:
 * each owns a marked section and leaves the other's figures alone.
 */
export async function replaceSection(file: string, name: string, content: string, header: string): Promise<void> {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const block = `${start}\n${content.trim()}\n${end}`;
  let current: string;
  try {
    current = await fs.readFile(file, 'utf8');
  } catch {
    current = header.trim() + '\n';
  }
  const from = current.indexOf(start);
  const to = current.indexOf(end);
  const next = from >= 0 && to > from ? current.slice(0, from) + block + current.slice(to + end.length) : `${current.trimEnd()}\n\n${block}\n`;
  await fs.writeFile(file, next);
}

/** The marked section `name` of `file` with its markers, or '' when absent. */
export async function readSection(file: string, name: string): Promise<string> {
  try {
    const text = await fs.readFile(file, 'utf8');
    const start = text.indexOf(`<!-- ${name}:start -->`);
    const endMarker = `<!-- ${name}:end -->`;
    const end = text.indexOf(endMarker);
    return start >= 0 && end > start ? text.slice(start, end + endMarker.length) : '';
  } catch {
    return '';
  }
}
