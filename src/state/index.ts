/**
 * The durable state of the bot: `openStateStore({ stateDir, databaseUrl })` gives SQLite under
 * STATE_DIR (default) or PostgreSQL (DATABASE_URL), both migrated and behind one interface.
 */
export * from './types.js';
export { openConfiguredStateStore, openStateStore, SharedStore, type StateConfig, SQLITE_FILE, type OpenStateOptions } from './open.js';
export { importLegacyJson, legacyChatKey } from './importJson.js';
export { SqlStateStore, StateSchemaError, migrate, type SqlDriver } from './sqlStore.js';
export { SqliteDriver, type SqliteSync } from './sqlite.js';
export { PostgresDriver, redactDatabaseUrl } from './postgres.js';
export { LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations.js';
