import type { Language } from '../answer/types.js';
import { CommandRegistry, type CommandContext, type CommandDefinition } from '../bot/commands.js';
import type { IncomingMessage, PollAnswerEvent, Reply, ReplyBlock } from '../bot/types.js';
import type { IndexSnapshot } from '../index/store.js';
import type { QuizStore } from '../state/types.js';
import { compareSides } from './compare.js';
import { tt } from './messages.js';
import { generateQuiz } from './quiz.js';
import { comparisonReplies, endBlocks, notice, questionReply, revealReply, scoreBlocks, summaryReplies, type TrainerReply } from './render.js';
import { MAX_QUESTIONS_PER_ROUND, Rounds, openQuestion, type AnswerOutcome, type Participant, type Round } from './rounds.js';
import { parseQuizTopic } from './quizTeach.js';
import { resolveScope, topicSuggestions } from './scope.js';
import { trainerLanguage } from './language.js';
import { summarizeReport } from './summary.js';

/**
 * The trainer's chat commands, in the core's CommandDefinition shape so they register on a
 * CommandRegistry next to the built-ins:
 *
 *   /kiemtra (/quiz) [chủ đề]   next quiz question (starts a round; a topic narrows it)
 *   /diem (/score)              scoreboard of the round
 *   /ketthuc (/endquiz)         reveal, final scores, close the round
 *   /tomtat (/summary) [văn bản] cited summary of one report
 *   /sosanh (/compare) A | B    figures side by side
 *
 * Answers that are not commands (a bare "2", or a Telegram poll answer) reach the trainer via
 * `interceptMessage` and `handlePollAnswer`, which the core and the Telegram channel call.
 */

export interface TrainerOptions {
  /** The current index (ReportAssistant.index): read on every command so reloads are picked up. */
  snapshot: () => IndexSnapshot;
  /** Rounds, answers and scores live here (the process's state store, shared by replicas on PostgreSQL). */
  store: QuizStore;
  /** Which channel's rounds these are ('telegram', 'zalo', 'console'). */
  channel: string;
  now?: () => number;
}

/** A Telegram poll_answer update, reduced to what scoring needs (the type lives in the core). */
export type { PollAnswerEvent };

const NUMBER_ANSWER = /^\s*(\d{1,2})\s*[.)]?\s*$/;


export class Trainer {
  private constructor(
    private readonly options: TrainerOptions,
    readonly rounds: Rounds,
  ) {}

  static async create(options: TrainerOptions): Promise<Trainer> {
    return new Trainer(options, new Rounds({ store: options.store, channel: options.channel, ...(options.now ? { now: options.now } : {}) }));
  }

  /** Command definitions for `CommandRegistry.register` (Vietnamese names first, English aliases). */
  commands(): CommandDefinition[] {
    return [
      { names: { vi: 'kiemtra', en: 'quiz' }, descriptionKey: 'cmd.quiz', run: (ctx) => this.quiz(ctx) },
      { names: { vi: 'diem', en: 'score' }, descriptionKey: 'cmd.score', run: (ctx) => this.score(ctx) },
      { names: { vi: 'ketthuc', en: 'endquiz' }, descriptionKey: 'cmd.end', run: (ctx) => this.end(ctx) },
      { names: { vi: 'tomtat', en: 'summary' }, descriptionKey: 'cmd.summary', run: (ctx) => this.summary(ctx) },
      { names: { vi: 'sosanh', en: 'compare' }, descriptionKey: 'cmd.compare', run: (ctx) => this.compare(ctx) },
    ];
  }

  /** A registry holding the trainer commands, for `ConversationCore.create({ registry })`. */
  registry(registry = new CommandRegistry()): CommandRegistry {
    for (const def of this.commands()) registry.register(def);
    return registry;
  }

  /** One example per command for /help (help.* keys). */
  helpLines(lang: Language): string[] {
    return ['help.quiz', 'help.answer', 'help.score', 'help.end', 'help.summary', 'help.compare'].map((k) => tt(lang, k));
  }

  /**
   * A typed answer ("2") to the open question of the chat's round. Returns undefined when the
   * message is not an answer, so the core goes on to treat it as a question.
   */
  async interceptMessage(msg: IncomingMessage): Promise<Reply[] | undefined> {
    if (msg.kind !== 'text') return undefined;
    const m = NUMBER_ANSWER.exec(msg.text ?? '');
    if (!m) return undefined;
    const round = await this.rounds.get(msg.chatId);
    if (!round) return undefined;
    const lang = round.lang;
    if (!openQuestion(round)) return [notice(lang, tt(lang, 'quiz.nextHint'), msg.messageId)];
    const who: Participant = { id: msg.userId, name: msg.userName ?? '' };
    const outcome = await this.rounds.answer(msg.chatId, who, Number(m[1]) - 1);
    return this.outcomeReplies(outcome, lang, msg.chatType === 'private', msg.messageId);
  }

  /**
   * Check the core makes before its group filter: is this a bare number in a chat with an open
   * question? Such a message is an answer even when it does not mention the bot. Only a bare
   * number costs a read of the chat's round; other chatter is refused without one.
   */
  async isAnswerCandidate(msg: IncomingMessage): Promise<boolean> {
    if (msg.kind !== 'text' || !NUMBER_ANSWER.test(msg.text ?? '')) return false;
    return (await this.rounds.current(msg.chatId)) !== undefined;
  }

  /** A Telegram poll answer; Telegram itself shows right/wrong, so usually nothing is sent back. */
  async handlePollAnswer(ev: PollAnswerEvent): Promise<{ chatKey?: string; outcome: AnswerOutcome }> {
    const outcome = await this.rounds.answerPoll(ev.pollId, { id: ev.userId, name: ev.userName ?? '' }, ev.optionIds);
    return { ...('chatKey' in outcome ? { chatKey: outcome.chatKey } : {}), outcome };
  }

  /** Telegram reports the poll it sent for a question (reply.quizPoll.questionId → message.poll.id). */
  bindPoll(chatKey: string, questionId: string, pollId: string): Promise<void> {
    return this.rounds.bindPoll(chatKey, questionId, pollId);
  }

  /** The chat a poll was sent to (after bindPoll), or undefined for polls we do not know. */
  pollChatKey(pollId: string): Promise<string | undefined> {
    return this.rounds.pollChatKey(pollId);
  }

  /** Every round change is committed as it is made; nothing is left to write. */
  flush(): Promise<void> {
    return Promise.resolve();
  }

  // -------------------------------------------------------------------------------------------

  private async outcomeReplies(outcome: AnswerOutcome, lang: Language, reveal: boolean, replyTo?: string): Promise<Reply[]> {
    switch (outcome.kind) {
      case 'no-round':
        return [notice(lang, tt(lang, 'quiz.noRound'), replyTo)];
      case 'no-question':
      case 'unknown-poll':
        return [notice(lang, tt(lang, 'quiz.nextHint'), replyTo)];
      case 'out-of-range':
        return [notice(lang, tt(lang, 'quiz.outOfRange', { count: outcome.count }), replyTo)];
      case 'already-answered':
        return [notice(lang, tt(lang, 'quiz.alreadyAnswered', { name: outcome.name || tt(lang, 'participant') }), replyTo)];
      case 'recorded': {
        const name = outcome.name || tt(lang, 'participant');
        // In a group the answer stays hidden until /kiemtra or /ketthuc, so others can still answer.
        if (!reveal) return [notice(lang, tt(lang, 'quiz.recorded', { name }), replyTo)];
        await this.rounds.markRevealed(outcome.chatKey, outcome.question.n);
        const verdict: ReplyBlock = { kind: 'notice', text: tt(lang, outcome.correct ? 'quiz.correct' : 'quiz.wrong', { name }) };
        const r = revealReply(outcome.question.question, outcome.question.n, lang, [verdict]);
        r.blocks.push({ kind: 'notice', text: tt(lang, 'quiz.nextHint') });
        return [{ ...r, ...(replyTo ? { replyToMessageId: replyTo } : {}) }];
      }
    }
  }

  /** The answer of the open question, if any, before moving on or ending. */
  private pendingReveal(round: Round): TrainerReply[] {
    const open = openQuestion(round);
    return open ? [revealReply(open.question, open.n, round.lang)] : [];
  }

  private async quiz(ctx: CommandContext): Promise<Reply[]> {
    const { msg, chatKey, args } = ctx;
    const lang = trainerLanguage(args);
    const snapshot = this.options.snapshot();
    const topicArg = args.trim();
    const scopeTopic = parseQuizTopic(topicArg).topic;
    if (scopeTopic && !resolveScope(snapshot, scopeTopic)) {
      return [notice(lang, tt(lang, 'quiz.unknownTopic', { topic: topicArg, suggestions: topicSuggestions(snapshot) }), msg.messageId)];
    }
    const out: Reply[] = [];
    let round = await this.rounds.get(chatKey);
    if (!round) {
      round = await this.rounds.start(chatKey, { topic: topicArg, lang, seed: `${chatKey}:${(this.options.now ?? Date.now)()}` });
      const topicPart = topicArg ? tt(lang, 'quiz.topicPart', { topic: topicArg }) : '';
      // A separate reply: Telegram sends a question as a poll only, so nothing else may ride on it.
      out.push(notice(lang, tt(lang, 'quiz.roundStarted', { topicPart }), msg.messageId));
    } else {
      out.push(...this.pendingReveal(round));
      if (topicArg && topicArg !== round.topic) {
        await this.rounds.setTopic(chatKey, topicArg);
        round = { ...round, topic: topicArg };
      }
    }
    const topic = round.topic;
    if (round.asked >= MAX_QUESTIONS_PER_ROUND) {
      out.push(notice(round.lang, tt(round.lang, 'quiz.noneAll'), msg.messageId));
      return out;
    }
    ctx.hooks.working?.();
    const { questions } = generateQuiz(snapshot, {
      topic,
      count: 1,
      seed: `${round.seed}#${round.asked}`,
      exclude: await this.rounds.usedKeys(chatKey),
      lang: round.lang,
    });
    const q = questions[0];
    if (!q) {
      out.push(notice(round.lang, topic ? tt(round.lang, 'quiz.none', { topic }) : tt(round.lang, 'quiz.noneAll'), msg.messageId));
      return out;
    }
    const asked = await this.rounds.ask(chatKey, q);
    out.push(questionReply(q, asked.n, round.lang));
    return out;
  }

  private async score(ctx: CommandContext): Promise<Reply[]> {
    const round = await this.rounds.get(ctx.chatKey);
    const lang = round?.lang ?? trainerLanguage(ctx.args);
    if (!round) return [notice(lang, tt(lang, 'quiz.noRound'), ctx.msg.messageId)];
    const blocks = scoreBlocks(await this.rounds.scoreboard(ctx.chatKey), round.asked, lang);
    return [{ language: lang, blocks, citations: [], buttons: [], replyToMessageId: ctx.msg.messageId }];
  }

  private async end(ctx: CommandContext): Promise<Reply[]> {
    const round = await this.rounds.get(ctx.chatKey);
    const lang = round?.lang ?? trainerLanguage(ctx.args);
    if (!round) return [notice(lang, tt(lang, 'quiz.noRound'), ctx.msg.messageId)];
    const reveal = this.pendingReveal(round);
    const ended = await this.rounds.end(ctx.chatKey);
    if (!ended) return [notice(lang, tt(lang, 'quiz.noRound'), ctx.msg.messageId)];
    return [...reveal, { language: lang, blocks: endBlocks(ended, lang), citations: [], buttons: [] }];
  }

  private async summary(ctx: CommandContext): Promise<Reply[]> {
    ctx.hooks.working?.();
    return summaryReplies(summarizeReport(this.options.snapshot(), ctx.args), trainerLanguage(ctx.args), ctx.msg.messageId);
  }

  private async compare(ctx: CommandContext): Promise<Reply[]> {
    ctx.hooks.working?.();
    const snapshot = this.options.snapshot();
    return comparisonReplies(compareSides(snapshot, ctx.args), trainerLanguage(ctx.args), topicSuggestions(snapshot), ctx.msg.messageId);
  }
}
