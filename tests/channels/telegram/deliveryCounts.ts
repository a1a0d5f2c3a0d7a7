import type { FakeBotApi } from './fakeBotApi.js';

/**
 * Lost and duplicated replies, counted from what the fake Bot API actually received. A reply's
 * first part carries reply_parameters (the question's message id); the parts after it, in the
 * same chat, belong to that question until the next first part. A question whose reply has N
 * parts is lost when fewer than N distinct parts arrived, duplicated by every copy beyond one.
 */

export interface AskedQuestion {
  chatId: number;
  messageId: number;
  /** Parts its reply has (1 for a short answer). */
  parts: number;
}

export interface DeliveryRow {
  scenario: string;
  questions: number;
  lost: number;
  duplicated: number;
}

export function countDelivery(api: FakeBotApi, scenario: string, questions: AskedQuestion[]): DeliveryRow {
  const received = new Map<number, string[]>();
  for (const chatId of new Set(questions.map((q) => q.chatId))) {
    let current: number | undefined;
    for (const m of api.sentMessages(chatId)) {
      const replyTo = (m.params.reply_parameters as { message_id?: number } | undefined)?.message_id;
      if (replyTo !== undefined) current = replyTo;
      if (current === undefined) continue;
      const list = received.get(current) ?? [];
      list.push(m.text);
      received.set(current, list);
    }
  }
  let lost = 0;
  let duplicated = 0;
  for (const q of questions) {
    const texts = received.get(q.messageId) ?? [];
    const distinct = new Set(texts).size;
    lost += Math.max(0, q.parts - distinct);
    duplicated += texts.length - distinct;
  }
  return { scenario, questions: questions.length, lost, duplicated };
}

/** The table the closing note quotes. */
export function printDeliveryTable(title: string, rows: DeliveryRow[]): void {
  const lines = [
    `${title}`,
    '| scenario | questions | lost | duplicated |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.scenario} | ${r.questions} | ${r.lost} | ${r.duplicated} |`),
  ];
  console.log(lines.join('\n'));
}
