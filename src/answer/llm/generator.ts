import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { AIMessage, HumanMessage, SystemMessage, type BaseMessage } from '@langchain/core/messages';
import type { Logger } from 'pino';
import { fold } from '../../ingest/normalize.js';
import { splitSentences } from '../../ingest/sentences.js';
import type { IndexSnapshot } from '../../index/store.js';
import type { RetrievedChunk } from '../../retrieval/hybrid.js';
import { lexicon } from '../../retrieval/lexicon.js';
import { detectLanguage, type AnalyzedQuery } from '../../retrieval/query.js';
import type { AnswerGenerator } from '../generator.js';
import { citationFor } from '../extractive.js';
import { LEAD_MAX_CHARS, type Answer, type Citation, type ConversationTurn, type Language } from '../types.js';
import { fill, loadLlmPrompts, type LlmPrompts, type LlmPromptSet } from './prompts.js';
import { BrokenCircuitError, LlmCallGuard, type LlmBreakerSettings, type LlmCircuitState } from './resilience.js';
import type { CircuitBreakerPolicy } from '../../resilience.js';
import { formatSources, sanitizeSourceText, selectSources, type NumberedSource, type SourceSelection } from './sources.js';
import { extractiveFacts } from './contradiction.js';
import { citationNumbers, isRefusal, numbersIn, numberReadings, stripMarkers, verifyAnswer, type Problem } from './verify.js';

/**
 * The LLM answer path. The model only rewords what the retrieved passages say: its reply is
 * verified against the numbered sources it was shown (citations, figures, links, each sentence's
 * support, relevance) and against the extractive answer it must not contradict (verify.ts), gets one
 * repair attempt with the problems spelled out, and otherwise is dropped so the extractive
 * answer goes out. Endpoint trouble (timeouts, 5xx, refused connections) never delays or
 * breaks an answer for long: bounded retries, then a circuit breaker.
 */

export type LlmPath = 'llm' | 'repaired' | 'fallback';

export interface LlmGeneratorOptions extends SourceSelection {
  model: BaseChatModel;
  logger?: Logger;
  /** Per-attempt deadline for one model call. */
  timeoutMs: number;
  /** Extra attempts for transient failures (default 1). */
  retries?: number;
  /** First retry delay; doubles per retry, with jitter (default 300 ms). */
  backoffMs?: number;
  /** A shared breaker, or settings for a new one (default: open after 3 failed calls, for 30 s). */
  breaker?: CircuitBreakerPolicy | LlmBreakerSettings;
  prompts?: LlmPrompts;
  /** Earlier turns shown to the follow-up rewriter (default 3). */
  historyTurns?: number;
}

/** Most characters of a rewritten question we accept; longer output is the model rambling. */
const MAX_REWRITE_CHARS = 500;
/** Characters of each earlier answer shown to the rewriter: enough for subject and place. */
const HISTORY_ANSWER_CHARS = 400;

export class LlmAnswerGenerator implements AnswerGenerator {
  private readonly guard: LlmCallGuard;
  private readonly prompts: LlmPrompts;

  constructor(private readonly options: LlmGeneratorOptions) {
    this.guard = new LlmCallGuard({
      timeoutMs: options.timeoutMs,
      retries: options.retries ?? 1,
      backoffMs: options.backoffMs ?? 300,
      ...(options.breaker ? { breaker: options.breaker } : {}),
    });
    this.prompts = options.prompts ?? loadLlmPrompts();
    // Once per outage, not once per question: skipped calls while open are debug lines.
    this.guard.breaker.onBreak((reason) => {
      const err = 'error' in reason ? reason.error.message : undefined;
      options.logger?.warn({ err, circuit: 'open' }, 'llm: endpoint failing; circuit open, extractive answers meanwhile');
    });
  }

  /** The endpoint's circuit, for logs and tests. */
  get circuit(): LlmCircuitState {
    return this.guard.state;
  }

  async generate({ query, retrieved, extractive, snapshot }: { query: AnalyzedQuery; retrieved: readonly RetrievedChunk[]; extractive: Answer; snapshot: IndexSnapshot }): Promise<Answer | undefined> {
    // The extractive guard decides whether the reports cover the question at all (unknown
    // places, nothing relevant); the model is never asked to answer what it refused.
    if (!extractive.answered) return undefined;
    const log = this.options.logger;
    const language = query.language;
    const p = this.prompts[language];
    const sources = selectSources(retrieved, extractive, snapshot, this.options);
    if (!sources.length) return undefined;

    const messages: BaseMessage[] = [
      new SystemMessage(fill(p.system, { refusal: p.refusal })),
      new HumanMessage(fill(p.answer, { sources: formatSources(sources, p), question: query.raw })),
    ];
    const verifyInput = { sources, question: query.raw, questionTerms: query.contentTokens, language, extractive: extractiveFacts(query, extractive) };

    let reply: string;
    try {
      reply = cleanReply(await this.call(messages));
    } catch (err) {
      this.logFailure(err, 'answer');
      return undefined;
    }
    if (isRefusal(reply, p.refusalMarkers, p.refusal)) {
      log?.info({ path: 'fallback', reason: 'model declined' }, 'llm: no answer from the model; extractive answer kept');
      return undefined;
    }
    const first = verifyAnswer({ text: reply, ...verifyInput });
    if (first.ok) {
      log?.info({ path: 'llm' satisfies LlmPath, citations: first.cited.length }, 'llm: answer verified');
      return this.toAnswer(reply, first.cited, sources, query, extractive, snapshot);
    }

    log?.debug({ problems: first.problems }, 'llm: answer failed verification; asking for a repair');
    const repairMessages = [
      ...messages,
      new AIMessage(reply),
      new HumanMessage(fill(p.repair, { problems: describeProblems(first.problems, sources.length, p), count: sources.length, refusal: p.refusal })),
    ];
    let repaired: string;
    try {
      repaired = cleanReply(await this.call(repairMessages));
    } catch (err) {
      this.logFailure(err, 'repair');
      return undefined;
    }
    if (isRefusal(repaired, p.refusalMarkers, p.refusal)) {
      log?.info({ path: 'fallback', reason: 'model declined on repair' }, 'llm: no answer from the model; extractive answer kept');
      return undefined;
    }
    const second = verifyAnswer({ text: repaired, ...verifyInput });
    if (second.ok) {
      log?.info({ path: 'repaired' satisfies LlmPath, problems: first.problems.map((x) => x.kind) }, 'llm: answer repaired and verified');
      return this.toAnswer(repaired, second.cited, sources, query, extractive, snapshot);
    }
    log?.info({ path: 'fallback' satisfies LlmPath, problems: second.problems }, 'llm: repair failed verification; extractive answer kept');
    return undefined;
  }

  async rewriteFollowUp(question: string, history: readonly ConversationTurn[]): Promise<string | undefined> {
    const turns = history.slice(-(this.options.historyTurns ?? 3));
    if (!turns.length) return undefined;
    const language: Language = detectLanguage(question);
    const p = this.prompts[language];
    const historyText = turns
      // Earlier answers quote documents: data like the sources, kept inside the history block.
      .map((t) => fill(p.historyTurn, { question: sanitizeSourceText(oneLine(t.resolvedQuestion)), answer: sanitizeSourceText(oneLine(stripMarkers(t.answer.text)).slice(0, HISTORY_ANSWER_CHARS)) }))
      .join('\n\n');
    let reply: string;
    try {
      reply = await this.call([new SystemMessage(p.rewriteSystem), new HumanMessage(fill(p.rewrite, { history: historyText, question }))]);
    } catch (err) {
      this.logFailure(err, 'rewrite');
      return undefined;
    }
    const rewritten = parseRewrite(reply);
    if (!rewritten) return undefined;
    // The rewrite is fed to retrieval as the user's question: it must not smuggle in what the
    // assistant refuses when a user types it.
    const folded = fold(rewritten);
    if (lexicon().injection.some((re) => re.test(folded))) return undefined;
    this.options.logger?.debug({ question, rewritten }, 'llm: follow-up rewritten');
    return rewritten;
  }

  /** One model call through the breaker, with a deadline per attempt and bounded retries. */
  private async call(messages: BaseMessage[]): Promise<string> {
    const message = await this.guard.run((signal) => this.options.model.invoke(messages, { signal }));
    return message.text;
  }

  private logFailure(err: unknown, stage: 'answer' | 'repair' | 'rewrite'): void {
    const log = this.options.logger;
    if (err instanceof BrokenCircuitError) {
      // Expected while the endpoint is down; one line per question would be noise.
      log?.debug({ stage, path: 'fallback' }, 'llm: circuit open; skipped');
      return;
    }
    log?.debug({ stage, path: 'fallback', err: (err as Error).message, circuit: this.guard.state }, 'llm: call failed; extractive path used');
  }

  private toAnswer(text: string, cited: readonly number[], sources: readonly NumberedSource[], query: AnalyzedQuery, extractive: Answer, snapshot: IndexSnapshot): Answer {
    // Citation i+1 in the answer is the i-th source cited, so renumber markers to match.
    const renumber = new Map(cited.map((n, i) => [n, i + 1]));
    const body = text.replace(/\[(\s*\d+(?:\s*[-–,;]\s*\d+)*\s*)\]/g, (marker) => {
      const mapped = [...new Set(citationNumbers(marker).map((n) => renumber.get(n)).filter((n): n is number => n !== undefined))];
      return mapped.map((n) => `[${n}]`).join('');
    });
    const citations: Citation[] = cited.map((n) => {
      const source = sources[n - 1]!;
      const known = extractive.citations.find((c) => c.chunkId === source.chunk.id);
      return citationFor(source.chunk, snapshot, known?.quote ?? quoteFor(source.chunk.text, text));
    });
    // The lead is the model's first paragraph: the direct answer it was asked to put first.
    const first = (body.split(/\n\s*\n/)[0] ?? body).trim();
    // A first paragraph over the contract's bound is no lead: the verified extractive one stands.
    const lead = first.length <= LEAD_MAX_CHARS ? first : extractive.lead;
    return { question: query.raw, answered: true, kind: 'answer', language: query.language, lead, text: body, citations, via: 'llm' };
  }
}

function describeProblems(problems: readonly Problem[], count: number, p: LlmPromptSet): string {
  return problems
    .map((problem) => {
      switch (problem.kind) {
        case 'danglingCitation':
          return fill(p.problemDanglingCitation, { n: problem.n, count });
        case 'unsupportedNumber':
          return fill(p.problemUnsupportedNumber, { number: problem.number });
        case 'unsupportedUrl':
          return fill(p.problemUnsupportedUrl, { url: problem.url });
        case 'unsupportedSentence':
          return fill(p.problemUnsupportedSentence, { sentence: quoted(problem.sentence), sources: problem.sources.map((n) => `[${n}]`).join('') });
        case 'contradictsExtractive':
          return fill(p.problemContradiction, { sentence: quoted(problem.sentence), expected: problem.expected });
        case 'noCitation':
          return p.problemNoCitation;
        case 'offTopic':
          return p.problemOffTopic;
        case 'empty':
          return p.problemEmpty;
      }
    })
    .join('\n');
}

/** Sentences quoted back to the model in a repair request, cut to keep the request short. */
const QUOTED_SENTENCE_CHARS = 200;
const quoted = (sentence: string) => (sentence.length > QUOTED_SENTENCE_CHARS ? `${sentence.slice(0, QUOTED_SENTENCE_CHARS)}…` : sentence);

/**
 * Plain text for the channels (they escape and format it): no Markdown emphasis or headings,
 * no reasoning block, and no trailing source list (channels print the citations themselves).
 */
export function cleanReply(raw: string): string {
  let text = raw.replace(/<think>[\s\S]*?<\/think>/gi, '');
  text = text.replace(/\*\*|__/g, '').replace(/^\s{0,3}#{1,6}\s+/gm, '').replace(/^\s*[*-]\s+/gm, '• ');
  const trailer = /\n\s*(?:Nguồn|Nguồn tham khảo|Nguồn trích dẫn|Sources?|References?)\s*:\s*(?:\n\s*(?:•\s*)?\[\d+\][^\n]*)+\s*$/iu.exec(text);
  if (trailer) text = text.slice(0, trailer.index);
  return text.replace(/[ \t]+\n/g, '\n').replace(/\n{3,}/g, '\n\n').trim();
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** The standalone question from a rewriter reply: first non-empty line, labels and quotes removed. */
export function parseRewrite(reply: string): string | undefined {
  const line = cleanReply(reply)
    .split('\n')
    .map((l) => l.trim())
    .find(Boolean);
  if (!line) return undefined;
  const q = line
    .replace(/^(?:câu hỏi độc lập|câu hỏi|standalone question|question)\s*:\s*/iu, '')
    .replace(/^["“'«]+|["”'»]+$/gu, '')
    .trim();
  if (!q || q.length > MAX_REWRITE_CHARS || !/[\p{L}\d]/u.test(q)) return undefined;
  return q;
}

/**
 * The sentences of a cited passage that carry the answer: those sharing a figure with it, else
 * the one sharing most words. Keeps citations as short quotes, like the extractive ones.
 */
function quoteFor(passage: string, answer: string): string {
  const spans = splitSentences(passage).map((s) => passage.slice(s.start, s.end).trim()).filter(Boolean);
  if (spans.length <= 1) return passage.trim();
  const answerNumbers = new Set(numbersIn(stripMarkers(answer)).flatMap(numberReadings));
  const answerWords = new Set(fold(answer).match(/[a-z]{2,}/g) ?? []);
  const withFigure = spans.filter((s) => numbersIn(s).some((raw) => numberReadings(raw).some((r) => answerNumbers.has(r))));
  if (withFigure.length) return withFigure.slice(0, 3).join(' ');
  let best = spans[0]!;
  let bestScore = -1;
  for (const s of spans) {
    const score = (fold(s).match(/[a-z]{2,}/g) ?? []).filter((w) => answerWords.has(w)).length;
    if (score > bestScore) {
      best = s;
      bestScore = score;
    }
  }
  return best;
}
