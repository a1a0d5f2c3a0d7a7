/**
 * Reading rows the same way from both drivers: PostgreSQL returns BIGINT as a string and SQLite
 * as a number, and JSON columns are TEXT on both.
 */
export const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v ?? 0));
export const str = (v: unknown): string => (typeof v === 'string' ? v : String(v ?? ''));

export function parseJson(text: unknown): unknown {
  try {
    return JSON.parse(str(text)) as unknown;
  } catch {
    return undefined;
  }
}
