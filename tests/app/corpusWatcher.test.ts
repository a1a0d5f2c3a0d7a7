import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isDocumentEvent, watchCorpus } from '../../src/app/corpusWatcher.js';

function fakeFolder() {
  let listener: ((file: string | null) => void) | undefined;
  let closed = false;
  return {
    watchFolder: (_dir: string, onChange: (file: string | null) => void) => {
      listener = onChange;
      return { close: () => (closed = true) };
    },
    change: (file: string | null) => listener?.(file),
    get closed() {
      return closed;
    },
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('corpus watcher', () => {
  it('reloads once after a burst of changes has settled', async () => {
    vi.useFakeTimers();
    const folder = fakeFolder();
    const reload = vi.fn(async () => 'ok');
    const watcher = watchCorpus({ corpusDir: '/c', reload, debounceMs: 1000, watchFolder: folder.watchFolder });
    folder.change('a.pdf');
    await vi.advanceTimersByTimeAsync(600);
    folder.change('a.pdf');
    folder.change('b.docx');
    await vi.advanceTimersByTimeAsync(900);
    expect(reload).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(200);
    await watcher.idle();
    expect(reload).toHaveBeenCalledTimes(1);
    watcher.close();
    expect(folder.closed).toBe(true);
    folder.change('c.txt');
    await vi.advanceTimersByTimeAsync(5000);
    expect(reload).toHaveBeenCalledTimes(1);
  });

  it('runs one more reload for changes made during a reload, and survives a failing one', async () => {
    vi.useFakeTimers();
    const folder = fakeFolder();
    let release: () => void = () => undefined;
    const errors: unknown[] = [];
    let calls = 0;
    const reload = vi.fn(async () => {
      calls++;
      if (calls === 1) await new Promise<void>((r) => (release = r));
      if (calls === 2) throw new Error('hỏng');
      return calls;
    });
    const watcher = watchCorpus({ corpusDir: '/c', reload, debounceMs: 100, watchFolder: folder.watchFolder, onError: (e) => errors.push(e) });
    folder.change('a.pdf');
    await vi.advanceTimersByTimeAsync(150);
    expect(reload).toHaveBeenCalledTimes(1);
    folder.change('b.pdf');
    await vi.advanceTimersByTimeAsync(150);
    expect(reload).toHaveBeenCalledTimes(1);
    release();
    await watcher.idle();
    expect(reload).toHaveBeenCalledTimes(2);
    expect(errors).toHaveLength(1);
    folder.change('c.pdf');
    await vi.advanceTimersByTimeAsync(150);
    await watcher.idle();
    expect(reload).toHaveBeenCalledTimes(3);
    watcher.close();
  });

  it('ignores dot folders, swap files and partial downloads', () => {
    expect(isDocumentEvent('bao-cao.pdf')).toBe(true);
    expect(isDocumentEvent('sub/bao-cao.docx')).toBe(true);
    expect(isDocumentEvent(null)).toBe(true);
    expect(isDocumentEvent('.rejected/abc.json')).toBe(false);
    expect(isDocumentEvent('.~lock.bao-cao.docx#')).toBe(false);
    expect(isDocumentEvent('bao-cao.docx.swp')).toBe(false);
    expect(isDocumentEvent('bao-cao.pdf.part')).toBe(false);
    expect(isDocumentEvent('bao-cao.txt~')).toBe(false);
  });

  it('notices a file added to a real folder', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'watch-'));
    try {
      let reloaded: () => void = () => undefined;
      const done = new Promise<void>((r) => (reloaded = r));
      const watcher = watchCorpus({ corpusDir: dir, reload: async () => reloaded(), debounceMs: 50 });
      await fs.writeFile(path.join(dir, 'moi.txt'), 'BÁO CÁO\nNội dung.');
      await done;
      watcher.close();
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }, 10_000);
});
