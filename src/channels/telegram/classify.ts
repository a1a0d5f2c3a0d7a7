import { TelegramError } from 'telegraf';
import { BotApiError, BotNetworkError, type ClassifiedError } from './errors.js';

/**
 * Maps whatever the HTTP layer threw (telegraf's TelegramError, node-fetch/undici errors,
 * timeouts) onto the two layers the rest of the channel reasons about. Kept apart from
 * errors.ts so bot logic can use the error types without importing HTTP code.
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
  if (err instanceof BotApiError || err instanceof BotNetworkError) return err;
  if (err instanceof TelegramError) {
    const retryAfter = err.response.parameters?.retry_after;
    return new BotApiError(method, err.code, err.description, typeof retryAfter === 'number' ? retryAfter : undefined);
  }
  if (timedOut) return new BotNetworkError(method, 'TIMEOUT', 'no response in time');
  const message = err instanceof Error ? err.message : String(err);
  const name = err instanceof Error ? err.name : 'Error';
  return new BotNetworkError(method, errnoCode(err) ?? name, message);
}

