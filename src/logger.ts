import pino, { type Logger, type DestinationStream } from 'pino';

/**
 * Bot tokens are part of every Bot API URL ("/bot<TOKEN>/sendMessage"), so they can leak through
 * URLs, error messages and debug dumps. Every log line passes through `redactSecrets` before it
 * is written, whatever field the secret hides in.
 */
const registeredSecrets = new Set<string>();

export function registerSecret(secret: string | undefined): void {
  if (secret && secret.length >= 6) registeredSecrets.add(secret);
}

const TOKEN_PATTERNS: RegExp[] = [
  // Telegram: 123456:ABC-DEF…
  /\b\d{5,}:[A-Za-z0-9_-]{20,}\b/g,
  // Any /bot<token>/ path segment (Telegram, Zalo).
  /\/bot[^/\s"'?]{8,}(?=\/|\b)/g,
  // Bearer credentials.
  /(Bearer\s+)[A-Za-z0-9._~+/-]{8,}=*/gi,
];

/** "scheme://user:pass@host" — credentials in an API root (TELEGRAM_API_ROOT, ZALO_API_ROOT, …). */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"'\\]+@/gi;

/** The URL with its userinfo part (user:password@) replaced; safe to log. */
export function redactUrl(url: string): string {
  return url.replace(URL_USERINFO, '$1[REDACTED]@');
}

export function redactSecrets(text: string): string {
  let out = redactUrl(text);
  for (const secret of registeredSecrets) out = out.split(secret).join('[REDACTED]');
  out = out.replace(TOKEN_PATTERNS[0]!, '[REDACTED]');
  out = out.replace(TOKEN_PATTERNS[1]!, '/bot[REDACTED]');
  out = out.replace(TOKEN_PATTERNS[2]!, '$1[REDACTED]');
  return out;
}

/** Wraps a destination so that every serialized line is redacted. */
function redactingStream(dest: DestinationStream): DestinationStream {
  return { write: (line: string) => dest.write(redactSecrets(line)) };
}

export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  const dest = options.destination ?? pino.destination({ dest: 2, sync: true });
  return pino(
    {
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      base: undefined,
      redact: {
        paths: ['token', '*.token', 'config.*TOKEN*', 'headers.authorization', '*.headers.authorization', 'apiKey', '*.apiKey'],
        censor: '[REDACTED]',
      },
    },
    redactingStream(dest),
  );
}

export type { Logger };
