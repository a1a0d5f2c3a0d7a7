import { describe, expect, it } from 'vitest';
import { loadPdfJs } from '../../../src/ingest/loaders/pdfjs.js';

describe('loading pdf.js', () => {
  it('leaves the native builtins core-js would replace, and keeps what it adds', async () => {
    const push = Array.prototype.push;
    const parse = JSON.parse;
    const toString = Function.prototype.toString;
    const pdfjs = await loadPdfJs();
    expect(typeof pdfjs.getDocument).toBe('function');
    expect(Array.prototype.push).toBe(push);
    expect(JSON.parse).toBe(parse);
    expect(Function.prototype.toString).toBe(toString);
    // pdf.js itself needs this one on Node 20; the polyfill must stay.
    expect(typeof (Promise as unknown as { withResolvers?: unknown }).withResolvers).toBe('function');
    expect(await loadPdfJs()).toBe(pdfjs);
  });
});
