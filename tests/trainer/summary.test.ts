import { describe, expect, it } from 'vitest';
import { loadMessages } from '../../src/bot/messages.js';
import { renderReply, TELEGRAM_MAX_MESSAGE_CHARS } from '../../src/channels/telegram/format.js';
import { sectionLabel } from '../../src/ingest/structure.js';
import { summaryReplies } from '../../src/trainer/render.js';
import { summarizeReport } from '../../src/trainer/summary.js';
import { useCorpus } from './helpers.js';

const corpus = useCorpus();

describe('/tomtat summaries', () => {
  it('cite every section they mention and quote the report verbatim', () => {
    for (const doc of corpus.snapshot.documents) {
      const result = summarizeReport(corpus.snapshot, doc.meta.number ?? doc.meta.id);
      expect(result.kind, doc.meta.id).toBe('summary');
      if (result.kind !== 'summary') continue;
      const s = result.summary;
      expect(s.document.id).toBe(doc.meta.id);
      const lines = s.sections.flatMap((x) => x.lines);
      expect(lines.length, doc.meta.id).toBeGreaterThanOrEqual(2);
      for (const section of s.sections) {
        if (section.lines.length === 0) {
          // A heading without lines is only shown as the parent of a cited subsection.
          const child = s.sections.find((c) => c.lines.length > 0 && c.path.length > section.path.length && section.path.every((h, i) => c.path[i] === h));
          expect(child, section.path.join(' › ')).toBeDefined();
        }
        for (const line of section.lines) {
          expect(line.citation.section).toBe(sectionLabel(section.path));
          expect(line.citation.document).toBe(doc.meta.id);
          const chunk = corpus.snapshot.chunkById.get(line.citation.chunkId)!;
          expect(chunk.metadata.sectionPath).toEqual(section.path);
          expect(chunk.text).toContain(line.citation.quote);
          // The line is the quote, or its beginning cut at a word boundary.
          expect(line.citation.quote.startsWith(line.text.replace(/…$/, ''))).toBe(true);
        }
      }
    }
  });

  it('cover lessons, recommendations and tasks where the report has them', () => {
    const r303 = summarizeReport(corpus.snapshot, '303-BC/TU');
    const r381 = summarizeReport(corpus.snapshot, '381');
    if (r303.kind !== 'summary' || r381.kind !== 'summary') throw new Error('expected summaries');
    const roles = (r: typeof r303) => (r.kind === 'summary' ? new Set(r.summary.sections.filter((s) => s.lines.length).map((s) => s.role)) : new Set());
    for (const role of ['body', 'lessons', 'recommendations', 'limits']) expect(roles(r303).has(role), role).toBe(true);
    for (const role of ['body', 'lessons', 'tasks']) expect(roles(r381).has(role), role).toBe(true);
    // Figures are among the key points of a results section.
    expect(r303.summary.sections.flatMap((s) => s.lines).some((l) => l.kind === 'figure')).toBe(true);
  });

  it('fit in at most three Telegram messages', () => {
    const messages = loadMessages();
    for (const doc of corpus.snapshot.documents) {
      const replies = summaryReplies(summarizeReport(corpus.snapshot, doc.meta.id), 'vi');
      const rendered = replies.flatMap((r) => renderReply(r, messages));
      expect(rendered.length, doc.meta.id).toBeLessThanOrEqual(3);
      for (const m of rendered) expect(m.html.length).toBeLessThanOrEqual(TELEGRAM_MAX_MESSAGE_CHARS);
      expect(rendered.reduce((n, m) => n + m.html.length, 0)).toBeLessThanOrEqual(3 * TELEGRAM_MAX_MESSAGE_CHARS);
    }
  });

  it('asks which document when none or several match', () => {
    const none = summarizeReport(corpus.snapshot, '');
    expect(none).toMatchObject({ kind: 'choose', noMatch: false });
    if (none.kind === 'choose') expect(none.candidates).toHaveLength(corpus.snapshot.documents.length);
    const several = summarizeReport(corpus.snapshot, 'Kon Tum');
    expect(several.kind).toBe('choose');
    if (several.kind === 'choose') expect(several.candidates.map((c) => c.number).sort()).toEqual(['303-BC/TU', '381-BC/TU']);
    expect(summarizeReport(corpus.snapshot, 'qwxyzzy')).toMatchObject({ kind: 'choose', noMatch: true });
    expect(summarizeReport(corpus.snapshot, 'An Giang')).toMatchObject({ kind: 'summary', summary: { document: { id: 'ttxvn-2019-an-giang-nhan-rong-mo-hinh' } } });
    expect(summarizeReport(corpus.snapshot, 'Đức Thọ')).toMatchObject({ kind: 'summary' });
    const text = summaryReplies(none, 'vi').flatMap((r) => r.blocks.map((b) => b.text)).join('\n');
    expect(text).toContain('/tomtat 381-BC/TU');
  });
});
