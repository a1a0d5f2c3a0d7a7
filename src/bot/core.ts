import type { Logger } from 'pino';
import type { Answer, Citation, Language } from '../answer/types.js';
import { IngestRejected, type IngestReport, type KnowledgeBase } from './knowledge.js';
import { CommandRegistry, type CommandContext, type CommandMenuEntry, type CommandServices } from './commands.js';
import { loadMessages, type MessageKey, type Messages, type TemplateVars } from './messages.js';
import { ChatStateStore, defaultStateStore } from './state.js';
import type { StateStore } from '../state/index.js';
import type { CallbackEvent, ChannelName, ChatType, HandleHooks, IncomingMessage, PollAnswerEvent, Reply, ReplyBlock } from './types.js';
import type { ChatExtension } from './extension.js';
import { builtinCommands } from './builtinCommands.js';
import { isAccessAllowed, type AccessPolicy } from './access.js';
import { displayFileName } from './fileNames.js';

export type { AccessPolicy } from './access.js';
export { isAccessAllowed } from './access.js';

export interface ConversationCoreOptions {
  knowledge: KnowledgeBase;
  channel: ChannelName;
  /**
   * The durable state (chats, rate limits). Without it the core opens SQLite under `stateDir`
   * (or in memory without one) and closes it in `close()`.
   */
  store?: StateStore;
  stateDir?: string;
  access?: AccessPolicy;
  /** 0 disables the limit. */
  rateLimitPerMinute?: number;
  maxQuestionChars?: number;
  maxUploadBytes?: number;
  logger?: Logger;
  messages?: Messages;
  now?: () => number;
  /** Extra commands; registered after the built-ins. */
  registry?: CommandRegistry;
  /**
   * A feature such as the trainer: its commands are registered after `registry`, its wording
   * wraps `messages`, it sees plain messages first (after access control) and gets native poll
   * answers; its state is flushed with the core's.
   */
  extension?: ChatExtension;
}

/** Per-user memory of the core (refusals, rate-limit notices) never holds more than this many entries. */
export const MAX_REMEMBERED_USERS = 10_000;

export const ACCEPTED_UPLOAD_EXTENSIONS = ['.docx', '.doc', '.pdf', '.txt', '.md'] as const;

const EVERYONE: AccessPolicy = { allowedChats: [], allowedUsers: [], admins: [] };

/** Vietnamese-only letters; their presence settles the language of a short service reply. */
const VIETNAMESE_CHARS = /[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]/i;
const ENGLISH_WORDS = /\b(the|what|how|is|are|was|were|did|does|do|which|who|when|where|why|of|in|and)\b/gi;

export function guessLanguage(text: string, fallback: Language): Language {
  if (VIETNAMESE_CHARS.test(text)) return 'vi';
  if ((text.match(ENGLISH_WORDS) ?? []).length >= 2) return 'en';
  return fallback;
}


function parseCommand(text: string): { name: string; args: string } | undefined {
  const m = /^\/([A-Za-z0-9_]+)(?:@\S+)?(?:\s+([\s\S]*))?$/.exec(text.trim());
  if (!m) return undefined;
  return { name: (m[1] ?? '').toLowerCase(), args: (m[2] ?? '').trim() };
}

/**
 * Most a /trichdan reply quotes. Chunks are capped at ingest (chunkCap.ts), but an index built
 * before that, or a hostile passage, must still not turn one command into a hundred messages.
 */
export const MAX_CITED_CHARS = 4000;

function capCitedText(text: string): string {
  if (text.length <= MAX_CITED_CHARS) return text;
  const cut = text.slice(0, MAX_CITED_CHARS);
  const atWord = cut.replace(/\s+\S*$/u, '');
  return `${atWord.length > MAX_CITED_CHARS / 2 ? atWord : cut} …`;
}

function paragraphs(text: string): string[] {
  return text
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter(Boolean);
}

/**
 * The channel-agnostic conversation logic: access control, rate limiting, commands, questions
 * with history and citations, uploads. Channels feed it `IncomingMessage`/`CallbackEvent` and
 * render the returned `Reply`s; it never sees platform formats or HTTP.
 */
export class ConversationCore {
  readonly commands: CommandRegistry;
  /** The wording, the extension's included: channels render citations headings etc. with it. */
  readonly messages: Messages;
  private readonly knowledge: KnowledgeBase;
  private readonly extension: ChatExtension | undefined;
  private readonly access: AccessPolicy;
  private readonly ratePerMinute: number;
  private readonly channel: ChannelName;
  private readonly ownsStore: boolean;
  private readonly maxQuestionChars: number;
  private readonly maxUploadBytes: number;
  private readonly logger: Logger | undefined;
  private readonly now: () => number;
  /** (chat, user) pairs already told they are not allowed: they get one refusal, then silence. */
  private readonly refused = new Set<string>();
  /** Users already told to slow down, until when. */
  private readonly limitNoticeUntil = new Map<string, number>();
  private readonly services: CommandServices;

  private constructor(
    options: ConversationCoreOptions,
    readonly state: ChatStateStore,
    ownsStore: boolean,
  ) {
    this.ownsStore = ownsStore;
    this.channel = options.channel;
    this.knowledge = options.knowledge;
    this.extension = options.extension;
    const baseMessages = options.messages ?? loadMessages();
    this.messages = this.extension ? this.extension.messages(baseMessages) : baseMessages;
    this.access = options.access ?? EVERYONE;
    this.now = options.now ?? Date.now;
    this.ratePerMinute = options.rateLimitPerMinute ?? 10;
    this.maxQuestionChars = options.maxQuestionChars ?? 1000;
    this.maxUploadBytes = options.maxUploadBytes ?? 20 * 1024 * 1024;
    this.logger = options.logger;
    this.commands = new CommandRegistry();
    for (const def of builtinCommands()) this.commands.register(def);
    for (const def of options.registry?.all() ?? []) this.commands.register(def);
    for (const handler of options.registry?.allCallbacks() ?? []) this.commands.registerCallback(handler);
    if (this.extension) {
      const extra = this.extension.registry();
      for (const def of extra.all()) this.commands.register(def);
      for (const handler of extra.allCallbacks()) this.commands.registerCallback(handler);
    }
    this.services = {
      knowledge: this.knowledge,
      state: this.state,
      t: (lang, key, vars) => this.t(lang, key, vars),
      notice: (lang, text, replyTo) => this.notice(lang, text, replyTo),
      answerQuestion: (msg, question, hooks) => this.answerQuestion(msg, question, hooks),
      describeCommands: (lang, includeAdmin) => this.describeCommands(lang, includeAdmin),
      helpSections: (lang) => (this.extension ? [this.extension.helpSection(lang)] : []),
      formatIngestSummary: (lang, report) => this.formatIngestSummary(lang, report),
      citeLatest: (chatId, lang, args, replyTo) => this.citeLatest(chatId, lang, args, replyTo),
    };
  }

  static async create(options: ConversationCoreOptions): Promise<ConversationCore> {
    const store = options.store ?? (await defaultStateStore(options.stateDir));
    const state = new ChatStateStore(store, options.channel, options.now ?? Date.now);
    return new ConversationCore(options, state, !options.store);
  }

  /** Sizes of the core's in-memory per-user maps (each bounded by MAX_REMEMBERED_USERS), for drills and metrics. */
  memoryStats(): { refusedPairs: number; rateNotices: number } {
    return { refusedPairs: this.refused.size, rateNotices: this.limitNoticeUntil.size };
  }

  /** Whether the access lists are empty (channels warn about an open bot at start-up). */
  get isOpenToEveryone(): boolean {
    return this.access.allowedChats.length === 0 && this.access.allowedUsers.length === 0;
  }

  isAdmin(userId: string): boolean {
    return this.access.admins.includes(userId);
  }

  /** Menu entries for a platform's command list (Telegram setMyCommands), admin commands left out. */
  commandMenu(lang: Language): CommandMenuEntry[] {
    return this.commands
      .all()
      .filter((d) => !d.adminOnly)
      .map((d) => ({ command: d.names[lang], description: this.t(lang, d.descriptionKey) }));
  }

  t(lang: Language, key: MessageKey | string, vars?: TemplateVars): string {
    return this.messages.t(lang, key, vars);
  }

  async handleMessage(msg: IncomingMessage, hooks: HandleHooks = {}): Promise<Reply[]> {
    await this.knowledge.ready?.();
    const chatLang = (await this.state.get(msg.chatId)).language;
    try {
      const text = msg.text?.trim() ?? '';
      const command = msg.kind === 'text' ? parseCommand(text) : undefined;
      const known = command ? this.commands.find(command.name) : undefined;
      const unaddressed = msg.chatType === 'group' && !msg.addressedToBot;
      // Privacy mode still delivers commands in groups; a command is explicit enough to count, and
      // so is a bare answer ("2") to the chat's open quiz question.
      if (unaddressed && !known && !(!command && (await this.extension?.isAnswerCandidate(msg)))) return [];

      const gate = await this.gate(msg.chatId, msg.userId, msg.chatType, chatLang, msg.messageId);
      if (gate) return gate;

      if (msg.kind === 'document') return await this.handleUpload(msg, chatLang, hooks);
      // "@bot" with nothing else: tell them how to ask rather than that text is unsupported.
      if (msg.kind === 'text' && !text) return [this.notice(chatLang, this.t(chatLang, 'askUsage'), msg.messageId)];
      if (msg.kind !== 'text') {
        return [this.notice(chatLang, this.t(chatLang, 'unsupportedKind'), msg.messageId)];
      }
      // After the gate: users outside the allow-lists never reach (or score in) the extension.
      if (!command && this.extension) {
        const intercepted = await this.extension.interceptMessage(msg);
        if (intercepted) return intercepted;
        // Let through as an answer candidate but no longer one (the question just closed).
        if (unaddressed) return [];
      }
      if (command) {
        if (!known) {
          return [this.notice(chatLang, this.t(chatLang, 'unknownCommand', { command: command.name }), msg.messageId)];
        }
        const ctx: CommandContext = {
          msg,
          args: command.args,
          invokedAs: command.name,
          // Vietnamese whatever alias was typed ("/help", "/quiz"), unless the user writes in English.
          lang: command.args ? guessLanguage(command.args, chatLang) : chatLang,
          chatKey: msg.chatId,
          isAdmin: this.isAdmin(msg.userId),
          hooks,
          services: this.services,
        };
        return await known.run(ctx);
      }
      return await this.answerQuestion(msg, text, hooks);
    } catch (err) {
      this.logger?.error({ err, channel: msg.channel, chatId: msg.chatId }, 'message handling failed');
      return [this.notice(chatLang, this.t(chatLang, 'internalError'), msg.messageId)];
    }
  }

  /**
   * A native quiz poll answer (Telegram poll_answer). Scored only when the voter may use the bot
   * in the poll's chat; nothing is sent back (the platform shows right/wrong itself).
   */
  async handlePollAnswer(ev: PollAnswerEvent & { channel: ChannelName }): Promise<void> {
    const ext = this.extension;
    if (!ext) return;
    await this.knowledge.ready?.();
    try {
      const chatKey = await ext.pollChatKey(ev.pollId);
      if (chatKey === undefined) {
        this.logger?.debug({ pollId: ev.pollId }, 'answer to an unknown poll ignored');
        return;
      }
      // A poll sent to a private chat has the voter's id as its chat (Telegram); any other is a group.
      if (!isAccessAllowed(this.access, chatKey, ev.userId, chatKey === ev.userId ? 'private' : 'group')) {
        this.logger?.info({ chatId: chatKey, userId: ev.userId }, 'poll answer from a user outside the allow-lists ignored');
        return;
      }
      const { channel: _channel, ...event } = ev;
      await ext.handlePollAnswer(event);
    } catch (err) {
      this.logger?.error({ err, channel: ev.channel, pollId: ev.pollId }, 'poll answer handling failed');
    }
  }

  /** The chat a native poll belongs to, so channels can order its answers with the chat's messages. */
  async pollChatKey(pollId: string): Promise<string | undefined> {
    return this.extension?.pollChatKey(pollId);
  }

  /** Records which platform poll carries a reply's quiz question (`reply.quizPoll.questionId`). */
  async bindPoll(chatKey: string, questionId: string, pollId: string): Promise<void> {
    await this.extension?.bindPoll(chatKey, questionId, pollId);
  }

  /** Whether an unaddressed group message is still for the bot (a quiz answer); channels that filter early ask this. */
  async isAnswerCandidate(msg: IncomingMessage): Promise<boolean> {
    return msg.kind === 'text' && !parseCommand(msg.text ?? '') && (await this.extension?.isAnswerCandidate(msg)) === true;
  }

  async handleCallback(ev: CallbackEvent): Promise<Reply[]> {
    await this.knowledge.ready?.();
    const chat = await this.state.get(ev.chatId);
    const lang = chat.language;
    try {
      const gate = await this.gate(ev.chatId, ev.userId, ev.chatType, lang, undefined);
      if (gate) return gate;
      const m = /^cite:(?:(\d+):)?(\d+)$/.exec(ev.data);
      if (!m) {
        const handler = this.commands.findCallback(ev.data);
        if (!handler) return [];
        return await handler.run({
          event: ev,
          args: ev.data.slice(handler.prefix.length + 1),
          lang,
          isAdmin: this.isAdmin(ev.userId),
          services: this.services,
        });
      }
      const n = Number(m[2]);
      const entry = m[1] ? chat.recentAnswers.find((a) => a.seq === Number(m[1])) : chat.recentAnswers.at(-1);
      const citation = entry?.citations[n - 1];
      if (!citation) return [this.notice(lang, this.t(lang, 'citeExpired'))];
      return [this.citationReply(lang, n, citation)];
    } catch (err) {
      this.logger?.error({ err, channel: ev.channel, chatId: ev.chatId }, 'callback handling failed');
      return [this.notice(lang, this.t(lang, 'internalError'))];
    }
  }

  /** /trichdan N against the chat's latest cited answer. */
  async citeLatest(chatId: string, lang: Language, args: string, replyTo?: string): Promise<Reply> {
    const latest = (await this.state.get(chatId)).recentAnswers.at(-1);
    if (!latest || latest.citations.length === 0) return this.notice(lang, this.t(lang, 'citeNoAnswer'), replyTo);
    const n = Number.parseInt(args, 10);
    if (!/^\d+$/.test(args) || !Number.isFinite(n)) return this.notice(lang, this.t(lang, 'citeUsage'), replyTo);
    const citation = latest.citations[n - 1];
    if (n < 1 || !citation) {
      return this.notice(lang, this.t(lang, 'citeOutOfRange', { count: latest.citations.length }), replyTo);
    }
    return { ...this.citationReply(lang, n, citation), replyToMessageId: replyTo };
  }

  /** Every state change is committed as it happens; this waits for the extension's. */
  async flush(): Promise<void> {
    await this.extension?.flush();
  }

  /** Flushes, and closes the store when the core opened it itself. */
  async close(): Promise<void> {
    await this.flush();
    if (this.ownsStore) await this.state.store.close();
  }

  private async gate(chatId: string, userId: string, chatType: ChatType, lang: Language, replyTo: string | undefined): Promise<Reply[] | undefined> {
    if (!isAccessAllowed(this.access, chatId, userId, chatType)) {
      const key = `${chatId}:${userId}`;
      if (this.refused.has(key)) return [];
      // Bounded: after a flood of strangers the worst case is a second polite refusal.
      if (this.refused.size >= MAX_REMEMBERED_USERS) this.refused.clear();
      this.refused.add(key);
      this.logger?.info({ chatId, userId }, 'refused a user outside the allow-lists');
      return [this.notice(lang, this.t(lang, 'notAllowed'), replyTo)];
    }
    // On the store, so every replica serving this bot counts against the same window.
    const waitMs = await this.state.store.rateTake(`rate:${this.channel}:${userId}`, this.ratePerMinute, 60_000, this.now());
    if (waitMs > 0) {
      const t = this.now();
      if ((this.limitNoticeUntil.get(userId) ?? 0) > t) return [];
      if (this.limitNoticeUntil.size >= MAX_REMEMBERED_USERS) {
        for (const [user, until] of this.limitNoticeUntil) if (until <= t) this.limitNoticeUntil.delete(user);
        // Still full of live entries (a flood of users at once): forget the oldest; the worst case
        // is a second "slow down" notice for them.
        for (const user of this.limitNoticeUntil.keys()) {
          if (this.limitNoticeUntil.size < MAX_REMEMBERED_USERS) break;
          this.limitNoticeUntil.delete(user);
        }
      }
      this.limitNoticeUntil.set(userId, t + waitMs);
      return [this.notice(lang, this.t(lang, 'rateLimited', { seconds: Math.ceil(waitMs / 1000) }), replyTo)];
    }
    return undefined;
  }

  private notice(lang: Language, text: string, replyToMessageId?: string): Reply {
    return { language: lang, blocks: [{ kind: 'notice', text }], citations: [], buttons: [], replyToMessageId };
  }

  private async answerQuestion(msg: IncomingMessage, question: string, hooks: HandleHooks): Promise<Reply[]> {
    const chatKey = msg.chatId;
    const chat = await this.state.get(chatKey);
    const lang = guessLanguage(question, chat.language);
    const q = question.trim();
    if (q.length > this.maxQuestionChars) {
      return [this.notice(lang, this.t(lang, 'questionTooLong', { length: q.length, max: this.maxQuestionChars }), msg.messageId)];
    }
    if (!/[\p{L}\p{N}]/u.test(q)) return [this.notice(lang, this.t(lang, 'questionInvalid'), msg.messageId)];

    hooks.working?.();
    const { answer, resolvedQuestion } = await this.knowledge.ask(q, chat.history);
    const cited = answer.answered ? answer.citations : [];
    let seq = 0;
    await this.state.update(chatKey, (s) => {
      s.language = answer.language;
      s.history.push({ question: q, resolvedQuestion, answer });
      if (cited.length > 0) {
        seq = s.nextSeq++;
        s.recentAnswers.push({ seq, citations: cited });
      }
    });
    return [this.answerReply(answer, cited, seq, msg.messageId)];
  }

  private answerReply(answer: Answer, cited: Citation[], seq: number, replyTo: string): Reply {
    const lang = answer.language;
    // The direct answer first (bold where the channel can), then the quoted evidence (the
    // extractive answer quotes at most three sentences; long texts are split by the channel).
    const lead = answer.lead.trim();
    const rest = paragraphs(answer.text).filter((p) => p !== lead);
    const blocks: ReplyBlock[] = [
      ...(lead && answer.answered ? [{ kind: 'heading' as const, text: lead }] : lead ? [{ kind: 'paragraph' as const, text: lead }] : []),
      ...rest.map((text): ReplyBlock => ({ kind: 'paragraph', text })),
    ];
    if (blocks.length === 0) blocks.push({ kind: 'notice', text: this.t(lang, 'questionInvalid') });
    return {
      language: lang,
      blocks,
      // Short labels in chat ("Báo cáo 381-BC/TU, mục III.2.2"): /trichdan N opens the passage, /nguon the full titles.
      citations: cited.map((c, i) => ({ n: i + 1, title: c.label ?? c.title, section: c.label ? '' : c.section, quote: c.quote })),
      buttons: cited.map((_c, i) => ({ label: this.t(lang, 'citationButton', { n: i + 1 }), data: `cite:${seq}:${i + 1}` })),
      replyToMessageId: replyTo,
    };
  }

  private citationReply(lang: Language, n: number, citation: Citation): Reply {
    const passage = this.knowledge.passage(citation.chunkId);
    const blocks: ReplyBlock[] = [
      { kind: 'heading', text: this.t(lang, 'citeHeading', { n, title: passage?.documentTitle ?? citation.title }) },
      { kind: 'paragraph', text: this.t(lang, 'citeSection', { section: passage?.section ?? citation.section }) },
      ...paragraphs(capCitedText(passage?.text ?? citation.quote)).map((text): ReplyBlock => ({ kind: 'quote', text })),
    ];
    return { language: lang, blocks, citations: [], buttons: [] };
  }

  private describeCommands(lang: Language, includeAdmin: boolean): string[] {
    return this.commands
      .all()
      .filter((d) => includeAdmin || !d.adminOnly)
      .map((d) => {
        const description = this.t(lang, d.descriptionKey);
        const primary = d.names[lang];
        const others = [...new Set([d.names.vi, d.names.en, ...(d.aliases ?? [])])].filter((n) => n !== primary);
        return others.length === 0
          ? this.t(lang, 'helpCommandLine', { command: primary, description })
          : this.t(lang, 'helpAliasLine', { command: primary, aliases: others.join(', /'), description });
      });
  }

  private formatIngestSummary(lang: Language, report: IngestReport): string {
    const list = (items: string[]) => (items.length > 0 ? items.join(', ') : this.t(lang, 'none'));
    const summary = this.t(lang, 'ingestSummary', {
      documents: report.documents,
      sections: report.sections,
      chunks: report.chunks,
      added: list(report.added),
      changed: list(report.changed),
      removed: list(report.removed),
      skipped: list(report.skipped.map((s) => `${s.file} (${s.reason})`)),
      seconds: (report.durationMs / 1000).toFixed(1),
    });
    const flagged = report.instructionLike ?? [];
    const notes = flagged.length
      ? [this.t(lang, 'ingestInstructionLike', { count: flagged.length, files: [...new Set(flagged.map((f) => f.file))].join(', ') })]
      : [];
    return [summary, ...notes].join(' ');
  }

  private async handleUpload(msg: IncomingMessage, lang: Language, hooks: HandleHooks): Promise<Reply[]> {
    const doc = msg.document;
    const replyTo = msg.messageId;
    if (!doc) return [this.notice(lang, this.t(lang, 'unsupportedKind'), replyTo)];
    if (!this.isAdmin(msg.userId)) return [this.notice(lang, this.t(lang, 'uploadAdminOnly'), replyTo)];
    // Never let a platform-supplied name steer where the ingest code writes, nor echo its control
    // or right-to-left characters back.
    const fileName = displayFileName(doc.fileName);
    const ext = /\.[^.]+$/.exec(fileName.toLowerCase())?.[0] ?? '';
    if (!(ACCEPTED_UPLOAD_EXTENSIONS as readonly string[]).includes(ext)) {
      return [this.notice(lang, this.t(lang, 'uploadBadExtension', { fileName }), replyTo)];
    }
    const tooLarge = (bytes: number) =>
      this.notice(
        lang,
        this.t(lang, 'uploadTooLarge', {
          fileName,
          sizeMb: (bytes / 1024 / 1024).toFixed(1),
          maxMb: (this.maxUploadBytes / 1024 / 1024).toFixed(1),
        }),
        replyTo,
      );
    if (doc.sizeBytes > this.maxUploadBytes) return [tooLarge(doc.sizeBytes)];
    hooks.working?.();
    let content: Buffer;
    try {
      content = await doc.download();
    } catch (err) {
      this.logger?.warn({ err, fileName }, 'document download failed');
      return [this.notice(lang, this.t(lang, 'uploadFailed', { fileName }), replyTo)];
    }
    if (content.length > this.maxUploadBytes) return [tooLarge(content.length)];
    try {
      // Replacing a document is explicit: the file's caption is /thaythe (or /replace).
      const replace = /^\/(thaythe|replace)\b/i.test(msg.text?.trim() ?? '');
      const report = await this.knowledge.addDocument(doc.fileName.split(/[\\/]/).pop()?.trim() || 'document', content, { replace });
      this.logger?.info({ fileName, userId: msg.userId, added: report.added, changed: report.changed }, 'document added');
      const done = report.replaced
        ? this.t(lang, 'uploadReplaced', { fileName, previousVersion: report.replaced.previousVersion, summary: this.formatIngestSummary(lang, report) })
        : this.t(lang, 'uploadDone', { fileName, summary: this.formatIngestSummary(lang, report) });
      return [this.notice(lang, done, replyTo)];
    } catch (err) {
      if (err instanceof IngestRejected) {
        this.logger?.info({ fileName, reason: err.reason }, 'document rejected');
        return [this.notice(lang, this.t(lang, 'uploadRejected', { fileName: displayFileName(err.file), reason: err.reason }), replyTo)];
      }
      throw err;
    }
  }
}
