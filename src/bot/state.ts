import { join } from 'node:path';
import type { Citation, ConversationTurn, Language } from '../answer/types.js';
import { JsonStateWriter, readJsonFile } from './jsonFile.js';

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

interface StateFile {
  version: 1;
  chats: Record<string, ChatState>;
}

function emptyChat(): ChatState {
  return { language: 'vi', history: [], recentAnswers: [], nextSeq: 1 };
}

/**
 * Per-chat memory. With a directory it persists to `<dir>/<channel>-chats.json` (atomic
 * rewrites); without one it lives in memory only (tests, console).
 */
export class ChatStateStore {
  private chats = new Map<string, ChatState>();
  private readonly writer: JsonStateWriter | undefined;

  private constructor(file: string | undefined, onError: (err: unknown) => void) {
    this.writer = file
      ? new JsonStateWriter(file, () => ({ version: 1, chats: Object.fromEntries(this.chats) }) satisfies StateFile, onError)
      : undefined;
  }

  static async open(options: {
    dir?: string;
    channel: string;
    onError?: (err: unknown) => void;
  }): Promise<ChatStateStore> {
    const file = options.dir ? join(options.dir, `${options.channel}-chats.json`) : undefined;
    const store = new ChatStateStore(file, options.onError ?? (() => {}));
    if (file) {
      const raw = await readJsonFile(file);
      if (raw && typeof raw === 'object' && 'chats' in raw && raw.chats && typeof raw.chats === 'object') {
        for (const [id, chat] of Object.entries(raw.chats as Record<string, Partial<ChatState>>)) {
          store.chats.set(id, {
            language: chat.language === 'en' ? 'en' : 'vi',
            history: Array.isArray(chat.history) ? chat.history.slice(-HISTORY_TURNS) : [],
            recentAnswers: Array.isArray(chat.recentAnswers) ? chat.recentAnswers.slice(-RECENT_ANSWERS) : [],
            nextSeq: typeof chat.nextSeq === 'number' ? chat.nextSeq : 1,
          });
        }
      }
    }
    return store;
  }

  get(chatKey: string): ChatState {
    return this.chats.get(chatKey) ?? emptyChat();
  }

  /** Applies a change and schedules a save. */
  update(chatKey: string, change: (state: ChatState) => void): Promise<void> {
    const state = this.chats.get(chatKey) ?? emptyChat();
    change(state);
    state.history = state.history.slice(-HISTORY_TURNS);
    state.recentAnswers = state.recentAnswers.slice(-RECENT_ANSWERS);
    this.chats.set(chatKey, state);
    return this.writer ? this.writer.save() : Promise.resolve();
  }

  async flush(): Promise<void> {
    await this.writer?.flush();
  }
}
