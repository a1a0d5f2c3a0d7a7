/**
 * "typing…" while an answer is being worked on. Telegram and Zalo both show the indicator for
 * about 5 s, so it is renewed at an interval until the work ends. It starts only when the core
 * says it is working (`working()`), so instant replies (commands, refusals) send no indicator.
 * `sendTyping` must not throw; the indicator is a courtesy, never a reason to fail an answer.
 */
export async function withTyping<T>(sendTyping: () => void, intervalMs: number, work: (working: () => void) => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const working = (): void => {
    if (timer) return;
    sendTyping();
    timer = setInterval(sendTyping, intervalMs);
    // A forgotten renewal must not keep a stopping process alive.
    timer.unref();
  };
  try {
    return await work(working);
  } finally {
    if (timer) clearInterval(timer);
  }
}
