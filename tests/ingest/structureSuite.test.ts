import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadSource } from '../../src/ingest/loaders/index.js';
import { buildDocument, sectionLabel } from '../../src/ingest/structure.js';
import type { DocumentMeta, ParsedDocument } from '../../src/ingest/types.js';

/**
 * The structure suite: for every document of the shipped corpus and of the dev2 evaluation
 * corpus (when ../shared/eval/dev2 is present), the metadata, section list, footnote anchors and
 * table rows the parser must produce. The expected values live in tests/ingest/expected/*.json;
 * a new document is covered by adding its entry there.
 */

interface ExpectedFootnote {
  n: number;
  cited: string;
  anchorIncludes: string;
  textStarts: string;
}

interface ExpectedTable {
  caption: string;
  rows: { cited: string; text: string }[];
}

interface ExpectedDocument {
  requires?: string[];
  meta: Partial<Record<keyof DocumentMeta, string>>;
  sections?: string[];
  sectionCount?: number;
  footnotes: ExpectedFootnote[];
  tables: ExpectedTable[];
}

interface ExpectedSet {
  folder: string;
  documents: Record<string, ExpectedDocument>;
}

const root = fileURLToPath(new URL('../..', import.meta.url));
const readSet = (name: string) => JSON.parse(readFileSync(path.join(root, 'tests/ingest/expected', `${name}.json`), 'utf8')) as ExpectedSet;

/** "tesseract" (a program on PATH) or "tesseract:vie" (with that language's model installed). */
function available(requirement: string): boolean {
  const [program, lang] = requirement.split(':');
  try {
    if (!lang) {
      execFileSync(program!, ['--version'], { stdio: 'ignore' });
      return true;
    }
    return execFileSync(program!, ['--list-langs'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split(/\s+/).includes(lang);
  } catch {
    return false;
  }
}

async function parse(folder: string, file: string): Promise<ParsedDocument> {
  const ext = path.extname(file);
  return buildDocument({ id: path.basename(file, ext), file, source: await loadSource(readFileSync(path.join(folder, file)), ext) });
}

function suite(name: string): void {
  const set = readSet(name);
  const folder = path.resolve(root, set.folder);
  const present = existsSync(folder);
  describe.skipIf(!present)(`structure suite: ${set.folder}`, () => {
    it('has an expected entry for every document in the folder', () => {
      const files = readdirSync(folder).filter((f) => /\.(txt|md|docx|doc|pdf)$/i.test(f));
      expect(files.sort()).toEqual(Object.keys(set.documents).sort());
    });

    for (const [file, want] of Object.entries(set.documents)) {
      const missing = (want.requires ?? []).filter((p) => !available(p));
      // OCR of a two-page scan takes seconds per page on a shared machine.
      it.skipIf(missing.length > 0)(file, { timeout: 180_000 }, async () => {
        const d = await parse(folder, file);
        expect(d.meta, 'metadata').toMatchObject(want.meta);
        const sections = d.sections.map((s) => sectionLabel(s.path));
        if (want.sections) expect(sections, 'sections').toEqual(want.sections);
        if (want.sectionCount !== undefined) expect(sections, 'sections').toHaveLength(want.sectionCount);
        expect(
          d.footnotes.map((f) => ({ n: f.n, cited: sectionLabel(f.sectionPath, f.n) })),
          'footnotes',
        ).toEqual(want.footnotes.map((f) => ({ n: f.n, cited: f.cited })));
        for (const f of want.footnotes) {
          const got = d.footnotes.find((x) => x.n === f.n)!;
          expect(got.anchorSentence, `anchor of note ${f.n}`).toContain(f.anchorIncludes);
          expect(got.text.startsWith(f.textStarts), `text of note ${f.n}: ${got.text}`).toBe(true);
        }
        const tables = d.tables.map((t, index) => ({
          caption: t.caption,
          rows: d.chunks
            .filter((c) => c.metadata.kind === 'table' && c.metadata.table?.index === index)
            .map((c) => ({ cited: sectionLabel(c.metadata.sectionPath), text: c.text })),
        }));
        expect(tables, 'tables').toEqual(want.tables);
      });
    }
  });
}

suite('corpus');
suite('dev2');
