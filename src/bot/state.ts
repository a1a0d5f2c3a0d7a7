import { SqlStateStore, SqliteDriver, openStateStore, type ChatState, type StateStore } from '../state/index.js';

export { HISTORY_TURNS, RECENT_ANSWERS, type AnswerCitations, type ChatState } from '../state/index.js';

/**
 * Per-chat memory of one channel on the StateStore: one row per chat, read and rewritten in a
 * transaction per answer (O(1) per message, whatever the number of chats).
 */
export class ChatStateStore {
  constructor(
    readonly store: StateStore,
    private readonly channel: string,
    private readonly now: () => number = Date.now,
  ) {}

  get(chatKey: string): Promise<ChatState> {
    return this.store.getChat(this.channel, chatKey);
  }

  async update(chatKey: string, change: (state: ChatState) => void): Promise<void> {
    await this.store.updateChat(this.channel, chatKey, this.now(), change);
  }
}

/**
 * The store a component uses when none was handed to it: SQLite under `stateDir`, or an
 * in-memory SQLite (tests, a console without STATE_DIR). The caller owns and closes it.
 */
export async function defaultStateStore(stateDir: string | undefined): Promise<StateStore> {
  if (stateDir) return openStateStore({ stateDir });
  return SqlStateStore.open(new SqliteDriver(':memory:'));
}
