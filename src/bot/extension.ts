import type { Language } from '../answer/types.js';
import type { CommandRegistry } from './commands.js';
import type { Messages } from './messages.js';
import type { IncomingMessage, PollAnswerEvent, Reply } from './types.js';

/**
 * Gets the first look at messages that are not commands, after access control and rate
 * limiting: a bare "2" answering the open quiz question never reaches the question path.
 */
export interface MessageInterceptor {
  /**
   * Is this message meant for the extension even though it does not address the bot (a bare
   * number in a group with an open question)? Lets it past the group filter. Asynchronous because
   * the open question may have been asked on another replica: the answer comes from the store.
   */
  isAnswerCandidate(msg: IncomingMessage): Promise<boolean>;
  /** Replies when the message was the extension's, undefined to let the core answer it. */
  interceptMessage(msg: IncomingMessage): Promise<Reply[] | undefined>;
}

export interface HelpSection {
  heading: string;
  /** One line per command, each with an example. */
  lines: string[];
}

/**
 * A feature plugged into the conversation core of every channel (the trainer: quizzes, scores,
 * summaries, comparisons). The core registers its commands, merges its wording, shows its help
 * section, offers it plain messages first and routes native poll answers to it; channels only
 * pass it to the core (`ConversationCore.create({ extension })`) and never call it directly.
 * Created once per channel so each channel keeps its own rounds in the state store.
 */
export interface ChatExtension extends MessageInterceptor {
  /** Registers the extension's commands on `registry` (a new one when omitted) and returns it. */
  registry(registry?: CommandRegistry): CommandRegistry;
  /** Wraps the core's wording so the extension's keys (command descriptions…) resolve too. */
  messages(base: Messages): Messages;
  /** Extra section of /help (/trogiup). */
  helpSection(lang: Language): HelpSection;
  /** The chat a native poll was sent to (after bindPoll); undefined for unknown polls. */
  pollChatKey(pollId: string): Promise<string | undefined>;
  /** Scores a native poll answer; the core has already checked the voter's access. */
  handlePollAnswer(ev: PollAnswerEvent): Promise<unknown>;
  /** The platform's id of the poll sent for `reply.quizPoll.questionId` in a chat. */
  bindPoll(chatKey: string, questionId: string, pollId: string): Promise<void>;
  /** Persists pending state; called by the core's flush() on shutdown. */
  flush(): Promise<void>;
}
