import type { ChatExtension } from '../../bot/extension.js';
import type { KnowledgeBase } from '../../bot/knowledge.js';
import type { ChannelName } from '../../bot/types.js';
import type { AppConfig } from '../../config.js';
import type { Logger } from '../../logger.js';
import type { StateStore } from '../../state/index.js';

/**
 * What `npm start` knows about a channel: whether the configuration asks for it, and how to start
 * it on the process's shared knowledge base and state store. A new channel is one adapter plus one
 * entry in the registry (src/app/channels.ts); the start-up loop does not change.
 */
export interface ChannelDefinition {
  readonly name: ChannelName;
  isConfigured(config: AppConfig, environment: ChannelEnvironment): boolean;
  start(context: ChannelContext): Promise<ChannelHandle>;
}

export interface ChannelEnvironment {
  /** stdin is a terminal: the console chat can be offered. */
  interactive: boolean;
}

export interface ChannelContext {
  config: AppConfig;
  knowledge: KnowledgeBase;
  logger: Logger;
  /** One store per process, shared by every channel (and by every replica on PostgreSQL). */
  store: StateStore;
  extension?: ChatExtension;
}

export interface ChannelHandle {
  readonly name: ChannelName;
  /** How it receives messages, for the start-up log. */
  readonly mode: 'polling' | 'webhook' | 'console';
  /** Details worth logging at start (bot name, webhook port); no secrets. */
  readonly details: Readonly<Record<string, string | number>>;
  /** Resolves when the channel ended by itself (the console's /thoat or Ctrl-D); bots never do. */
  readonly ended: Promise<void>;
  /** Stops receiving, finishes in-flight answers, persists state. Idempotent. */
  stop(): Promise<void>;
}
