// Developer aid: shows how a question is analysed and what retrieval returns.
import { openAssistant } from '../src/cli/common.js';
import { parseArgs } from '../src/cli/args.js';
import { sectionLabel } from '../src/ingest/structure.js';

const args = parseArgs(process.argv.slice(2), ['corpus', 'index']);
const assistant = await openAssistant(args);
for (const q of args.rest) {
  const { query, retrieved } = await assistant.retrieve(q);
  console.log('Q', q, '| lang', query.language, '| intent', query.intent, '| unit', query.unitTokens.join(' '));
  console.log('  entities', query.entities.map((e) => e.text).join(', '), '| unknown', query.unknownEntities.map((e) => e.text).join(', '));
  console.log('  groups', query.groups.map((g) => `${g.label}:${g.weight.toFixed(1)}`).join(' '));
  for (const r of retrieved.slice(0, 6))
    console.log(`  ${r.score.toFixed(3)} cov=${r.coverage.toFixed(2)} ent=${r.entityMatch.toFixed(2)} fz=${r.fused.toFixed(2)} ${r.chunk.id} ${sectionLabel(r.chunk.metadata.sectionPath, r.chunk.metadata.footnote).slice(-50)} | ${r.chunk.text.slice(0, 90)}`);
}
import { scoreSentences } from '../src/answer/extractive.js';
for (const q of args.rest) {
  const { query, retrieved } = await assistant.retrieve(q);
  const sents = scoreSentences(query, retrieved, () => new Set(), assistant.index.names.places);
  console.log('SENTENCES', q);
  for (const s of sents.slice(0, 6)) console.log(`  ${s.score.toFixed(3)} cov=${s.coverage.toFixed(2)} ${s.chunk.id} | ${s.text.slice(0, 110)}`);
}
