import { expect } from 'vitest';
import { UnsupportedDocumentError } from '../../../src/ingest/loaders/types.js';

/** Resolves to the UnsupportedDocumentError a promise rejects with (fails the test otherwise). */
export async function reason(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UnsupportedDocumentError);
  return (err as UnsupportedDocumentError).reason;
}
