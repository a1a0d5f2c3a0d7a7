/**
 * Errors of the Zalo Bot API client, split by layer so callers can decide what to retry:
 *
 * - `ZaloApiError`: the API answered (an `{ok:false, error_code, description}` envelope, or an
 *   HTTP error status without one). Zalo often answers errors with HTTP 200, so the envelope
 *   decides, not the status.
 * - `ZaloNetworkError`: no usable answer at all (DNS, refused or dropped connection, timeout,
 *   a body that is not JSON).
 *
 * Neither ever carries the request URL or the original axios error: both contain the bot token
 * ("/bot<TOKEN>/method"), and pino's error serializer prints `cause` chains in full.
 */

import { redactSecrets } from '../../logger.js';

/** getUpdates answers 408 when the long poll ended without an update: not a failure. */
export const POLL_TIMEOUT_ERROR_CODE = 408;
/** Quota exceeded: back off, do not hammer. */
export const QUOTA_EXCEEDED_ERROR_CODE = 429;
/** Bad or revoked token. */
export const UNAUTHORIZED_ERROR_CODES: ReadonlySet<number> = new Set([401, 403]);

export class ZaloApiError extends Error {
  constructor(
    readonly method: string,
    readonly errorCode: number,
    readonly description: string,
    /** HTTP status of the answer, for logs; the envelope's error_code is what matters. */
    readonly httpStatus: number,
  ) {
    super(redactSecrets(`Zalo API ${method} failed: ${errorCode} ${description}`));
    this.name = 'ZaloApiError';
  }

  get isPollTimeout(): boolean {
    return this.errorCode === POLL_TIMEOUT_ERROR_CODE;
  }

  get isQuotaExceeded(): boolean {
    return this.errorCode === QUOTA_EXCEEDED_ERROR_CODE || this.httpStatus === QUOTA_EXCEEDED_ERROR_CODE;
  }

  get isUnauthorized(): boolean {
    return UNAUTHORIZED_ERROR_CODES.has(this.errorCode);
  }

  /** Server-side trouble that is worth retrying as is. */
  get isServerError(): boolean {
    return this.errorCode >= 500 || this.httpStatus >= 500;
  }
}

export class ZaloNetworkError extends Error {
  constructor(
    readonly method: string,
    /** Node/axios error code such as ECONNRESET, ECONNREFUSED, ECONNABORTED, or BAD_RESPONSE. */
    readonly code: string,
    detail: string,
  ) {
    super(redactSecrets(`Zalo API ${method}: network error ${code}${detail ? `: ${detail}` : ''}`));
    this.name = 'ZaloNetworkError';
  }
}

/**
 * The API answered, but not in a shape the bot can use (no envelope, a getMe result without an
 * id). Retried like a network fault: a proxy mangling one answer usually lets the next through.
 * Carries zod's issue paths, never the body (it may hold user text).
 */
export class ZaloMalformedResponseError extends ZaloNetworkError {
  constructor(
    method: string,
    readonly issues: readonly string[],
  ) {
    super(method, 'BAD_RESPONSE', issues.join('; '));
    this.name = 'ZaloMalformedResponseError';
  }
}

export type ZaloError = ZaloApiError | ZaloNetworkError;

export function isZaloError(err: unknown): err is ZaloError {
  return err instanceof ZaloApiError || err instanceof ZaloNetworkError;
}

/** A compact, token-free description of any error for log fields. */
export function describeError(err: unknown): Record<string, unknown> {
  if (err instanceof ZaloApiError) {
    return { kind: 'api', method: err.method, errorCode: err.errorCode, httpStatus: err.httpStatus, description: err.description };
  }
  if (err instanceof ZaloNetworkError) {
    return { kind: 'network', method: err.method, code: err.code, message: err.message };
  }
  if (err instanceof Error) return { kind: 'other', name: err.name, message: redactSecrets(err.message) };
  return { kind: 'other', message: redactSecrets(String(err)) };
}
