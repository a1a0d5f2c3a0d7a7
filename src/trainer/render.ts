import type { Language } from '../answer/types.js';
import type { QuizPoll, Reply, ReplyBlock, ReplyCitation } from '../bot/types.js';
import { tt } from './messages.js';
import type { EndedRound, ScoreEntry } from './rounds.js';
import { sectionRef } from './summary.js';
import type { ComparedFigure, ComparisonResult, ComparisonRow, QuizQuestion, ReportSummary, SummaryResult } from './types.js';

/**
 * Turns trainer structures into core Replies (blocks the channels already render) and into the
 * payload of a Telegram native quiz poll. Wording comes from prompts/trainer.*.json.
 */

/** Telegram sendPoll limits (Bot API): question 1–300, option 1–100, 2–10 options, explanation 0–200. */
export const POLL_LIMITS = { question: 300, option: 100, minOptions: 2, maxOptions: 10, explanation: 200 } as const;
/** One Telegram message holds 4096 characters; keep a margin for markup added by the renderer. */
export const MESSAGE_BUDGET = 3_900;
export const MAX_MESSAGES = 3;

/** What Telegram needs for `sendPoll` with type "quiz" (the type lives with Reply in the core). */
export type { QuizPoll };

/**
 * A Reply that may carry a quiz poll. Channels without polls ignore `quizPoll` and render the
 * blocks (numbered options and "trả lời bằng số"); Telegram sends the poll instead of the blocks.
 */
export interface TrainerReply extends Reply {
  quizPoll?: QuizPoll;
}

const clip = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max - 1).trimEnd()}…`);

function reply(lang: Language, blocks: ReplyBlock[], citations: ReplyCitation[] = [], replyToMessageId?: string): TrainerReply {
  return { language: lang, blocks, citations, buttons: [], ...(replyToMessageId ? { replyToMessageId } : {}) };
}

export function notice(lang: Language, text: string, replyToMessageId?: string): TrainerReply {
  return reply(lang, [{ kind: 'notice', text }], [], replyToMessageId);
}

export function quizPollFor(q: QuizQuestion, lang: Language): QuizPoll {
  const section = sectionRef(q.citation.section.split(' › '));
  const explanation = tt(lang, 'quiz.pollExplain', { answer: q.options[q.answer] ?? '', source: q.source, section });
  return {
    type: 'quiz',
    questionId: q.id,
    question: clip(q.text, POLL_LIMITS.question),
    options: q.options.slice(0, POLL_LIMITS.maxOptions).map((o) => clip(o, POLL_LIMITS.option)),
    correctOptionId: q.answer,
    explanation: clip(explanation, POLL_LIMITS.explanation),
    isAnonymous: false,
  };
}

export function questionBlocks(q: QuizQuestion, n: number, lang: Language): ReplyBlock[] {
  return [
    { kind: 'heading', text: tt(lang, 'quiz.heading', { n }) },
    { kind: 'paragraph', text: q.text },
    { kind: 'paragraph', text: q.options.map((option, i) => tt(lang, 'quiz.optionLine', { n: i + 1, option })).join('\n') },
    { kind: 'notice', text: tt(lang, 'quiz.answerHint', { count: q.options.length }) },
  ];
}

export function questionReply(q: QuizQuestion, n: number, lang: Language, extra: ReplyBlock[] = []): TrainerReply {
  return { ...reply(lang, [...extra, ...questionBlocks(q, n, lang)]), quizPoll: quizPollFor(q, lang) };
}

function citationOf(q: QuizQuestion): ReplyCitation {
  return { n: 1, title: q.citation.title, section: q.citation.section, quote: q.citation.quote };
}

export function revealReply(q: QuizQuestion, n: number, lang: Language, lead: ReplyBlock[] = []): TrainerReply {
  const answer = q.options[q.answer] ?? '';
  return reply(
    lang,
    [...lead, { kind: 'paragraph', text: tt(lang, 'quiz.reveal', { n, answerNumber: q.answer + 1, answer }) }, { kind: 'paragraph', text: q.explanation }],
    [citationOf(q)],
  );
}

export function scoreBlocks(scores: readonly ScoreEntry[], questions: number, lang: Language): ReplyBlock[] {
  const participant = tt(lang, 'participant');
  const lines = scores.map((s, i) => tt(lang, 'score.line', { rank: i + 1, name: s.name || participant, correct: s.correct, answered: s.answered }));
  return [
    { kind: 'heading', text: tt(lang, 'score.heading', { questions }) },
    { kind: 'paragraph', text: lines.length ? lines.join('\n') : tt(lang, 'score.empty') },
  ];
}

export function endBlocks(ended: EndedRound, lang: Language): ReplyBlock[] {
  const { round, scores } = ended;
  const blocks: ReplyBlock[] = [
    { kind: 'heading', text: tt(lang, 'end.heading') },
    { kind: 'paragraph', text: tt(lang, 'end.summary', { questions: round.questions.length, participants: scores.length }) },
  ];
  const best = scores[0];
  if (best && best.correct > 0) {
    const names = scores.filter((s) => s.correct === best.correct).map((s) => s.name || tt(lang, 'participant'));
    blocks.push({ kind: 'paragraph', text: tt(lang, 'end.winner', { names: names.join(', '), correct: best.correct }) });
  }
  return [...blocks, ...scoreBlocks(scores, round.questions.length, lang).slice(1)];
}

// ---------------------------------------------------------------------------------------------
// Summaries and comparisons: split into at most three messages, at line boundaries.

/** Packs lines into messages of at most `budget` characters, never splitting a line. */
export function packMessages(lines: readonly string[], budget = MESSAGE_BUDGET): string[] {
  const out: string[] = [];
  let current = '';
  for (const raw of lines) {
    const line = clip(raw, budget);
    if (current && current.length + 1 + line.length > budget) {
      out.push(current);
      current = '';
    }
    current = current ? `${current}\n${line}` : line;
  }
  if (current) out.push(current);
  return out;
}

export function summaryLines(summary: ReportSummary, lang: Language): string[] {
  const lines: string[] = [];
  for (const s of summary.sections) {
    const heading = s.path.at(-1) ?? '';
    const parents = s.ref.split(' › ').slice(0, -1).join(' › ');
    lines.push(tt(lang, 'summary.section', { heading: clip(parents ? `${parents} › ${heading}` : heading, 160) }));
    for (const l of s.lines) lines.push(tt(lang, 'summary.line', { text: l.text, ref: s.ref }));
  }
  if (summary.omittedSections > 0) lines.push(tt(lang, 'summary.omitted', { count: summary.omittedSections }));
  return lines;
}

export function summaryReplies(result: SummaryResult, lang: Language, replyToMessageId?: string): TrainerReply[] {
  if (result.kind === 'choose') {
    const intro = result.noMatch ? tt(lang, 'summary.chooseNone', { query: result.query }) : tt(lang, 'summary.choose');
    const items = result.candidates.map((c, i) =>
      tt(lang, 'summary.chooseItem', { n: i + 1, title: c.title, numberPart: c.number ? tt(lang, 'summary.numberPart', { number: c.number }) : '' }),
    );
    return [reply(lang, [{ kind: 'notice', text: intro }, { kind: 'paragraph', text: items.join('\n') }], [], replyToMessageId)];
  }
  const s = result.summary;
  const head = `${tt(lang, 'summary.heading', { title: s.full ? clip(s.document.title, 300) : s.document.label })}`;
  // The default form is one message; lines that would not fit are dropped, never split over two.
  const messages = packMessages(summaryLines(s, lang), MESSAGE_BUDGET - head.length - 80).slice(0, s.full ? MAX_MESSAGES : 1);
  return messages.map((text, i) =>
    reply(
      lang,
      [
        ...(i === 0 ? [{ kind: 'heading' as const, text: head }, { kind: 'notice' as const, text: tt(lang, 'summary.refNote') }] : []),
        { kind: 'paragraph', text },
      ],
      [],
      i === 0 ? replyToMessageId : undefined,
    ),
  );
}

/** "tỷ lệ", "chỉ tiêu", "mức tăng/giảm": what kind of figure a row holds, so nobody reads a target as a result. */
function rowLabel(row: ComparisonRow, lang: Language): string {
  const parts = [row.indicator];
  if (row.measure !== 'count') parts.push(tt(lang, `compare.measure.${row.measure}`));
  if (row.status === 'target') parts.push(tt(lang, 'compare.target'));
  const label = parts.join(', ');
  return row.about ? tt(lang, 'compare.rowAbout', { indicator: label, about: row.about }) : tt(lang, 'compare.row', { indicator: label });
}

export function comparisonReplies(result: ComparisonResult, lang: Language, suggestions: string, replyToMessageId?: string): TrainerReply[] {
  if (result.kind === 'usage') return [notice(lang, tt(lang, 'compare.usage'), replyToMessageId)];
  if (result.kind === 'unknown') return [notice(lang, tt(lang, 'compare.unknown', { side: result.side, suggestions }), replyToMessageId)];
  if (result.kind === 'noCommonPlace') return [notice(lang, tt(lang, 'compare.noCommonPlace', { sides: result.sides.map((s) => s.label).join(' | ') }), replyToMessageId)];
  const topicPart = result.topic ? tt(lang, 'compare.topicPart', { topic: result.topic }) : '';
  const head = tt(lang, 'compare.heading', { sides: result.sides.map((s) => s.label).join(' | '), topicPart });
  if (!result.rows.length) return [notice(lang, tt(lang, result.topic ? 'compare.none' : 'compare.noneShared', { topicPart }), replyToMessageId)];
  // Sources are numbered once per passage; short names keep the list within the message budget.
  const citations: ReplyCitation[] = [];
  const numberOf = (f: ComparedFigure) => {
    const section = sectionRef(f.citation.section.split(' › '));
    let found = citations.find((x) => x.title === f.source && x.section === section && x.quote === f.citation.quote);
    if (!found) {
      found = { n: citations.length + 1, title: f.source, section, quote: f.citation.quote };
      citations.push(found);
    }
    return found.n;
  };
  const lines: string[] = [];
  for (const row of result.rows) {
    lines.push(rowLabel(row, lang));
    row.sides.forEach((cell, i) => {
      const side = result.sides[i]?.label ?? '';
      const figures = cell.length
        ? cell.map((f) => `${tt(lang, 'compare.figure', { text: f.text, n: numberOf(f) })} — ${f.context}`).join('; ')
        : tt(lang, 'compare.missing');
      lines.push(tt(lang, 'compare.cell', { side, figures }));
    });
  }
  if (result.omittedRows > 0) lines.push(tt(lang, 'compare.omitted', { count: result.omittedRows }));
  // Citation lines are rendered by the channel after the last message; budget them there.
  const citationChars = citations.reduce((n, c) => n + c.title.length + c.section.length + 12, 0);
  const messages = packMessages(lines, MESSAGE_BUDGET - head.length - 20);
  const replies = messages.slice(0, MAX_MESSAGES).map((text, i) =>
    reply(lang, [...(i === 0 ? [{ kind: 'heading' as const, text: head }] : []), { kind: 'paragraph', text }], [], i === 0 ? replyToMessageId : undefined),
  );
  const last = replies.at(-1);
  if (last) {
    // Long citation lists go in their own message rather than overflowing the last one.
    const lastLen = last.blocks.reduce((n, b) => n + b.text.length + 2, 0);
    if (lastLen + citationChars > MESSAGE_BUDGET && replies.length < MAX_MESSAGES) replies.push(reply(lang, [], citations));
    else last.citations = citations;
  }
  return replies;
}

/** Plain text of a Reply, for the CLI (console and Zalo render Replies themselves). */
export function replyToPlain(r: Reply, citationsHeading = 'Nguồn:'): string {
  const parts = r.blocks.map((b) => (b.kind === 'heading' ? `== ${b.text} ==` : b.kind === 'quote' ? `> ${b.text}` : b.text));
  if (r.citations.length) parts.push([citationsHeading, ...r.citations.map((c) => `[${c.n}] ${c.title} — ${c.section}`)].join('\n'));
  return parts.join('\n\n');
}
