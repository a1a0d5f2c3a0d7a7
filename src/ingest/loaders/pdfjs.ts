/**
 * pdf.js, loaded on first use, with the native builtins it overrides put back.
 *
 * Only pdf.js's legacy build runs on Node 20 (the modern one calls Promise.withResolvers), and
 * that build bundles core-js, which *replaces* working natives to fix edge cases nothing here
 * hits: Array.prototype.push (a JavaScript push under every array in the process — measured at a
 * third of the CPU time of a question at 100k passages), JSON.parse, Function.prototype.toString.
 * What it *adds* (methods Node 20 lacks, which pdf.js calls) stays. Importing it lazily also keeps
 * it out of processes that never read a PDF.
 */
type PdfJs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');

let loading: Promise<PdfJs> | undefined;

function guardedObjects(): object[] {
  const typedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;
  return [globalThis, Object, Object.prototype, Function.prototype, Array, Array.prototype, typedArrayPrototype, JSON, Promise, Promise.prototype, Map.prototype, Set.prototype, String.prototype, Number, Math, Reflect];
}

function sameDescriptor(a: PropertyDescriptor, b: PropertyDescriptor): boolean {
  return Object.is(a.value, b.value) && a.get === b.get && a.set === b.set;
}

export function loadPdfJs(): Promise<PdfJs> {
  loading ??= (async () => {
    const saved = guardedObjects().map((target) => ({
      target,
      props: Reflect.ownKeys(target).map((key) => ({ key, before: Object.getOwnPropertyDescriptor(target, key)! })),
    }));
    try {
      return await import('pdfjs-dist/legacy/build/pdf.mjs');
    } finally {
      for (const { target, props } of saved) {
        for (const { key, before } of props) {
          const now = Object.getOwnPropertyDescriptor(target, key);
          if (!now || sameDescriptor(before, now)) continue;
          try {
            Object.defineProperty(target, key, before);
          } catch {
            // A non-configurable property cannot have been replaced either; nothing to undo.
          }
        }
      }
    }
  })();
  return loading;
}
