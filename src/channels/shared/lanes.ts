/**
 * Per-chat ordered lanes: updates of one chat are processed one after another, different chats
 * in parallel. A channel hands every claimed update to its lanes; which lanes it gets decides
 * whether the order holds within this process (LocalLanes, the default) or across every replica
 * sharing the store (SharedInbox in inbox.ts).
 */

/** What lanes call back into: the channel's processing of one update. */
export interface LaneHandlers<T> {
  /** Processes one update; it marks the update handled in the inbox itself. */
  process(item: T): Promise<void>;
  /**
   * Rebuilds an update from its stored inbox payload (one another replica received, or one left
   * by a dead replica); undefined when it cannot be processed any more.
   */
  decode(payload: unknown): T | undefined;
}

export interface ChatLanes<T> {
  /**
   * `item` of chat `chatKey` has been claimed in the inbox. Resolves once it has been processed,
   * here or (shared lanes) by the replica that holds the chat.
   */
  submit(chatKey: string, item: T): Promise<void>;
  /** Stops background work (lease renewal, take-over); in-flight processing is not interrupted. */
  close(): Promise<void>;
}

/** How a channel is given its lanes: it passes its handlers, the deployment picks the kind. */
export type LaneFactory<T> = (handlers: LaneHandlers<T>) => ChatLanes<T>;

/** Runs tasks of one key strictly in sequence; a failing task does not stop the ones after it. */
export class KeyedSerial {
  private readonly tails = new Map<string, Promise<void>>();

  run(key: string, task: () => Promise<void>): Promise<void> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.then(task);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }

  /** Keys with queued or running work. */
  get size(): number {
    return this.tails.size;
  }
}

/** One process serves the bot (SQLite, or a single replica): order is kept in memory. */
export class LocalLanes<T> implements ChatLanes<T> {
  private readonly serial = new KeyedSerial();

  constructor(private readonly handlers: LaneHandlers<T>) {}

  submit(chatKey: string, item: T): Promise<void> {
    return this.serial.run(chatKey, () => this.handlers.process(item));
  }

  async close(): Promise<void> {}
}

export const localLanes = <T>(handlers: LaneHandlers<T>): ChatLanes<T> => new LocalLanes(handlers);

/** At most `limit` tasks at once; the rest wait in arrival order. */
export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<R>(task: () => Promise<R>): Promise<R> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
