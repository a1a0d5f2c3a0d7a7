import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { withTyping } from '../../../src/channels/shared/typing.js';

describe('typing renewal', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('starts when the core says it is working, renews at the interval, and stops with the work', async () => {
    let sent = 0;
    let finish!: () => void;
    const done = withTyping(() => sent++, 4000, async (working) => {
      await vi.advanceTimersByTimeAsync(10_000);
      // Nothing before working(): instant replies show no indicator.
      expect(sent).toBe(0);
      working();
      working();
      expect(sent).toBe(1);
      await new Promise<void>((resolve) => (finish = resolve));
      return 'answer';
    });
    await vi.advanceTimersByTimeAsync(8_500);
    expect(sent).toBe(3);
    finish();
    expect(await done).toBe('answer');
    await vi.advanceTimersByTimeAsync(20_000);
    expect(sent).toBe(3);
  });

  it('stops renewing when the work fails', async () => {
    let sent = 0;
    await expect(
      withTyping(() => sent++, 1000, (working) => {
        working();
        return Promise.reject(new Error('boom'));
      }),
    ).rejects.toThrow('boom');
    await vi.advanceTimersByTimeAsync(5000);
    expect(sent).toBe(1);
  });
});
