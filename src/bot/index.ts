/**
 * Public API of the conversation core, shared by every channel (Telegram, Zalo, console).
 *
 * A channel:
 *   1. creates the core once: `await ConversationCore.create({ knowledge, channel, stateDir, access, … })`;
 *   2. turns each platform update into an `IncomingMessage` (or `CallbackEvent` for buttons),
 *      deciding `addressedToBot` for groups and stripping the bot mention from the text;
 *   3. calls `core.handleMessage(msg, { working })` / `core.handleCallback(ev)` and renders every
 *      returned `Reply` (blocks, numbered citations, buttons) in its own markup;
 *   4. calls `core.flush()` on shutdown.
 * `core.commandMenu(lang)` gives the command list for platform menus; new commands (and button
 * handlers, `registry.registerCallback({ prefix: 'quiz', run })`) are added with a
 * `CommandRegistry` passed as `registry`.
 */
export type {
  BlockKind,
  CallbackEvent,
  ChannelName,
  ChatType,
  HandleHooks,
  IncomingDocument,
  IncomingMessage,
  MessageKind,
  PollAnswerEvent,
  QuizPoll,
  Reply,
  ReplyBlock,
  ReplyButton,
  ReplyCitation,
} from './types.js';
export {
  ConversationCore,
  ACCEPTED_UPLOAD_EXTENSIONS,
  guessLanguage,
  isAccessAllowed,
  type AccessPolicy,
  type ConversationCoreOptions,
} from './core.js';
export {
  CommandRegistry,
  type CallbackContext,
  type CallbackHandler,
  type CommandContext,
  type CommandDefinition,
  type CommandMenuEntry,
  type CommandServices,
} from './commands.js';
export type { ChatExtension, HelpSection, MessageInterceptor } from './extension.js';
export { loadMessages, createMessages, fillTemplate, MESSAGE_KEYS, type MessageKey, type Messages } from './messages.js';
export { ChatStateStore, HISTORY_TURNS, defaultStateStore, type ChatState } from './state.js';
export { FakeKnowledgeBase, type FakeAnswerRule, type FakeKnowledgeOptions } from './fakeKnowledge.js';
export {
  IngestRejected,
  type DocumentSummary,
  type IngestReport,
  type KnowledgeBase,
  type Passage,
} from './knowledge.js';
