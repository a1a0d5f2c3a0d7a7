import { join } from 'node:path';
import type { Logger } from 'pino';
import { importLegacyJson } from './importJson.js';
import { PostgresDriver } from './postgres.js';
import { SqliteDriver, type SqliteSync } from './sqlite.js';
import { SqlStateStore } from './sqlStore.js';
import type { StateStore } from './types.js';

export const SQLITE_FILE = 'state.sqlite';

export interface OpenStateOptions {
  /** SQLite lives here (`state.sqlite`); legacy JSON files found here are imported once. */
  stateDir: string;
  /** When set, PostgreSQL is the store (several replicas share it). */
  databaseUrl?: string;
  /** A PostgreSQL schema of its own; default the connection's search_path. */
  databaseSchema?: string;
  sqliteSync?: SqliteSync;
  logger?: Logger;
  /** Skip the JSON import (tests of the store itself). */
  importLegacy?: boolean;
}

/** The store settings of the app's configuration (STATE_DIR, DATABASE_URL, DATABASE_SCHEMA, STATE_SQLITE_SYNC). */
export interface StateConfig {
  STATE_DIR: string;
  DATABASE_URL?: string | undefined;
  DATABASE_SCHEMA?: string | undefined;
  STATE_SQLITE_SYNC: SqliteSync;
}

/** Opens the store the configuration names: one definition for `npm start` and each channel run on its own. */
export function openConfiguredStateStore(config: StateConfig, logger?: Logger): Promise<StateStore> {
  return openStateStore({
    stateDir: config.STATE_DIR,
    ...(config.DATABASE_URL ? { databaseUrl: config.DATABASE_URL } : {}),
    ...(config.DATABASE_SCHEMA ? { databaseSchema: config.DATABASE_SCHEMA } : {}),
    sqliteSync: config.STATE_SQLITE_SYNC,
    ...(logger ? { logger } : {}),
  });
}

/** Opens the configured store, migrates it, and imports legacy JSON state once. */
export async function openStateStore(options: OpenStateOptions): Promise<StateStore> {
  const onError = (err: unknown) => options.logger?.warn({ err }, 'state store connection error');
  const driver = options.databaseUrl
    ? await PostgresDriver.connect({ connectionString: options.databaseUrl, schema: options.databaseSchema, onError })
    : new SqliteDriver(join(options.stateDir, SQLITE_FILE), options.sqliteSync ?? 'full');
  const store = await SqlStateStore.open(driver);
  if (options.importLegacy !== false) {
    try {
      await importLegacyJson(store, options.stateDir, options.logger);
    } catch (err) {
      options.logger?.error({ err }, 'legacy JSON state could not be imported; it is left in place for the next start');
    }
  }
  options.logger?.debug({ kind: store.kind, location: store.location }, 'state store open');
  return store;
}

/**
 * A store shared by the parts of one process (the core, the inbox, the trainer of each channel):
 * opened on first use, closed when the last user lets go.
 */
export class SharedStore {
  private opening: Promise<StateStore> | undefined;
  private users = 0;

  constructor(private readonly options: OpenStateOptions) {}

  async acquire(): Promise<StateStore> {
    this.users++;
    this.opening ??= openStateStore(this.options);
    try {
      return await this.opening;
    } catch (err) {
      this.users--;
      this.opening = undefined;
      throw err;
    }
  }

  async release(): Promise<void> {
    if (--this.users > 0 || !this.opening) return;
    const opening = this.opening;
    this.opening = undefined;
    await (await opening).close();
  }
}
