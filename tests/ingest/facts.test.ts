import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { figureSentenceOf } from '../../src/answer/extractive.js';
import { figurePhrase } from '../../src/answer/figureLead.js';
import { FACTS_VERSION, FactStore, textFigures, sentenceFigureFacts, type FactStoreJSON, type FigureFact } from '../../src/ingest/facts.js';
import { ingestCorpus } from '../../src/ingest/pipeline.js';
import { splitSentences } from '../../src/ingest/sentences.js';
import type { Chunk, ParsedDocument } from '../../src/ingest/types.js';
import { localEmbedderFactory } from '../../src/index/embedder.js';
import { currentVersionDir, loadIndex, SCHEMA_VERSION } from '../../src/index/store.js';
import { corpusFacts } from '../../src/trainer/facts.js';
import { corpusDir } from '../helpers.js';
import { useCorpus } from '../trainer/helpers.js';

function chunkOf(id: string, text: string, kind: Chunk['metadata']['kind'] = 'body'): Chunk {
  return { id, text, metadata: { documentId: 'doc', sectionPath: ['I. Kết quả'], kind, footnoteRefs: [], charStart: 0, charEnd: text.length, ordinal: 0 } };
}

function documentOf(chunks: Chunk[], date = '2019-02-27'): ParsedDocument {
  return {
    meta: { id: 'doc', file: 'doc.txt', kind: 'report', title: 'Báo cáo', heading: 'Báo cáo', date },
    sections: [],
    footnotes: [],
    tables: [],
    chunks,
    warnings: [],
  };
}

const figuresOf = (text: string, docYear = 2019): FigureFact[] => sentenceFigureFacts(text, { chunk: chunkOf('c', text), docYear });
const byRaw = (facts: readonly FigureFact[], raw: string): FigureFact => {
  const f = facts.find((x) => x.raw === raw);
  if (!f) throw new Error(`no fact ${raw} among ${facts.map((x) => x.raw).join(', ')}`);
  return f;
};

describe('typed figure facts', () => {
  it('reads a ratio with its unit and the percentage that qualifies it', () => {
    const facts = figuresOf('Toàn tỉnh hiện có 119/156 xã, phường, thị trấn (đạt 76,28%) thực hiện mô hình.');
    const ratio = byRaw(facts, '119/156');
    expect([ratio.kind, ratio.measure, ratio.value, ratio.denominator, ratio.unit, ratio.indicator]).toEqual(['fraction', 'ratio', 119, 156, 'xã, phường, thị trấn', 'ratio|actual|commune']);
    expect(ratio.scopeLevel).toBe('province');
    expect(byRaw(facts, '76,28%').measure).toBe('qualifier');
  });

  it('reads the old and the new value of a change, and the amount of a change', () => {
    const facts = figuresOf('Số đầu mối giảm từ 48 xuống còn 20 đầu mối; số phòng giảm 23 phòng.');
    expect([byRaw(facts, '48').change, byRaw(facts, '48').measure]).toEqual(['from', 'previous']);
    expect(byRaw(facts, '20').change).toBe('to');
    expect([byRaw(facts, '23').change, byRaw(facts, '23').measure]).toEqual(['by', 'change']);
  });

  it('tells targets from actual figures, and dates each figure by its clause', () => {
    const facts = figuresOf('Đến ngày 31-12-2021, toàn Đảng bộ có 1.908 tổ chức đảng; phấn đấu đến năm 2025 có 100% chi bộ đạt chuẩn.', 2022);
    const actual = byRaw(facts, '1.908');
    expect([actual.status, actual.targetCue, actual.year, actual.writtenYear, actual.value, actual.unit]).toEqual(['actual', false, 2021, 2021, 1908, 'tổ chức đảng']);
    const target = byRaw(facts, '100%');
    expect([target.status, target.targetCue, target.year]).toEqual(['target', true, 2025]);
    // A figure for a year after the report's own date is a target even without a cue.
    expect(byRaw(figuresOf('Đến năm 2020 có 156/156 xã thực hiện.', 2019), '156/156').status).toBe('target');
    // Without a time of its own, a figure is of its document's year.
    expect(byRaw(figuresOf('Hiện có 27.023 đảng viên.', 2018), '27.023').year).toBe(2018);
  });

  it('flags durations and numbers that count nothing instead of dropping them', () => {
    const facts = textFigures('Sau 10 năm thực hiện, Hội nghị Trung ương 4 chọn (1) 99 chi bộ quân sự/102 xã.');
    const flags = Object.fromEntries(facts.map((f) => [f.raw, { duration: f.duration, counted: f.counted }]));
    expect(flags).toEqual({
      '10': { duration: true, counted: true },
      '4': { duration: false, counted: false },
      '1': { duration: false, counted: false },
      '99': { duration: false, counted: true },
      '102': { duration: false, counted: false },
    });
    expect(textFigures('Theo Hướng dẫn số 28-HD/BTCTU, ngày 07-5-2009 (Biểu số 5).').map((f) => f.raw)).toEqual([]);
  });

  it('gives the level of the place before a figure and whether its clause names a place', () => {
    const [district] = textFigures('Thành phố Hà Sơn có 04/14 xã thực hiện.');
    expect([district?.scopeLevel, district?.placeInClause]).toEqual(['district', true]);
    const facts = textFigures('Huyện Kim Khê 09/16 xã; toàn tỉnh có 58/131 xã.');
    expect(facts.map((f) => f.scopeLevel)).toEqual(['district', 'province']);
  });
});

describe('the fact store', () => {
  const table = chunkOf('doc#t1', 'Đơn vị: Huyện Kim Khê; Số chi bộ: 57; Số đảng viên (đến 31-10-2022): 1.204', 'table');
  const body = chunkOf('doc#0', 'Toàn tỉnh có 131 xã. Tại huyện Kim Khê có 09/16 xã thực hiện thí điểm; huyện Đá Bia 11/19 xã.');
  const doc = documentOf([body, table]);
  const store = FactStore.build([doc], ['da bia', 'kim khe']);

  it('keeps every sentence of a chunk at the offsets the answers split it at', () => {
    expect(store.sentences(body.id).map((s) => [s.start, s.end])).toEqual(splitSentences(body.text).map((s) => [s.start, s.end]));
    expect(store.sentenceAt(body.id, 999)).toBeUndefined();
    expect(store.sentences('unknown')).toEqual([]);
  });

  it('attributes each figure to the place of its own clause, with the level its marker gives', () => {
    const second = store.sentences(body.id)[1]!;
    expect(second.places.map((p) => [p.folded, p.level])).toEqual([
      ['da bia', 'district'],
      ['kim khe', 'district'],
    ]);
    expect(second.figures.map((f) => [f.raw, f.place, f.placeLevel])).toEqual([
      ['09/16', 'kim khe', 'district'],
      ['11/19', 'da bia', 'district'],
    ]);
    expect(store.sentences(body.id)[0]!.figures[0]!.place).toBeUndefined();
  });

  it('reads a table row by its column headers and row label', () => {
    const [row] = store.sentences(table.id);
    const members = byRaw(row!.figures, '1.204');
    expect([members.unit, members.year, members.place]).toEqual(['Số đảng viên (đến 31-10-2022)', 2022, 'kim khe']);
    expect(byRaw(row!.figures, '57').indicator).toBe('count|actual|table so chi bo');
  });

  it('reads a figure in a generic unit as a count of what the sentence it details counts', () => {
    const note: Chunk = { ...chunkOf('doc#fn1', 'Trong đó: xóa tên 30 trường hợp, khai trừ 9 trường hợp.', 'footnote'), metadata: { ...chunkOf('x', '').metadata, kind: 'footnote', footnote: 1, anchorSentence: 'Đã đưa ra khỏi Đảng 39 đảng viên không còn đủ tư cách.' } };
    const prose = chunkOf('doc#1', 'Đã kết nạp 500 đảng viên mới. Trong đó, có 20 trường hợp là người dân tộc thiểu số tại chỗ. Có 7 trường hợp chuyển đi.');
    const facts = FactStore.build([documentOf([note, prose])], []);
    expect(facts.sentences(note.id)[0]!.figures.map((f) => [f.raw, f.unitKey, f.contextUnitKey])).toEqual([
      ['30', 'truong hop', 'dang vien'],
      ['9', 'truong hop', 'dang vien'],
    ]);
    // Only a sentence that opens as a subset of the one before it ("Trong đó") takes its unit.
    expect(facts.sentences(prose.id).map((s) => s.figures.map((f) => f.contextUnitKey))).toEqual([[undefined], ['dang vien'], [undefined]]);
    // Inside a sentence, a share after "trong đó" is a share of what the figure before it counts.
    const within = chunkOf('doc#2', 'Đến nay, 100% đảng viên thuộc diện quy định được giới thiệu, trong đó có 96,5% được đánh giá tốt; có 12% chưa.');
    expect(FactStore.build([documentOf([within])], []).sentences(within.id)[0]!.figures.map((f) => [f.raw, f.contextUnitKey])).toEqual([
      ['100%', undefined],
      ['96,5%', 'dang vien'],
      ['12%', undefined],
    ]);
    // The answer asked in the detailed unit is the figure whose own words match the question.
    const [sentence] = facts.sentences(note.id);
    const text = note.text.slice(sentence!.start, sentence!.end);
    const q = { unitTokens: ['dang', 'vien'], tokens: ['khai', 'tru', 'bao', 'nhieu', 'dang', 'vien'], wish: { target: false, now: false, percent: false, changeTo: false, changeBy: false }, years: [] };
    expect(figurePhrase({ text, figures: sentence!.figures }, q)).toBe('9 trường hợp');
  });

  it('survives its JSON form unchanged, and refuses facts of another extractor version', () => {
    const json = JSON.parse(JSON.stringify(store.toJSON())) as FactStoreJSON;
    const again = FactStore.fromJSON(json)!;
    expect(again.sentences(body.id)).toEqual(store.sentences(body.id));
    expect(again.sentences(table.id)).toEqual(store.sentences(table.id));
    expect(FactStore.fromJSON({ ...json, version: FACTS_VERSION - 1 })).toBeUndefined();
    expect(FactStore.fromJSON({ chunks: json.chunks })).toBeUndefined();
  });
});

describe('one store for answers and the trainer (shipped reports)', () => {
  const corpus = useCorpus();

  it('is persisted with the index and read by the trainer and the answers alike', async () => {
    const snap = corpus.snapshot;
    const stored = snap.chunks.flatMap((c) => snap.facts.sentences(c.id).map((s) => ({ c, s })));
    const figures = stored.flatMap((x) => x.s.figures);
    const bytes = (await readFile(join(snap.dir, 'facts.json'))).length;
    console.table({ chunks: snap.chunks.length, sentences: stored.length, figures: figures.length, counted: figures.filter((f) => f.counted && !f.duration).length, factsJsonBytes: bytes });
    expect(snap.manifest.schemaVersion).toBe(SCHEMA_VERSION);
    for (const c of snap.chunks) expect(snap.facts.sentences(c.id).map((s) => s.start)).toEqual(splitSentences(c.text).map((s) => s.start));

    // The trainer's figures are the stored ones, with their sentence.
    const trainer = corpusFacts(snap);
    expect(trainer.figures.length).toBe(figures.filter((f) => f.counted && !f.duration).length);
    const sample = trainer.figures.find((f) => f.place && f.kind === 'fraction')!;
    const { sentence, ...fact } = sample;
    expect(snap.facts.sentenceAt(sentence.chunk.id, sentence.start)?.figures).toContainEqual(fact);

    // The answers choose among the same facts: the stored ones, not a parse of their own.
    const evidence = { chunk: sentence.chunk, start: sentence.start, text: sentence.text };
    expect(figureSentenceOf(evidence, snap.facts).figures).toBe(snap.facts.sentenceAt(sentence.chunk.id, sentence.start)?.figures);
    const phrase = figurePhrase(figureSentenceOf(evidence, snap.facts), { unitTokens: sample.unitKey.split(' '), tokens: [], wish: { target: false, now: false, percent: false, changeTo: false, changeBy: false }, years: [] });
    expect(phrase).toBeTruthy();
  });

  it('reads the facts afresh when the stored ones come from an older extractor', async () => {
    const dir = corpus.snapshot.dir;
    const file = join(dir, 'facts.json');
    const stored = JSON.parse(await readFile(file, 'utf8')) as FactStoreJSON;
    // Facts as an older extractor wrote them: one figure fewer everywhere, and another version.
    const stale = { version: FACTS_VERSION - 1, chunks: stored.chunks.map(([id, sentences]) => [id, sentences.map((s) => ({ ...s, figures: s.figures.slice(1) }))]) };
    await writeFile(file, JSON.stringify(stale));
    try {
      const reloaded = await loadIndex(join(dir, '..'), localEmbedderFactory());
      for (const c of reloaded.chunks) expect(reloaded.facts.sentences(c.id)).toEqual(corpus.snapshot.facts.sentences(c.id));
    } finally {
      await writeFile(file, JSON.stringify(stored));
    }
  });

  it('rebuilds an index written before facts were stored', async () => {
    const indexDir = join(corpus.snapshot.dir, '..');
    const dir = (await currentVersionDir(indexDir))!;
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { schemaVersion: number };
    await writeFile(join(dir, 'manifest.json'), JSON.stringify({ ...manifest, schemaVersion: SCHEMA_VERSION - 1 }));
    const summary = await ingestCorpus({ corpusDir, indexDir, embedderFactory: localEmbedderFactory() });
    expect(summary.rebuilt).toBe(true);
    expect(summary.rebuildReason).toBe(`schema ${SCHEMA_VERSION - 1} → ${SCHEMA_VERSION}`);
    // A new extractor version is a new schema: ingest rebuilds rather than every load reading facts again.
    expect(SCHEMA_VERSION % 100).toBe(FACTS_VERSION);
    const rebuilt = (await currentVersionDir(indexDir))!;
    const facts = JSON.parse(await readFile(join(rebuilt, 'facts.json'), 'utf8')) as FactStoreJSON;
    expect([facts.version, facts.chunks.length]).toEqual([FACTS_VERSION, corpus.snapshot.chunks.length]);
  });
});
