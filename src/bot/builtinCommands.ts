import type { CommandDefinition } from './commands.js';
import type { ReplyBlock } from './types.js';

/** /start, /trogiup, /hoi, /nguon, /trichdan, /reload: Vietnamese names first, English aliases. */
export function builtinCommands(): CommandDefinition[] {
  return [
    {
      names: { vi: 'start', en: 'start' },
      aliases: ['batdau'],
      descriptionKey: 'cmd.start',
      async run({ msg, lang, services }) {
        return [services.notice(lang, services.t(lang, 'start', { name: msg.userName ?? '' }).replace(/ !/, '!'))];
      },
    },
    {
      names: { vi: 'trogiup', en: 'help' },
      descriptionKey: 'cmd.help',
      async run({ lang, isAdmin, services }) {
        const blocks: ReplyBlock[] = [
          { kind: 'heading', text: services.t(lang, 'helpHeading') },
          { kind: 'paragraph', text: services.t(lang, 'helpIntro') },
          { kind: 'paragraph', text: services.describeCommands(lang, isAdmin).join('\n') },
          ...services.helpSections(lang).flatMap((section): ReplyBlock[] => [
            { kind: 'heading', text: section.heading },
            { kind: 'paragraph', text: section.lines.join('\n') },
          ]),
        ];
        return [{ language: lang, blocks, citations: [], buttons: [] }];
      },
    },
    {
      names: { vi: 'hoi', en: 'ask' },
      descriptionKey: 'cmd.ask',
      async run({ msg, args, lang, hooks, services }) {
        if (!args) return [services.notice(lang, services.t(lang, 'askUsage'), msg.messageId)];
        return services.answerQuestion(msg, args, hooks);
      },
    },
    {
      names: { vi: 'nguon', en: 'sources' },
      descriptionKey: 'cmd.sources',
      async run({ lang, services }) {
        const docs = services.knowledge.listDocuments();
        if (docs.length === 0) return [services.notice(lang, services.t(lang, 'sourcesEmpty'))];
        const unknown = services.t(lang, 'unknownValue');
        const blocks: ReplyBlock[] = [
          { kind: 'heading', text: services.t(lang, 'sourcesHeading', { count: docs.length }) },
          ...docs.map(
            (d, i): ReplyBlock => ({
              kind: 'paragraph',
              text: services.t(lang, 'sourcesItem', {
                n: i + 1,
                title: d.title,
                number: d.number ?? unknown,
                issuer: d.issuer ?? unknown,
                date: d.date ?? unknown,
                signer: d.signer ?? unknown,
                sections: d.sectionCount,
              }),
            }),
          ),
        ];
        return [{ language: lang, blocks, citations: [], buttons: [] }];
      },
    },
    {
      names: { vi: 'trichdan', en: 'cite' },
      descriptionKey: 'cmd.cite',
      async run({ msg, args, lang, chatKey, services }) {
        return [await services.citeLatest(chatKey, lang, args, msg.messageId)];
      },
    },
    {
      names: { vi: 'reload', en: 'reload' },
      descriptionKey: 'cmd.reload',
      adminOnly: true,
      async run({ msg, lang, isAdmin, hooks, services }) {
        if (!isAdmin) return [services.notice(lang, services.t(lang, 'reloadAdminOnly'), msg.messageId)];
        hooks.working?.();
        const report = await services.knowledge.reload();
        return [
          services.notice(lang, services.t(lang, 'reloadDone', { summary: services.formatIngestSummary(lang, report) }), msg.messageId),
        ];
      },
    },
  ];
}
