import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { ReportAssistant } from '../../../src/app/assistant.js';
import { evalSets, isAvailable, readQuestions } from '../../../src/app/evalSets.js';
import type { AnswerGenerator } from '../../../src/answer/generator.js';
import { extractiveFacts } from '../../../src/answer/llm/contradiction.js';
import { selectSources } from '../../../src/answer/llm/sources.js';
import { verifyAnswer, type Problem } from '../../../src/answer/llm/verify.js';
import { localEmbedderFactory } from '../../../src/index/embedder.js';

/**
 * The other side of the poisoned-source drill: the new checks (links, sentence support,
 * contradiction) must not turn away a model that says what the sources say. Over the question
 * sets on the repository corpus, a "model" that copies the extractive answer (its lead, then each
 * quoted passage, cited with the source numbers the real model would see) must pass.
 *
 * Left out: English questions (the copy would be Vietnamese quotes under an English question,
 * not what an English reply looks like) and questions about a document's details (signer,
 * author …), whose lead comes from the document card rather than from any passage shown.
 */

let indexDir: string | undefined;

afterAll(async () => {
  if (indexDir) await rm(indexDir, { recursive: true, force: true });
});

describe('faithful replies pass the verifier', () => {
  const sets = evalSets(process.cwd());
  const files = [sets.extra, sets.dev].filter(isAvailable).map((s) => s.qaPath);

  it('a copy of the extractive answer, cited, is accepted for every question it answers', async () => {
    const rejected: { question: string; problems: Problem[] }[] = [];
    let checked = 0;
    const copier: AnswerGenerator = {
      async generate({ query, retrieved, extractive, snapshot }) {
        if (!extractive.answered || query.language === 'en' || query.documentField) return undefined;
        const sources = selectSources(retrieved, extractive, snapshot);
        const n = (chunkId: string) => sources.find((s) => s.chunk.id === chunkId)?.n ?? 1;
        const leadMarks = [...new Set(extractive.citations.map((c) => n(c.chunkId)))].map((k) => `[${k}]`).join('');
        const text = [`${extractive.lead.replace(/\.$/, '')} ${leadMarks}.`, ...extractive.citations.map((c) => `${c.quote} [${n(c.chunkId)}]`)].join('\n\n');
        const v = verifyAnswer({ text, sources, question: query.raw, questionTerms: query.contentTokens, language: query.language, extractive: extractiveFacts(query, extractive) });
        checked++;
        if (!v.ok) rejected.push({ question: query.raw, problems: v.problems });
        return undefined;
      },
    };
    indexDir = await mkdtemp(path.join(tmpdir(), 'llm-faithful-'));
    const assistant = await ReportAssistant.open({ corpusDir: 'corpus', indexDir, embedderFactory: localEmbedderFactory(), generator: copier, logger: pino({ level: 'silent' }) });
    for (const file of files) for (const item of readQuestions(file)) await assistant.ask(item.question);
    console.log(`faithful copies: ${checked} checked, ${rejected.length} rejected`);
    expect(checked).toBeGreaterThanOrEqual(25);
    expect(rejected).toEqual([]);
  }, 120_000);
});
