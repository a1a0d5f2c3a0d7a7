import type { Language } from '../answer/types.js';

/**
 * Platform-neutral shapes exchanged between a channel (Telegram, Zalo, console) and the
 * conversation core. Channels translate their updates into these and render `Reply` themselves;
 * the core never produces HTML or platform markup.
 */

export type ChannelName = 'telegram' | 'zalo' | 'console';

export type ChatType = 'private' | 'group';

export type MessageKind = 'text' | 'photo' | 'sticker' | 'voice' | 'location' | 'document' | 'other';

export interface IncomingDocument {
  fileName: string;
  sizeBytes: number;
  /** Fetches the file; only called after the core has checked admin rights, extension and size. */
  download(): Promise<Buffer>;
}

export interface IncomingMessage {
  channel: ChannelName;
  chatId: string;
  chatType: ChatType;
  userId: string;
  userName?: string;
  messageId: string;
  kind: MessageKind;
  /**
   * Text or caption, already cleaned by the channel: the bot mention removed and a command's
   * "@botname" suffix stripped, so "/hoi@bot x" arrives as "/hoi x".
   */
  text?: string;
  /**
   * Whether the message is meant for the bot. Private chats: always true. Groups: the channel
   * decides (mention, reply to the bot, command addressed to the bot).
   */
  addressedToBot: boolean;
  document?: IncomingDocument;
}

/** A button press (e.g. a citation button whose data is "cite:3:2"). */
export interface CallbackEvent {
  channel: ChannelName;
  chatId: string;
  chatType: ChatType;
  userId: string;
  userName?: string;
  /** The message carrying the button, when the platform tells us. */
  messageId?: string;
  data: string;
}

/**
 * heading: a title line; paragraph: body text; quote: text taken verbatim from a report;
 * notice: a short service message (errors, refusals, hints); code: preformatted (usage lines).
 */
export type BlockKind = 'heading' | 'paragraph' | 'quote' | 'notice' | 'code';

export interface ReplyBlock {
  kind: BlockKind;
  text: string;
}

export interface ReplyCitation {
  n: number;
  title: string;
  section: string;
  quote: string;
}

export interface ReplyButton {
  label: string;
  /** Opaque callback data, ≤ 64 bytes (Telegram's limit). */
  data: string;
}

export interface Reply {
  language: Language;
  blocks: ReplyBlock[];
  /** Numbered sources for an answer; empty for everything else. */
  citations: ReplyCitation[];
  buttons: ReplyButton[];
  /** The message this reply answers; channels quote it where the platform allows (groups). */
  replyToMessageId?: string;
  /**
   * A quiz question that a platform with native quizzes (Telegram) sends as a poll instead of
   * the blocks. Channels without polls ignore it: the blocks hold the numbered options.
   */
  quizPoll?: QuizPoll;
}

/** What a native quiz poll needs (Telegram `sendPoll` with type "quiz"). */
export interface QuizPoll {
  type: 'quiz';
  /** The extension's question id: reported back with the platform's poll id (`bindPoll`). */
  questionId: string;
  question: string;
  options: string[];
  correctOptionId: number;
  /** Shown by the platform after answering; holds the citation (document and section). */
  explanation: string;
  /** Poll answers (and so scores) only reach the bot from non-anonymous polls. */
  isAnonymous: false;
}

/** An answer to a native quiz poll (Telegram poll_answer), reduced to what scoring needs. */
export interface PollAnswerEvent {
  pollId: string;
  userId: string;
  userName?: string;
  /** 0-based option ids; empty when a vote is retracted. */
  optionIds: readonly number[];
}

/** Side channels the core uses while it works, so platforms can show "typing…". */
export interface HandleHooks {
  /** Called right before a slow operation (answering, ingesting). May be called more than once. */
  working?: () => void;
}
