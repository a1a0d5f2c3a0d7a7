import type { Citation, ConversationTurn, Language } from '../answer/types.js';
import type { QuizQuestion } from '../trainer/types.js';

/**
 * The one durable state of the bot, shared by every channel (and, on PostgreSQL, by every
 * replica). Every method is a bounded amount of work for one message: rows are keyed by
 * (channel, id) and per-chat rows hold at most the retention limit of turns.
 */

/** Citations of one answer, kept so buttons on recent answers and /trichdan keep working. */
export interface AnswerCitations {
  /** Per-chat sequence number of the answer; part of button data so old buttons stay exact. */
  seq: number;
  citations: Citation[];
}

export interface ChatState {
  language: Language;
  history: ConversationTurn[];
  /** Newest last. */
  recentAnswers: AnswerCitations[];
  nextSeq: number;
}

export const HISTORY_TURNS = 5;
export const RECENT_ANSWERS = 10;

export function emptyChat(): ChatState {
  return { language: 'vi', history: [], recentAnswers: [], nextSeq: 1 };
}

/** One received update in the inbox. */
export interface InboxEntry {
  channel: string;
  updateId: string;
  chatKey: string;
  /** Order within the channel: Telegram's update_id, or the arrival order for Zalo. */
  orderKey: number;
  /** What processing needs to replay the update (JSON). */
  payload: unknown;
  receivedAtMs: number;
  /** Parts of a split reply already sent, so a replay does not repeat them. */
  sentParts: number;
  /** How many processes started on it; an update that keeps crashing us is eventually dropped. */
  attempts: number;
}

export interface InboxClaim {
  channel: string;
  updateId: string;
  chatKey: string;
  orderKey: number;
  payload: unknown;
  /** Which process owns it (replica id); a claim whose lease ran out may be taken over. */
  owner: string;
  nowMs: number;
  leaseMs: number;
  /** Starts already made on it (1 for a fresh update; the legacy import carries its count). */
  attempts?: number;
}

export type InboxStatus = 'pending' | 'handled' | 'unknown';

export interface UploadRecord {
  channel: string;
  userId: string;
  fileName: string;
  sizeBytes: number;
  outcome: string;
  atMs: number;
}

export interface PruneLimits {
  nowMs: number;
  /** Handled inbox ids older than this are forgotten (redeliveries come within minutes). */
  handledMaxAgeMs: number;
  /** Chats idle longer than this lose their history. */
  chatMaxAgeMs: number;
  /** Quiz rounds idle longer than this are dropped. */
  roundMaxAgeMs: number;
}

export interface PruneResult {
  inbox: number;
  chats: number;
  rateBuckets: number;
  rounds: number;
}

// --- quiz rounds: one row per chat's round, one per question, answer and participant score ---

/** What a round starts with. `roundId` tells a round from the next one in the same chat. */
export interface QuizRoundInfo {
  chatKey: string;
  roundId: string;
  topic: string;
  seed: string;
  lang: Language;
  startedAtMs: number;
}

export interface QuizQuestionRecord {
  /** 1-based number within the round. */
  n: number;
  question: QuizQuestion;
  askedAtMs: number;
  pollId?: string;
  revealed: boolean;
}

export interface QuizRoundRecord extends QuizRoundInfo {
  /** Questions asked so far; the latest one has this number. */
  asked: number;
  /** The latest question, read with the round so a typed answer costs one read. */
  latest?: QuizQuestionRecord;
}

export interface QuizAnswerRecord {
  userId: string;
  name: string;
  /** 0-based option chosen. */
  option: number;
  correct: boolean;
  atMs: number;
}

export interface QuizScoreRecord {
  userId: string;
  name: string;
  correct: number;
  answered: number;
}

/** Which question a platform poll carries. */
export interface QuizPollRef {
  chatKey: string;
  roundId: string;
  n: number;
}

export type QuizAnswerResult =
  | { kind: 'recorded' }
  /** The first answer counts; this is it. */
  | { kind: 'already-answered'; previous: QuizAnswerRecord }
  /** The round ended (or another replaced it) meanwhile. */
  | { kind: 'gone' };

export interface QuizRoundSnapshot {
  round: QuizRoundRecord;
  questions: QuizQuestionRecord[];
  scores: QuizScoreRecord[];
}

/** A whole round as the legacy JSON file held it, for the one-time import. */
export interface QuizRoundImport {
  round: QuizRoundInfo;
  questions: (QuizQuestionRecord & { answers: QuizAnswerRecord[] })[];
  polls: { pollId: string; n: number }[];
}

/**
 * Quiz state shared by every replica: each answer is one insert (the first per participant and
 * question wins, whichever replica it reached) plus one score increment, so no process keeps the
 * scoreboard in memory and no answer rewrites the round.
 */
export interface QuizStore {
  quizRound(channel: string, chatKey: string): Promise<QuizRoundRecord | undefined>;
  /** Starts a round unless the chat already has one; returns the chat's round either way. */
  quizStartRound(channel: string, round: QuizRoundInfo, nowMs: number): Promise<QuizRoundRecord>;
  quizSetTopic(channel: string, chatKey: string, roundId: string, topic: string, nowMs: number): Promise<void>;
  /**
   * Appends the next question and closes the previous one for typed answers; undefined when the
   * round is gone or already holds `maxQuestions`.
   */
  quizAsk(channel: string, chatKey: string, roundId: string, question: QuizQuestion, nowMs: number, maxQuestions: number): Promise<QuizQuestionRecord | undefined>;
  quizQuestions(channel: string, chatKey: string, roundId: string): Promise<QuizQuestionRecord[]>;
  quizReveal(channel: string, chatKey: string, roundId: string, n: number): Promise<void>;
  quizAnswer(channel: string, chatKey: string, roundId: string, n: number, answer: QuizAnswerRecord): Promise<QuizAnswerResult>;
  /** Records the platform poll carrying question `n` (also on the question). */
  quizBindPoll(channel: string, pollId: string, ref: QuizPollRef): Promise<void>;
  quizPoll(channel: string, pollId: string): Promise<QuizPollRef | undefined>;
  quizScores(channel: string, chatKey: string, roundId: string): Promise<QuizScoreRecord[]>;
  /** Ends the round in one transaction; undefined when it was already over (another replica ended it). */
  quizEndRound(channel: string, chatKey: string, roundId: string): Promise<QuizRoundSnapshot | undefined>;
  /**
   * Writes a whole round (the legacy import), unless the chat already has a different one: a live
   * round wins over an old file. Importing the same round again replaces it (idempotent).
   * False when skipped.
   */
  quizImportRound(channel: string, data: QuizRoundImport, nowMs: number): Promise<boolean>;
}

export type StateKind = 'sqlite' | 'postgres';

/** Quiz rounds, polls, answers and scores are the QuizStore part. */
export interface StateStore extends QuizStore {
  readonly kind: StateKind;
  /** Where the state lives, secrets removed (for logs). */
  readonly location: string;

  // --- inbox: exactly one claim per update, pending until its replies went out ---
  /** Records a new update as pending and owned by `owner`; false when it is already known. */
  inboxClaim(claim: InboxClaim): Promise<boolean>;
  inboxStatus(channel: string, updateId: string): Promise<InboxStatus>;
  inboxEntry(channel: string, updateId: string): Promise<InboxEntry | undefined>;
  inboxMarkHandled(channel: string, updateId: string, nowMs: number): Promise<void>;
  inboxRecordSentParts(channel: string, updateId: string, sentParts: number): Promise<void>;
  /** Forgets a claim without marking it handled, so a redelivery is answered. */
  inboxRelease(channel: string, updateId: string): Promise<void>;
  /**
   * Takes over pending updates whose owner's lease ran out (a crashed process or replica), or
   * that `owner` itself left behind; counts one more attempt each. Oldest first.
   */
  inboxTakeOver(channel: string, owner: string, nowMs: number, leaseMs: number, limit: number): Promise<InboxEntry[]>;
  /** The oldest pending update of one chat, whoever received it (drained under the chat lock). */
  inboxNextForChat(channel: string, chatKey: string): Promise<InboxEntry | undefined>;
  /** Extends the lease on every pending update `owner` holds. */
  inboxRenew(channel: string, owner: string, nowMs: number, leaseMs: number): Promise<void>;
  inboxPendingCount(channel: string): Promise<number>;

  // --- offsets (Telegram's getUpdates offset) ---
  getOffset(channel: string): Promise<number>;
  /** Only ever moves forward. */
  advanceOffset(channel: string, offset: number): Promise<void>;

  // --- per-chat history ---
  getChat(channel: string, chatKey: string): Promise<ChatState>;
  /** Read-modify-write in one transaction; history and recent answers are cut to their limits. */
  updateChat(channel: string, chatKey: string, nowMs: number, change: (state: ChatState) => void): Promise<ChatState>;

  // --- rate limits: a sliding window per key, shared by every replica ---
  /** 0 when the action may proceed (and it is recorded), else the milliseconds to wait. */
  rateTake(key: string, perWindow: number, windowMs: number, nowMs: number): Promise<number>;

  // --- uploads ---
  recordUpload(record: UploadRecord): Promise<void>;
  recentUploads(channel: string, limit: number): Promise<UploadRecord[]>;

  // --- coordination between processes ---
  /** Takes or renews a named lease (the polling leader); true while `holder` has it. */
  tryLease(name: string, holder: string, nowMs: number, ttlMs: number): Promise<boolean>;
  releaseLease(name: string, holder: string): Promise<void>;
  /** Runs `fn` while holding a lock on `key` across every process sharing the store. */
  withLock<T>(key: string, fn: () => Promise<T>): Promise<T>;
  /** Announces an event (a new index version) to every process sharing the store. */
  publish(topic: string, payload: string): Promise<void>;
  /** Returns an unsubscribe function. */
  subscribe(topic: string, listener: (payload: string) => void): Promise<() => Promise<void>>;

  // --- housekeeping ---
  prune(limits: PruneLimits): Promise<PruneResult>;
  /** Marks a one-time step (the JSON import) as done; false when it already was. */
  markOnce(step: string, nowMs: number): Promise<boolean>;
  schemaVersion(): Promise<number>;
  close(): Promise<void>;
}
