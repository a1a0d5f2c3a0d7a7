import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { ConversationCore } from '../../bot/core.js';
import type { ChatExtension } from '../../bot/extension.js';
import type { KnowledgeBase } from '../../bot/knowledge.js';
import { loadMessages, type Messages } from '../../bot/messages.js';
import type { IncomingMessage, Reply } from '../../bot/types.js';
import type { StateStore } from '../../state/index.js';

export interface StartConsoleOptions {
  knowledge: KnowledgeBase;
  input?: Readable;
  output?: Writable;
  /** The process's state store (history, last citations); `npm start` passes the shared one. */
  store?: StateStore;
  /** Without a store: keep per-chat state in SQLite under this directory; memory only when omitted. */
  stateDir?: string;
  /** Ends the chat as if the user typed /thoat (npm start stopping on a signal). */
  signal?: AbortSignal;
  /**
   * The trainer (/kiemtra with numbered options answered by typing the number, /diem, /ketthuc,
   * /tomtat, /sosanh); its state is flushed on exit.
   */
  extension?: ChatExtension;
}

const EXIT_COMMANDS = new Set(['/thoat', '/quit', '/exit']);
const CONSOLE_ID = 'console';

/** Plain-text rendering of a core Reply: numbered citations, quotes prefixed with "> ". */
export function renderPlain(reply: Reply, messages: Messages): string {
  const parts = reply.blocks.map((b) => {
    if (b.kind === 'quote') return b.text.split('\n').map((l) => `> ${l}`).join('\n');
    if (b.kind === 'heading') return `== ${b.text} ==`;
    return b.text;
  });
  if (reply.citations.length > 0) {
    const lines = reply.citations.map((c) => (c.section ? `[${c.n}] ${c.title} — ${c.section}` : `[${c.n}] ${c.title}`));
    parts.push([messages.t(reply.language, 'citationsHeading'), ...lines].join('\n'));
    // /trichdan N opens the sources of the latest answer, which are the ones offered as buttons;
    // quiz reveals and comparisons list their sources in full without buttons.
    if (reply.buttons.length > 0) parts.push(messages.t(reply.language, 'consoleCiteHint'));
  }
  return parts.join('\n\n');
}

/**
 * Interactive console chat on the same conversation core as Telegram and Zalo. The local
 * operator counts as an admin (so /reload works) and is never rate-limited. Resolves when the
 * user types /thoat or closes the input (Ctrl-D).
 */
export async function startConsole(opts: StartConsoleOptions): Promise<void> {
  const input = opts.input ?? process.stdin;
  const output = opts.output ?? process.stdout;
  const core = await ConversationCore.create({
    knowledge: opts.knowledge,
    channel: 'console',
    ...(opts.store ? { store: opts.store } : { stateDir: opts.stateDir }),
    access: { allowedChats: [], allowedUsers: [], admins: [CONSOLE_ID] },
    rateLimitPerMinute: 0,
    messages: loadMessages(),
    extension: opts.extension,
  });
  const messages = core.messages;
  const terminal = (output as Writable & { isTTY?: boolean }).isTTY === true;
  const rl = createInterface({ input, output, terminal, historySize: 200, prompt: '> ' });
  const write = (text: string) => output.write(`${text}\n`);
  const onAbort = () => rl.close();
  if (opts.signal?.aborted) rl.close();
  else opts.signal?.addEventListener('abort', onAbort, { once: true });

  write(messages.t('vi', 'consoleWelcome'));
  rl.prompt();
  let messageId = 0;
  try {
    for await (const raw of rl) {
      const line = raw.trim();
      if (EXIT_COMMANDS.has(line.toLowerCase())) break;
      if (line) {
        const msg: IncomingMessage = {
          channel: 'console',
          chatId: CONSOLE_ID,
          chatType: 'private',
          userId: CONSOLE_ID,
          userName: '',
          messageId: String(++messageId),
          kind: 'text',
          text: line,
          addressedToBot: true,
        };
        const replies = await core.handleMessage(msg);
        for (const r of replies) write(`${renderPlain(r, messages)}\n`);
      }
      rl.prompt();
    }
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    rl.close();
    await core.flush();
  }
  write(messages.t('vi', 'consoleBye'));
}
