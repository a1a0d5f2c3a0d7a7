import type { Logger } from 'pino';
import type { BotApiClient } from './client.js';
import { BotApiError, describeError } from './errors.js';
import type { QuizPoll } from '../../bot/types.js';
import type { OutgoingMessage } from './format.js';
import type { TelegramOutbound } from './processor.js';
import type { SendScheduler } from './sendScheduler.js';

/** Telegram bots may download files up to 20 MB through getFile. */
export const TELEGRAM_DOWNLOAD_LIMIT_BYTES = 20 * 1024 * 1024;

export class BotApiOutbound implements TelegramOutbound {
  constructor(
    private readonly client: BotApiClient,
    private readonly scheduler: SendScheduler,
    private readonly logger: Logger,
    private readonly maxDownloadBytes: number,
  ) {}

  async sendMessage(chatId: number, isGroup: boolean, m: OutgoingMessage): Promise<void> {
    const common = {
      chat_id: chatId,
      link_preview_options: { is_disabled: true },
      ...(m.buttons.length > 0 ? { reply_markup: { inline_keyboard: m.buttons } } : {}),
      ...(m.replyToMessageId !== undefined
        ? { reply_parameters: { message_id: m.replyToMessageId, allow_sending_without_reply: true } }
        : {}),
    };
    try {
      await this.scheduler.run(String(chatId), isGroup, () =>
        this.client.call('sendMessage', { ...common, text: m.html, parse_mode: 'HTML' }),
      );
    } catch (err) {
      // Our escaping should make this impossible; if Telegram still rejects the markup, the user
      // gets the plain text rather than nothing.
      if (err instanceof BotApiError && err.errorCode === 400 && /entit|pars/i.test(err.description)) {
        this.logger.warn({ err: describeError(err) }, 'HTML refused, resending as plain text');
        // A second request, so a second slot.
        await this.scheduler.run(String(chatId), isGroup, () => this.client.call('sendMessage', { ...common, text: m.plain }));
        return;
      }
      throw err;
    }
  }

  async sendPoll(chatId: number, isGroup: boolean, poll: QuizPoll, replyToMessageId?: number): Promise<{ pollId: string }> {
    const sent = await this.scheduler.run(String(chatId), isGroup, () => this.client.call('sendPoll', {
      chat_id: chatId,
      question: poll.question,
      options: poll.options,
      type: poll.type,
      correct_option_id: poll.correctOptionId,
      explanation: poll.explanation,
      is_anonymous: poll.isAnonymous,
      ...(replyToMessageId !== undefined
        ? { reply_parameters: { message_id: replyToMessageId, allow_sending_without_reply: true } }
        : {}),
    }));
    const pollId = 'poll' in sent && sent.poll ? sent.poll.id : undefined;
    if (!pollId) throw new BotApiError('sendPoll', 500, 'the sent message carries no poll');
    return { pollId };
  }

  async sendTyping(chatId: number): Promise<void> {
    try {
      await this.client.call('sendChatAction', { chat_id: chatId, action: 'typing' }, { maxAttempts: 1 });
    } catch (err) {
      this.logger.debug({ err: describeError(err) }, 'typing indicator failed');
    }
  }

  async answerCallback(callbackQueryId: string): Promise<void> {
    try {
      await this.client.call('answerCallbackQuery', { callback_query_id: callbackQueryId }, { maxAttempts: 3 });
    } catch (err) {
      this.logger.debug({ err: describeError(err) }, 'answerCallbackQuery failed');
    }
  }

  fetchFile = async (fileId: string): Promise<Buffer> => {
    const file = await this.client.call('getFile', { file_id: fileId });
    if (!file.file_path) throw new BotApiError('getFile', 400, 'no file_path (file too big for the Bot API?)');
    return this.client.downloadFile(file.file_path, this.maxDownloadBytes);
  };
}
