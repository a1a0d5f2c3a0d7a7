import type { Language } from '../answer/types.js';
import type { CommandRegistry } from '../bot/commands.js';
import type { ChatExtension, HelpSection } from '../bot/extension.js';
import type { Messages } from '../bot/messages.js';
import type { IncomingMessage, PollAnswerEvent, Reply } from '../bot/types.js';
import { Trainer, type TrainerOptions } from './commands.js';
import { tt, withTrainerMessages } from './messages.js';

/**
 * The trainer as a ChatExtension of the conversation core: its commands, wording and /help
 * section, typed quiz answers through the core's interceptor, and Telegram poll answers.
 */
export class TrainerExtension implements ChatExtension {
  constructor(readonly trainer: Trainer) {}

  /** One per channel, on the process's state store: `{ snapshot: () => assistant.index, store, channel: 'telegram' }`. */
  static async create(options: TrainerOptions): Promise<TrainerExtension> {
    return new TrainerExtension(await Trainer.create(options));
  }

  registry(registry?: CommandRegistry): CommandRegistry {
    return this.trainer.registry(registry);
  }

  messages(base: Messages): Messages {
    return withTrainerMessages(base);
  }

  helpSection(lang: Language): HelpSection {
    return { heading: tt(lang, 'help.heading'), lines: this.trainer.helpLines(lang) };
  }

  isAnswerCandidate(msg: IncomingMessage): Promise<boolean> {
    return this.trainer.isAnswerCandidate(msg);
  }

  interceptMessage(msg: IncomingMessage): Promise<Reply[] | undefined> {
    return this.trainer.interceptMessage(msg);
  }

  pollChatKey(pollId: string): Promise<string | undefined> {
    return this.trainer.pollChatKey(pollId);
  }

  handlePollAnswer(ev: PollAnswerEvent): Promise<unknown> {
    return this.trainer.handlePollAnswer(ev);
  }

  bindPoll(chatKey: string, questionId: string, pollId: string): Promise<void> {
    return this.trainer.bindPoll(chatKey, questionId, pollId);
  }

  flush(): Promise<void> {
    return this.trainer.flush();
  }
}
