/**
 * A running bot notices documents added to, changed in or removed from the corpus folder and
 * re-indexes by itself, instead of waiting for an admin's /reload. A copy of a large file fires
 * many change events, so events are gathered until the folder has been quiet for `debounceMs`;
 * one reload then covers them all (the pipeline re-parses only files whose hash changed). Events
 * during a reload lead to one more reload after it. Files the index writes itself (dot files, the
 * quarantine folder) and sidecar edits in progress are ignored by name.
 */
import { watch, type FSWatcher } from 'node:fs';

export interface CorpusWatcherOptions {
  corpusDir: string;
  /** Re-indexes the corpus; its errors are reported through `onError`, the watcher keeps going. */
  reload: () => Promise<unknown>;
  debounceMs?: number;
  onReloaded?: (result: unknown) => void;
  onError?: (err: unknown) => void;
  /** For tests: the folder watch (default: recursive fs.watch). */
  watchFolder?: (dir: string, onChange: (file: string | null) => void) => { close(): void };
}

export interface CorpusWatcher {
  /** Stops watching; a reload in progress finishes. */
  close(): void;
  /** Resolves when no reload is pending or running (tests, shutdown). */
  idle(): Promise<void>;
}

export const DEFAULT_CORPUS_DEBOUNCE_MS = 2_000;

/** Editor swap files, partial downloads and our own dot folders are not documents. */
export function isDocumentEvent(file: string | null): boolean {
  if (file === null) return true;
  const parts = file.split(/[\\/]/);
  const name = parts[parts.length - 1] ?? '';
  if (parts.some((p) => p.startsWith('.'))) return false;
  return !/(~|\.swp|\.tmp|\.part|\.crdownload)$/i.test(name);
}

function defaultWatch(dir: string, onChange: (file: string | null) => void): { close(): void } {
  let watcher: FSWatcher;
  try {
    watcher = watch(dir, { recursive: true }, (_event, file) => onChange(file === null ? null : String(file)));
  } catch {
    // Recursive watching is not available everywhere; the top level is where documents go.
    watcher = watch(dir, (_event, file) => onChange(file === null ? null : String(file)));
  }
  return watcher;
}

export function watchCorpus(options: CorpusWatcherOptions): CorpusWatcher {
  const debounceMs = options.debounceMs ?? DEFAULT_CORPUS_DEBOUNCE_MS;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let closed = false;

  const runReload = async (): Promise<void> => {
    do {
      again = false;
      try {
        // Not `onReloaded?.(await reload())`: an absent callback would skip the reload itself.
        const result = await options.reload();
        options.onReloaded?.(result);
      } catch (err) {
        options.onError?.(err);
      }
    } while (again && !closed);
  };
  const fire = () => {
    timer = undefined;
    if (closed) return;
    if (running) {
      again = true;
      return;
    }
    running = runReload().finally(() => {
      running = undefined;
    });
  };
  const onChange = (file: string | null) => {
    if (closed || !isDocumentEvent(file)) return;
    clearTimeout(timer);
    timer = setTimeout(fire, debounceMs);
    timer.unref?.();
  };
  const handle = (options.watchFolder ?? defaultWatch)(options.corpusDir, onChange);
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      handle.close();
    },
    async idle() {
      while (running) await running;
    },
  };
}
