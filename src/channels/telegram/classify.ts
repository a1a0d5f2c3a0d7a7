import { TelegramError } from 'telegraf';
import { BotApiError, BotApiResponseError, BotNetworkError, type ClassifiedError } from './errors.js';
import { clampDelayMs } from './sleep.js';

/**
 * Maps whatever the HTTP layer threw (telegraf's TelegramError, node-fetch/undici errors,
 * timeouts) onto the layers the rest of the channel reasons about. Kept apart from errors.ts so
 * bot logic can use the error types without importing HTTP code.
 */
function errnoCode(err: unknown): string | undefined {
  let cur: unknown = err;
  for (let depth = 0; depth < 4 && cur && typeof cur === 'object'; depth++) {
    const rec = cur as { code?: unknown; errno?: unknown; type?: unknown; cause?: unknown };
    if (typeof rec.code === 'string') return rec.code;
    if (typeof rec.errno === 'string') return rec.errno;
    cur = rec.cause;
  }
  return undefined;
}

export function classifyError(err: unknown, method: string, timedOut = false): ClassifiedError {
  if (err instanceof BotApiError || err instanceof BotNetworkError || err instanceof BotApiResponseError) return err;
  if (err instanceof TelegramError) {
    // telegraf throws TelegramError for any body without ok:true, `{}` and `[null]` included.
    if (typeof err.code !== 'number' || !Number.isSafeInteger(err.code)) return new BotApiResponseError(method, 'neither a result nor an error_code');
    const retryAfter = err.response.parameters?.retry_after;
    return new BotApiError(method, err.code, String(err.description), typeof retryAfter === 'number' && retryAfter >= 0 ? retryAfter : undefined);
  }
  if (timedOut) return new BotNetworkError(method, 'TIMEOUT', 'no response in time');
  // node-fetch's res.json() on a truncated or non-JSON body.
  if (err instanceof Error && (err as { type?: unknown }).type === 'invalid-json') return new BotApiResponseError(method, 'body is not JSON');
  if (err instanceof TypeError && /reading 'ok'/.test(err.message)) return new BotApiResponseError(method, 'body is null');
  const message = err instanceof Error ? err.message : String(err);
  const name = err instanceof Error ? err.name : 'Error';
  return new BotNetworkError(method, errnoCode(err) ?? name, message);
}

/**
 * Whether sending again later can succeed: 429, 5xx, the network, a malformed answer. A
 * 401/404 means our token or API root is wrong: the bot as a whole is broken, not this reply,
 * so the reply waits for the operator rather than being thrown away.
 */
export function isTransient(err: unknown): boolean {
  if (err instanceof BotNetworkError || err instanceof BotApiResponseError) return true;
  if (err instanceof BotApiError) return err.retryable || err.errorCode === 401 || err.errorCode === 404;
  return false;
}

/**
 * Telegram refused this message for good: chat not found (400), bot blocked or kicked (403),
 * message too long or malformed (400). Retrying cannot help; the reply is logged and dropped.
 */
export function isPermanentRefusal(err: unknown): err is BotApiError {
  return err instanceof BotApiError && !isTransient(err);
}

/** Telegram's wait after a 429, clamped to what a timer can hold. */
export function retryAfterMs(err: unknown): number | undefined {
  if (!(err instanceof BotApiError) || err.errorCode !== 429 || err.retryAfterS === undefined) return undefined;
  return clampDelayMs(err.retryAfterS * 1000);
}
