import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startHarness, TOKEN, USER, waitFor, type Harness } from '../channels/telegram/helpers.js';
import { FakeBotApi } from '../channels/telegram/fakeBotApi.js';
import { countDelivery, printDeliveryTable, type AskedQuestion, type DeliveryRow } from '../channels/telegram/deliveryCounts.js';
import { collectUnhandledRejections } from '../helpers.js';

/**
 * Drill (issue 15, item 11): a malformed Bot API response used to crash the bot —
 * `{"ok":true,"result":"surprise"}`, `{}`, `[null]`. Every response is now validated at the client
 * (zod): what is malformed is counted, logged and treated like an outage (retried); unusable items
 * of a getUpdates batch are skipped while the offset still moves past them.
 */

const rows: DeliveryRow[] = [];
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});
afterAll(() => printDeliveryTable('Telegram malformed Bot API responses (issue 15 item 11)', rows));

const body = (b: string) => ({ type: 'body' as const, body: b });

function countLines(lines: string[], text: string): number {
  return lines.filter((l) => l.includes(text)).length;
}

describe('drill: malformed Bot API responses', () => {
  it('counts and skips malformed getUpdates, sendMessage and getMe answers; nothing lost, the offset moves on', async () => {
    const api = await FakeBotApi.start(TOKEN);
    const unhandled = collectUnhandledRejections();
    // Even the start-up getMe is answered with garbage once.
    api.injectFault('getMe', body('{"ok":true,"result":{"surprise":1}}'));
    h = await startHarness({ api });
    const { log } = h;

    const envelopes = ['{"ok":true,"result":"surprise"}', '{}', '[null]', 'null', '{"ok":true}'];
    for (const b of envelopes) api.injectFault('getUpdates', body(b));
    // A batch of only unusable items, then one where they surround a real question.
    api.injectFault('getUpdates', body('{"ok":true,"result":[null]}'));
    const badId = api.reserveUpdateId();
    const goodId = api.reserveUpdateId();
    const good = api.message({ chat: { id: USER.id, type: 'private' }, from: USER, text: 'Kon Tum thực hiện mô hình ra sao (giữa rác)?' });
    const batch = [null, 7, { update_id: 1.5 }, { no_id: true }, { update_id: badId, message: 'garbage' }, { update_id: goodId, ...good }];
    api.injectFault('getUpdates', body(JSON.stringify({ ok: true, result: batch })));
    // The reply itself is answered with garbage twice before it goes through.
    api.injectFault('sendMessage', body('{"ok":true,"result":"surprise"}'));
    api.injectFault('sendMessage', body('{"ok":true,"result":{"message_id":"x"}}'));

    const questions: AskedQuestion[] = [{ chatId: USER.id, messageId: (good.message as { message_id: number }).message_id, parts: 1 }];
    await waitFor(() => api.sentMessages().length === 1, 'the question inside the malformed batch answered', 20_000);
    // The offset moved past every id of the batch, the bad one included.
    await waitFor(() => api.callsOf('getUpdates', true).some((c) => (c.params.offset as number) === goodId + 1), 'offset past the batch');

    // Still polling: a later question is answered.
    const after = api.message({ chat: { id: USER.id, type: 'private' }, from: USER, text: 'An Giang nhân rộng mô hình ra sao (sau rác)?' });
    api.pushUpdate(after);
    questions.push({ chatId: USER.id, messageId: (after.message as { message_id: number }).message_id, parts: 1 });
    await waitFor(() => api.sentMessages().length === 2, 'the next question answered', 10_000);
    await new Promise((r) => setTimeout(r, 300));

    const malformedResponses = countLines(log.lines, 'malformed Bot API response');
    const skippedItems = countLines(log.lines, 'not a usable update; skipped');
    console.log(`malformed responses counted: ${malformedResponses}; unusable getUpdates items skipped: ${skippedItems}`);
    // getMe 1 + getUpdates envelopes 5 + sendMessage 2.
    expect(malformedResponses).toBe(1 + envelopes.length + 2);
    // [null] alone, then null, 7, 1.5, no id, a message that is not one.
    expect(skippedItems).toBe(1 + 5);
    expect(log.lines.join('')).toContain('"malformedUpdates":6');
    expect(unhandled).toEqual([]);
    const row = countDelivery(api, 'malformed bodies (getMe, 5 getUpdates envelopes, bad items, 2 sendMessage)', questions);
    rows.push(row);
    expect(row).toMatchObject({ lost: 0, duplicated: 0 });
  }, 40_000);
});
