import { afterEach, describe, expect, it } from 'vitest';
import { FakeZaloApi, textUpdate } from '../channels/zalo/fakeZaloApi.js';
import { startHarness, TOKEN, type Harness } from '../channels/zalo/harness.js';
import { collectUnhandledRejections } from '../helpers.js';

/**
 * Drill: the Zalo Bot API (or a proxy in front of it) answers with bodies that do not fit the
 * documented shapes. Each is counted (ZaloChannel.malformed, one warn log per kind) and skipped;
 * the poller and the webhook keep going, and no real question is lost or answered twice.
 */

const QUESTION = 'Mô hình bí thư đồng thời là chủ tịch xã đạt kết quả gì?';
const SECRET = 'webhook-secret-0123456789';

/** getUpdates answers that must be counted and skipped. */
const MALFORMED_POLLS: { name: string; body: unknown }[] = [
  { name: 'result "surprise"', body: { ok: true, result: 'surprise' } },
  { name: '{}', body: {} },
  { name: '[null]', body: [null] },
  { name: 'result [null]', body: { ok: true, result: [null] } },
  { name: 'message without ids', body: { ok: true, result: { event_name: 'message.text.received', message: { text: 'ai gửi?', chat: {}, from: {} } } } },
  { name: 'message without message_id', body: { ok: true, result: { event_name: 'message.text.received', message: { text: 'x', chat: { id: 'c' }, from: { id: 'u' } } } } },
  { name: 'not JSON', body: '<html>502</html>' },
];

const rows: string[] = [];
function report(scenario: string, messages: number, lost: number, duplicated: number): void {
  rows.push(`${scenario} | ${messages} | ${lost} | ${duplicated}`);
}

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  if (rows.length > 0) console.log(['scenario | messages | lost | duplicated', ...rows.splice(0)].join('\n'));
});

describe('drill: malformed Zalo answers are counted and skipped', () => {
  it('polling: every malformed getUpdates body is counted, the list answer loses nothing, polling goes on', async () => {
    const unhandled = collectUnhandledRejections();
    const api = await new FakeZaloApi({ token: TOKEN, emptyPollHoldMs: 10 }).start();
    h = await startHarness({ api });
    await api.waitFor(() => api.callsOf('getUpdates').length >= 1, 5000, 'first poll');
    for (const m of MALFORMED_POLLS) api.pushRaw(typeof m.body === 'string' ? m.body : JSON.stringify(m.body));
    // Documented as one update per call, but a list must not cost the updates after the first.
    const listed = ['u-list-1', 'u-list-2', 'u-list-3'].map((u, i) => textUpdate({ text: QUESTION, userId: u, messageId: `list-${i}` }));
    api.pushRaw(JSON.stringify({ ok: true, result: [listed[0], null, listed[1], listed[2]] }));
    api.push(textUpdate({ text: QUESTION, userId: 'u-after' }));
    const users = ['u-list-1', 'u-list-2', 'u-list-3', 'u-after'];
    await api.waitFor(() => users.every((u) => api.textsTo(u).length >= 1), 15_000, 'every real question answered');

    const malformed = h.channel.malformed;
    // Six bodies and items that parse as JSON but do not fit, the null in the list, the HTML page.
    expect(malformed.of('getUpdates')).toBe(MALFORMED_POLLS.length + 1);
    expect(h.logs.text()).toContain('malformed answer skipped');
    expect(h.logs.text()).not.toContain('ai gửi?');
    const duplicated = users.reduce((n, u) => n + api.textsTo(u).length - 1, 0);
    report(`getUpdates: ${MALFORMED_POLLS.map((m) => m.name).join(', ')}, list of 3 + null`, users.length, users.filter((u) => api.textsTo(u).length === 0).length, duplicated);
    expect(duplicated).toBe(0);
    expect(unhandled).toEqual([]);
  });

  it('getMe without an id is counted and retried, so group mentions are still recognised', async () => {
    const api = await new FakeZaloApi({ token: TOKEN, emptyPollHoldMs: 10 }).start();
    api.failNext('getMe', { kind: 'http', status: 200, body: JSON.stringify({ ok: true, result: 'surprise' }) });
    api.failNext('getMe', { kind: 'http', status: 200, body: JSON.stringify({ ok: true, result: { display_name: 'no id' } }) }, 1);
    h = await startHarness({ api });
    api.push(textUpdate({ text: `@Trợ lý Báo cáo ${QUESTION}`, chatId: 'g-mal', userId: 'u-g', chatType: 'GROUP' }));
    await api.waitFor(() => api.textsTo('g-mal').length === 1, 10_000, 'the group answer');
    expect(h.channel.malformed.of('getMe')).toBe(2);
    expect(api.callsOf('getMe').length).toBeGreaterThanOrEqual(3);
    report('getMe: result "surprise", result without id; then a group mention', 1, 0, api.textsTo('g-mal').length - 1);
  });

  it('sendMessage answering ok with a malformed result is counted, not resent', async () => {
    const api = await new FakeZaloApi({ token: TOKEN, emptyPollHoldMs: 10 }).start();
    h = await startHarness({ api });
    api.push(textUpdate({ text: '/nguon', userId: 'u-send' }));
    await api.waitFor(() => api.textsTo('u-send').length === 1, 10_000, 'the answer');
    // A fault answers instead of the fake, so the text is not recorded: count calls instead.
    api.failNext('sendMessage', { kind: 'http', status: 200, body: JSON.stringify({ ok: true, result: 'surprise' }) });
    api.push(textUpdate({ text: '/nguon', userId: 'u-send' }));
    await api.waitFor(() => h?.channel.malformed.of('sendMessage') === 1, 10_000, 'the malformed send counted');
    await new Promise((r) => setTimeout(r, 200));
    expect(api.callsOf('sendMessage')).toHaveLength(2);
    report('sendMessage: ok with result "surprise"', 2, 0, api.callsOf('sendMessage').length - 2);
  });

  it('webhook: malformed bodies get 200 and are counted; real updates around them are answered', async () => {
    h = await startHarness({
      env: { ZALO_WEBHOOK_URL: 'https://bot.example.vn', ZALO_WEBHOOK_PORT: '0', ZALO_WEBHOOK_PATH: '/zalo-hook', ZALO_WEBHOOK_SECRET: SECRET },
    });
    const port = h.channel.webhookPort;
    const post = (body: unknown) =>
      fetch(`http://127.0.0.1:${port}/zalo-hook`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Bot-Api-Secret-Token': SECRET },
        body: JSON.stringify(body),
      });
    const bodies = MALFORMED_POLLS.filter((m) => typeof m.body !== 'string').map((m) => m.body);
    for (const body of bodies) expect((await post(body)).status).toBe(200);
    expect((await post(textUpdate({ text: QUESTION, userId: 'u-wh' }))).status).toBe(200);
    await h.api.waitFor(() => h?.api.textsTo('u-wh').length === 1, 10_000, 'the webhook answer');
    // `{}` and `[null]` are bodies without an update: counted like the rest.
    expect(h.channel.malformed.of('webhook')).toBe(bodies.length);
    report(`webhook: ${bodies.length} malformed bodies, 1 real`, 1, 0, h.api.textsTo('u-wh').length - 1);
  });
});
