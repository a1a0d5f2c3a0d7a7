import { z } from 'zod';

/**
 * Every setting comes from the environment (or .env). Each one is documented in .env.example;
 * keep the two in step. Parsing fails with a message naming the variable, never with a stack.
 */

const csvIds = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? '')
      .split(/[\s,;]+/)
      .map((s) => s.trim())
      .filter(Boolean),
  );

const optionalUrl = z
  .string()
  .optional()
  .transform((v) => (v && v.trim() ? v.trim() : undefined))
  .pipe(z.url().optional());

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v && v.trim() ? v.trim() : undefined));

const int = (def: number) => z.coerce.number().int().nonnegative().default(def);

export const configSchema = z.object({
  CORPUS_DIR: z.string().default('corpus'),
  INDEX_DIR: z.string().default('data/index'),
  STATE_DIR: z.string().default('data/state'),
  /** PostgreSQL for the state (several replicas share it); empty = SQLite under STATE_DIR. */
  DATABASE_URL: optionalString,
  /** A PostgreSQL schema of its own (two bots on one database). */
  DATABASE_SCHEMA: optionalString,
  /** SQLite commit durability: full = fsync every commit (survives power loss), normal = faster. */
  STATE_SQLITE_SYNC: z.enum(['full', 'normal']).default('full'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  /**
   * Looser access, explicit only: a listed user is answered in any group (and the group reads the
   * answer). Default: in a group the chat itself must be on *_ALLOWED_CHATS.
   */
  ALLOW_LISTED_USERS_IN_ANY_GROUP: z
    .enum(['true', 'false', '1', '0', ''])
    .optional()
    .transform((v) => v === 'true' || v === '1'),
  RATE_LIMIT_PER_MINUTE: int(10),
  MAX_QUESTION_CHARS: int(1000),
  MAX_UPLOAD_BYTES: int(20 * 1024 * 1024),

  TELEGRAM_BOT_TOKEN: optionalString,
  TELEGRAM_API_ROOT: optionalUrl,
  TELEGRAM_ALLOWED_CHATS: csvIds,
  TELEGRAM_ALLOWED_USERS: csvIds,
  TELEGRAM_ADMIN_USERS: csvIds,
  TELEGRAM_WEBHOOK_URL: optionalUrl,
  TELEGRAM_WEBHOOK_PORT: int(8443),
  TELEGRAM_WEBHOOK_PATH: z.string().default('/telegram'),
  TELEGRAM_WEBHOOK_SECRET: optionalString,
  /** Address the webhook server binds; loopback behind the reverse proxy by default. */
  TELEGRAM_WEBHOOK_HOST: z.string().default('127.0.0.1'),

  ZALO_BOT_TOKEN: optionalString,
  ZALO_API_ROOT: z.url().default('https://bot-api.zaloplatforms.com'),
  ZALO_ALLOWED_CHATS: csvIds,
  ZALO_ALLOWED_USERS: csvIds,
  ZALO_ADMIN_USERS: csvIds,
  ZALO_WEBHOOK_URL: optionalUrl,
  ZALO_WEBHOOK_PORT: int(8444),
  ZALO_WEBHOOK_PATH: z.string().default('/zalo'),
  ZALO_WEBHOOK_SECRET: optionalString,
  ZALO_WEBHOOK_HOST: z.string().default('127.0.0.1'),

  LLM_PROVIDER: z
    .enum(['openai-compatible', 'ollama', ''])
    .optional()
    .transform((v) => (v ? v : undefined)),
  LLM_BASE_URL: optionalUrl,
  LLM_API_KEY: optionalString,
  LLM_MODEL: optionalString,
  LLM_TIMEOUT_MS: int(20_000),
  OLLAMA_BASE_URL: optionalUrl,

  EMBEDDINGS_PROVIDER: z.enum(['local', 'openai-compatible', 'ollama']).default('local'),
  EMBEDDINGS_BASE_URL: optionalUrl,
  EMBEDDINGS_MODEL: optionalString,
  EMBEDDINGS_API_KEY: optionalString,
});

export type AppConfig = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Cấu hình không hợp lệ / invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
