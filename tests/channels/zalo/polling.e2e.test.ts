import { afterEach, describe, expect, it } from 'vitest';
import { textUpdate } from './fakeZaloApi.js';
import { delay, startHarness, type Harness } from './harness.js';

const QUESTION = 'Mô hình bí thư đồng thời là chủ tịch xã đạt kết quả gì?';

describe('Zalo polling end to end', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('answers a question with numbered citations and a /trichdan hint, after removing any webhook', async () => {
    h = await startHarness();
    const { api } = h;
    api.push(textUpdate({ text: QUESTION, userId: 'u-alice' }));
    await api.waitFor(() => api.textsTo('u-alice').length >= 1, 5000, 'the answer');

    const firstPoll = api.calls.findIndex((c) => c.method === 'getUpdates');
    const deleteCall = api.calls.findIndex((c) => c.method === 'deleteWebhook');
    expect(deleteCall).toBeGreaterThanOrEqual(0);
    expect(deleteCall).toBeLessThan(firstPoll);

    const [answer] = api.textsTo('u-alice');
    expect(answer).toContain('86/102 xã');
    expect(answer).toMatch(/Nguồn:\n\[1\] Báo cáo số 381-BC\/TU/);
    expect(answer).toContain('[2] ');
    expect(answer).toContain('/trichdan 1');
    expect(answer).not.toMatch(/<\/?(b|i|a|blockquote)>/);
    expect(api.callsOf('sendChatAction')[0]?.body).toEqual({ chat_id: 'u-alice', action: 'typing' });
    expect(h.knowledge.asks).toHaveLength(1);
  });

  it('splits a long answer into messages under 2000 characters at paragraph boundaries', async () => {
    h = await startHarness();
    const { api } = h;
    api.push(textUpdate({ text: 'Cho tôi một câu trả lời dài về tổ chức bộ máy', userId: 'u-long' }));
    await api.waitFor(() => api.textsTo('u-long').some((t) => t.includes('Nguồn:')), 5000, 'all parts');
    const parts = api.textsTo('u-long');
    expect(parts.length).toBeGreaterThan(2);
    for (const p of parts) {
      expect(p.length).toBeLessThanOrEqual(2000);
      expect(p.length).toBeGreaterThan(0);
    }
    // Every part starts at a paragraph: the answer's paragraphs are "Đoạn N. …".
    for (const p of parts.slice(0, -1)) expect(p).toMatch(/^Đoạn \d+\./);
    const all = parts.join('\n\n');
    for (let i = 1; i <= 14; i++) expect(all).toContain(`Đoạn ${i}.`);
    expect(all.indexOf('Đoạn 14.')).toBeGreaterThan(all.indexOf('Đoạn 1.'));
  });

  it('handles commands typed as text: /nguon, /trichdan N, /trogiup, /start', async () => {
    h = await startHarness();
    const { api } = h;
    const send = async (text: string): Promise<string> => {
      const before = api.textsTo('u-cmd').length;
      api.push(textUpdate({ text, userId: 'u-cmd' }));
      await api.waitFor(() => api.textsTo('u-cmd').length > before, 5000, `reply to ${text}`);
      return api.textsTo('u-cmd').slice(before).join('\n');
    };
    expect(await send('/nguon')).toContain('381-BC/TU');
    expect(await send('/trichdan 2')).toContain('Chưa có câu trả lời');
    await send(QUESTION);
    const cite = await send('/trichdan 2');
    expect(cite).toContain('[2]');
    expect(cite).toContain('lúng túng');
    expect(cite).toContain('<cấp ủy> & chính quyền');
    expect(await send('/trogiup')).toContain('/trichdan');
    expect(await send('/start')).toContain('Alice');
  });

  it('sits through a long run of 408s without errors and still answers', async () => {
    h = await startHarness();
    const { api, logs } = h;
    await api.waitFor(() => api.callsOf('getUpdates').length >= 15, 10_000, '15 empty polls');
    expect(api.callsOf('getUpdates').every((c) => c.outcome === 'empty')).toBe(true);
    api.push(textUpdate({ text: QUESTION, userId: 'u-408' }));
    await api.waitFor(() => api.textsTo('u-408').length === 1, 5000, 'answer after 408s');
    const warnings = logs.entries().filter((e) => e.level >= 40 && !String(e.msg).includes('anyone who finds the bot'));
    expect(warnings).toEqual([]);
  });

  it('backs off on 429 with at least the quota delay, then recovers', async () => {
    h = await startHarness({ tuning: { quotaMinDelayMs: 30 } });
    const { api } = h;
    await api.waitFor(() => api.callsOf('getUpdates').length >= 1, 5000, 'first poll');
    api.failNext('getUpdates', { kind: 'api', errorCode: 429, description: 'Too many requests' }, 3);
    api.push(textUpdate({ text: QUESTION, userId: 'u-429' }));
    await api.waitFor(() => api.textsTo('u-429').length === 1, 5000, 'answer after 429s');
    const polls = api.callsOf('getUpdates');
    const limited = polls.filter((c) => c.outcome === 'api 429');
    expect(limited).toHaveLength(3);
    for (const c of limited) {
      const next = polls[polls.indexOf(c) + 1];
      expect(next).toBeDefined();
      expect((next?.atMs ?? 0) - c.atMs).toBeGreaterThanOrEqual(28);
    }
  });

  it('rides out a long 5xx outage without spinning, then recovers and answers', async () => {
    h = await startHarness({ tuning: { backoffInitialMs: 5, backoffMaxMs: 40 } });
    const { api, logs } = h;
    await api.waitFor(() => api.callsOf('getUpdates').length >= 1, 5000, 'first poll');
    api.outage = { kind: 'http', status: 503 };
    const outageStart = Date.now();
    await delay(600);
    const during = api.calls.filter((c) => c.atMs >= outageStart && c.outcome === 'http 503');
    // Capped backoff: with a 40 ms cap (≥ 32 ms after jitter) 600 ms allows ~20 calls, a hot loop thousands.
    expect(during.length).toBeGreaterThan(3);
    expect(during.length).toBeLessThan(40);
    const gaps = during.slice(1).map((c, i) => c.atMs - (during[i]?.atMs ?? 0));
    expect(Math.max(...gaps)).toBeGreaterThanOrEqual(25);
    // Failures are logged sparingly, not once per retry.
    const warns = logs.entries().filter((e) => e.level === 40 && String(e.msg).includes('backing off'));
    expect(warns.length).toBeLessThan(during.length);

    api.outage = undefined;
    api.push(textUpdate({ text: QUESTION, userId: 'u-5xx' }));
    await api.waitFor(() => api.textsTo('u-5xx').length === 1, 5000, 'answer after the outage');
    expect(logs.entries().some((e) => e.msg === 'zalo: API reachable again')).toBe(true);
  });

  it('recovers from dropped connections on getUpdates and sendMessage, sending the answer once', async () => {
    h = await startHarness();
    const { api } = h;
    await api.waitFor(() => api.callsOf('getUpdates').length >= 1, 5000, 'first poll');
    api.failNext('getUpdates', { kind: 'drop' }, 2);
    api.failNext('sendMessage', { kind: 'drop' }, 2);
    api.failNext('sendMessage', { kind: 'http', status: 502 }, 1);
    api.push(textUpdate({ text: QUESTION, userId: 'u-drop' }));
    await api.waitFor(() => api.textsTo('u-drop').length === 1, 5000, 'answer after drops');
    await delay(100);
    expect(api.textsTo('u-drop')).toHaveLength(1);
    expect(api.callsOf('sendMessage').filter((c) => c.outcome === 'drop')).toHaveLength(2);
    expect(h.knowledge.asks).toHaveLength(1);
  });

  it('does not crash when the API is unreachable at start-up, and answers once it comes back', async () => {
    h = await startHarness({
      beforeStart: (api) => {
        api.outage = { kind: 'drop' };
      },
    });
    const { api } = h;
    await api.waitFor(() => api.calls.filter((c) => c.outcome === 'drop').length >= 5, 5000, 'failed calls');
    api.outage = undefined;
    api.push(textUpdate({ text: QUESTION, userId: 'u-late' }));
    await api.waitFor(() => api.textsTo('u-late').length === 1, 5000, 'answer after start-up outage');
  });

  it('stops gracefully: finishes the answer in flight and stops polling', async () => {
    h = await startHarness({ knowledge: { askDelayMs: 150 } });
    const { api } = h;
    api.push(textUpdate({ text: QUESTION, userId: 'u-stop' }));
    await api.waitFor(() => api.callsOf('sendChatAction').length >= 1, 5000, 'work started');
    await h.stopChannel();
    expect(api.textsTo('u-stop')).toHaveLength(1);
    const pollsAtStop = api.callsOf('getUpdates').length;
    await delay(100);
    expect(api.callsOf('getUpdates').length).toBe(pollsAtStop);
  });
});
