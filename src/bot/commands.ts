import type { Language } from '../answer/types.js';
import type { CallbackEvent, HandleHooks, IncomingMessage, Reply } from './types.js';
import type { MessageKey, TemplateVars } from './messages.js';
import type { IngestReport, KnowledgeBase } from './knowledge.js';
import type { ChatStateStore } from './state.js';
import type { HelpSection } from './extension.js';

/** What a command handler may use; the core passes itself through this narrow view. */
export interface CommandServices {
  knowledge: KnowledgeBase;
  state: ChatStateStore;
  t(lang: Language, key: MessageKey | string, vars?: TemplateVars): string;
  /** A one-block service reply (refusals, usage, errors). */
  notice(lang: Language, text: string, replyToMessageId?: string): Reply;
  /** Runs the full question path (length checks, history, citations). */
  answerQuestion(msg: IncomingMessage, question: string, hooks: HandleHooks): Promise<Reply[]>;
  /** The command list as shown by /help, filtered for the caller. */
  describeCommands(lang: Language, includeAdmin: boolean): string[];
  /** Extra /help sections from extensions (the trainer's commands with an example each). */
  helpSections(lang: Language): HelpSection[];
  /** The full passage behind citation N of the chat's latest cited answer (/trichdan N). */
  citeLatest(chatId: string, lang: Language, args: string, replyToMessageId?: string): Promise<Reply>;
  /** Ingest summary line shared by /reload and uploads. */
  formatIngestSummary(lang: Language, report: IngestReport): string;
}

export interface CommandContext {
  msg: IncomingMessage;
  /** Text after the command name, trimmed. */
  args: string;
  /** The name the user typed, without "/" (e.g. "cite"). */
  invokedAs: string;
  /** Reply language: the alias's language, else the chat's. */
  lang: Language;
  chatKey: string;
  isAdmin: boolean;
  hooks: HandleHooks;
  services: CommandServices;
}

export interface CommandDefinition {
  /** Menu names per language; Vietnamese first. Telegram allows [a-z0-9_]{1,32}. */
  names: { vi: string; en: string };
  /** Further names accepted but not shown in menus. */
  aliases?: string[];
  /** Message key of the one-line description (prompts/bot.*.json). */
  descriptionKey: MessageKey | string;
  /** Hidden from menus and /help for non-admins; the handler still checks rights itself. */
  adminOnly?: boolean;
  run(ctx: CommandContext): Promise<Reply[]>;
}

export interface CallbackContext {
  event: CallbackEvent;
  /** The data after "<prefix>:". */
  args: string;
  /** The chat's current language. */
  lang: Language;
  isAdmin: boolean;
  services: CommandServices;
}

/** Handles button presses whose data starts with "<prefix>:" (e.g. "quiz:3:B"). */
export interface CallbackHandler {
  prefix: string;
  run(ctx: CallbackContext): Promise<Reply[]>;
}

export interface CommandMenuEntry {
  command: string;
  description: string;
}

/**
 * The extension point for commands: later features (/kiemtra, /diem, /ketthuc, /tomtat,
 * /sosanh) register here without touching the core's dispatch.
 */
export class CommandRegistry {
  private readonly byName = new Map<string, CommandDefinition>();
  private readonly ordered: CommandDefinition[] = [];
  private readonly callbacks = new Map<string, CallbackHandler>();

  /** "cite" is reserved by the core for citation buttons. */
  registerCallback(handler: CallbackHandler): this {
    if (handler.prefix === 'cite' || this.callbacks.has(handler.prefix) || handler.prefix.includes(':')) {
      throw new Error(`callback prefix "${handler.prefix}" is reserved or already registered`);
    }
    this.callbacks.set(handler.prefix, handler);
    return this;
  }

  findCallback(data: string): CallbackHandler | undefined {
    const prefix = data.split(':', 1)[0] ?? '';
    return this.callbacks.get(prefix);
  }

  allCallbacks(): readonly CallbackHandler[] {
    return [...this.callbacks.values()];
  }

  register(def: CommandDefinition): this {
    const names = [def.names.vi, def.names.en, ...(def.aliases ?? [])].map((n) => n.toLowerCase());
    for (const name of names) {
      const existing = this.byName.get(name);
      if (existing && existing !== def) throw new Error(`command /${name} is already registered`);
    }
    for (const name of names) this.byName.set(name, def);
    this.ordered.push(def);
    return this;
  }

  find(name: string): CommandDefinition | undefined {
    return this.byName.get(name.toLowerCase());
  }

  all(): readonly CommandDefinition[] {
    return this.ordered;
  }

  /** Which language the typed alias implies, if any ("/cite" → en, "/trichdan" → vi). */
  static aliasLanguage(def: CommandDefinition, invokedAs: string): Language | undefined {
    const name = invokedAs.toLowerCase();
    if (def.names.vi === def.names.en) return undefined;
    if (name === def.names.en) return 'en';
    if (name === def.names.vi) return 'vi';
    return undefined;
  }
}
