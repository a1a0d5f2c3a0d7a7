import type { Answer, Citation, ConversationTurn, Language } from '../answer/types.js';
import { IngestRejected, type DocumentSummary, type IngestReport, type KnowledgeBase, type Passage } from './knowledge.js';

/**
 * A deterministic KnowledgeBase for channel tests (Telegram, Zalo, console): canned answers
 * picked by keyword, passages containing "<", ">" and "&" to exercise escaping, a long answer for
 * message splitting, and controllable delays/failures. No index, no LLM, no file system.
 */

export interface FakeAnswerRule {
  /** Matched against the resolved question (case-insensitive). */
  match: RegExp;
  text: string;
  citations: string[];
  kind?: Answer['kind'];
  language?: Language;
}

export interface FakeKnowledgeOptions {
  /** Added before the default rules, so tests can override them. */
  rules?: FakeAnswerRule[];
  /** Delay of every ask() in ms (for "typing…", restarts and slow-answer tests). */
  askDelayMs?: number;
  /** Files whose name contains this (or whose content starts with "BAD") are rejected. */
  rejectNamePattern?: RegExp;
}

const DOCUMENTS: DocumentSummary[] = [
  {
    id: 'kontum-381',
    title: 'Báo cáo số 381-BC/TU ngày 20/3/2019 của Tỉnh ủy Kon Tum',
    number: '381-BC/TU',
    issuer: 'Tỉnh ủy Kon Tum',
    date: '2019-03-20',
    signer: 'Y Mửi',
    sectionCount: 12,
    footnoteCount: 3,
  },
  {
    id: 'angiang-2019',
    title: 'Bài viết TTXVN 2019 về An Giang <nhân rộng mô hình> & kết quả',
    issuer: 'TTXVN',
    sectionCount: 4,
    footnoteCount: 0,
  },
];

const PASSAGES: Passage[] = [
  {
    chunkId: 'kontum-381#1',
    documentTitle: DOCUMENTS[0]!.title,
    section: 'II. Kết quả thực hiện › 1. Về tổ chức bộ máy',
    text: 'Đến nay, 86/102 xã (84,3%) thực hiện mô hình bí thư đảng ủy đồng thời là chủ tịch UBND xã.\n\nSố lượng cán bộ giảm < 5% & chi phí hành chính giảm > 3 tỷ đồng.',
  },
  {
    chunkId: 'kontum-381#2',
    documentTitle: DOCUMENTS[0]!.title,
    section: 'III. Hạn chế › 2. Nguyên nhân',
    text: 'Một số nơi còn lúng túng trong phân định nhiệm vụ giữa <cấp ủy> & chính quyền.',
  },
  {
    chunkId: 'angiang-2019#1',
    documentTitle: DOCUMENTS[1]!.title,
    section: 'Toàn văn',
    text: 'An Giang nhân rộng mô hình sau thí điểm; tỷ lệ hài lòng của người dân đạt > 90%.',
  },
];

const LONG_PARAGRAPH =
  'Trong giai đoạn 2018–2023, tỉnh đã triển khai đồng bộ các giải pháp sắp xếp tổ chức bộ máy, tinh giản biên chế gắn với cơ cấu lại đội ngũ cán bộ, công chức; kết quả cho thấy số đầu mối giảm <đáng kể> & hiệu quả hoạt động được nâng lên rõ rệt. ';

const DEFAULT_RULES: FakeAnswerRule[] = [
  {
    match: /dài|long answer/i,
    text: Array.from({ length: 14 }, (_v, i) => `Đoạn ${i + 1}. ${LONG_PARAGRAPH.repeat(2)}`).join('\n\n'),
    citations: ['kontum-381#1'],
  },
  {
    match: /bí thư|chủ tịch|kon tum|mô hình/i,
    text: 'Theo báo cáo, 86/102 xã (84,3%) đã thực hiện mô hình bí thư đồng thời là chủ tịch xã [1]; tuy vậy, một số nơi còn lúng túng [2].',
    citations: ['kontum-381#1', 'kontum-381#2'],
  },
  {
    match: /an giang/i,
    text: 'An Giang nhân rộng mô hình; tỷ lệ hài lòng đạt > 90% & tiếp tục tăng [1].',
    citations: ['angiang-2019#1'],
  },
  {
    match: /secretary|chairman|commune/i,
    text: 'According to the report, 86 of 102 communes (84.3%) apply the secretary-cum-chairman model [1].',
    citations: ['kontum-381#1'],
    language: 'en',
  },
];

function citationFor(chunkId: string): Citation {
  const p = PASSAGES.find((x) => x.chunkId === chunkId);
  if (!p) throw new Error(`fake knowledge: unknown chunk ${chunkId}`);
  const document = chunkId.split('#')[0] ?? chunkId;
  return { document, title: p.documentTitle, section: p.section, quote: p.text.split('\n')[0] ?? p.text, chunkId };
}

function isEnglish(text: string): boolean {
  return !/[^\x00-\x7F]/.test(text) && /\b(what|how|the|is|are|did|does|which|who)\b/i.test(text);
}

export class FakeKnowledgeBase implements KnowledgeBase {
  /** Every ask() call, for assertions on history and de-duplication. */
  readonly asks: { question: string; history: ConversationTurn[] }[] = [];
  readonly added: { fileName: string; bytes: number }[] = [];
  reloads = 0;
  private readonly rules: FakeAnswerRule[];
  private readonly askDelayMs: number;
  private readonly rejectNamePattern: RegExp;

  constructor(options: FakeKnowledgeOptions = {}) {
    this.rules = [...(options.rules ?? []), ...DEFAULT_RULES];
    this.askDelayMs = options.askDelayMs ?? 0;
    this.rejectNamePattern = options.rejectNamePattern ?? /bomb|reject/i;
  }

  async ask(question: string, history: readonly ConversationTurn[]): Promise<{ answer: Answer; resolvedQuestion: string }> {
    this.asks.push({ question, history: [...history] });
    if (this.askDelayMs > 0) await new Promise((r) => setTimeout(r, this.askDelayMs));
    // Follow-ups ("còn … thì sao?") inherit the previous question's topic, like the real resolver.
    const previous = history.at(-1);
    const resolvedQuestion =
      previous && /thì sao|what about/i.test(question) ? `${previous.resolvedQuestion} — ${question}` : question;
    const rule = this.rules.find((r) => r.match.test(resolvedQuestion));
    const language: Language = rule?.language ?? (isEnglish(question) ? 'en' : 'vi');
    if (!rule) {
      const text =
        language === 'en'
          ? 'The reports do not contain information about this question.'
          : 'Các báo cáo hiện có không đề cập đến nội dung này.';
      return {
        answer: { question, answered: false, kind: 'not_found', language, lead: text, text, citations: [], via: 'extractive' },
        resolvedQuestion,
      };
    }
    const answer: Answer = {
      question,
      answered: (rule.kind ?? 'answer') === 'answer',
      kind: rule.kind ?? 'answer',
      language,
      lead: rule.text.split(/\n\s*\n/)[0] ?? rule.text,
      text: rule.text,
      citations: rule.citations.map(citationFor),
      via: 'extractive',
    };
    return { answer, resolvedQuestion };
  }

  listDocuments(): DocumentSummary[] {
    return DOCUMENTS.map((d) => ({ ...d }));
  }

  passage(chunkId: string): Passage | undefined {
    const p = PASSAGES.find((x) => x.chunkId === chunkId);
    return p ? { ...p } : undefined;
  }

  async addDocument(fileName: string, content: Buffer): Promise<IngestReport> {
    if (this.rejectNamePattern.test(fileName) || content.subarray(0, 3).toString('utf8') === 'BAD') {
      throw new IngestRejected('tệp DOCX có dấu hiệu nén bất thường (zip bomb)', fileName);
    }
    this.added.push({ fileName, bytes: content.length });
    const id = fileName.replace(/\.[^.]+$/, '');
    return report({ documents: DOCUMENTS.length + this.added.length, added: [id] });
  }

  async reload(): Promise<IngestReport> {
    this.reloads++;
    return report({ documents: DOCUMENTS.length + this.added.length });
  }
}

function report(partial: Partial<IngestReport>): IngestReport {
  return {
    documents: 0,
    sections: 16,
    footnotes: 3,
    chunks: 42,
    added: [],
    changed: [],
    removed: [],
    skipped: [],
    durationMs: 12,
    ...partial,
  };
}
