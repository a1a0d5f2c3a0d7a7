import { describe, expect, it } from 'vitest';
import { itemsOf, listLead, namedItems } from '../../src/answer/lists.js';
import { shortSectionLabel } from '../../src/answer/labels.js';
import type { ConversationTurn } from '../../src/answer/types.js';
import { corpusAssistant, DOC } from '../helpers.js';

// The kinds of answer, each judged on its lead: document details from the card, lists item by
// item, yes/no with its figure, questions about a year no report covers, and follow-ups.

async function ask(question: string, history: ConversationTurn[] = []) {
  const a = await corpusAssistant();
  return a.ask(question, history);
}

describe('document details come from the card', () => {
  it('signer and date of a report, cited as the document details', async () => {
    const { answer: signer } = await ask('Người ký báo cáo 381-BC/TU là ai?');
    expect(signer.lead).toContain('Y Mửi');
    expect(signer.citations[0]).toMatchObject({ document: DOC.r381, section: 'Thông tin văn bản' });
    const { answer: date } = await ask('Báo cáo 381-BC/TU được ban hành ngày nào?');
    expect(date.lead).toContain('27/02/2019');
  });

  it('a document the corpus only cites is answered from the body, not from a report card', async () => {
    const { answer } = await ask('Kế hoạch 53-KH/TU được ban hành ngày nào?');
    expect(answer.lead).not.toContain('27/02/2019');
  });

  it('the author of an article', async () => {
    const { answer } = await ask('Ai là tác giả bài viết của TTXVN về An Giang?');
    expect(answer.lead).toContain('Thanh Sang');
  });
});

describe('lists, yes/no and years', () => {
  it('names every unit of a list in the lead', async () => {
    const { answer } = await ask('Tỉnh ủy Kon Tum chọn những đơn vị nào để thí điểm mô hình bí thư đồng thời là chủ tịch UBND cấp xã?');
    for (const name of ['Đăk Pét', 'Đăk Rơ Wa', 'Đăk Tô']) expect(answer.lead).toContain(name);
  });

  it('answers yes with the figure that decides it', async () => {
    const { answer } = await ask('Châu Phú đã thực hiện mô hình ở tất cả các xã, thị trấn chưa?');
    expect(answer.lead).toMatch(/^Có\./);
    expect(answer.lead).toContain('13/13');
  });

  it('does not answer a year no report covers with another year’s figure', async () => {
    const { answer } = await ask('Năm 2015 An Giang có bao nhiêu xã thực hiện mô hình bí thư đồng thời là chủ tịch UBND?');
    expect(answer.answered).toBe(false);
  });
});

describe('follow-ups', () => {
  it('"nguồn nào?" names the previous answer’s sources; "tại sao?" gives the causes of what was said', async () => {
    const first = await ask('Mô hình bí thư kiêm chủ tịch xã ở Kon Tum còn những hạn chế gì?');
    const history: ConversationTurn[] = [{ question: 'q', resolvedQuestion: first.resolvedQuestion, answer: first.answer }];
    const source = await ask('nguồn nào?', history);
    expect(source.answer.answered).toBe(true);
    expect(source.answer.lead).toMatch(/^Nguồn: .*381-BC\/TU/);
    const why = await ask('tại sao?', history);
    expect(why.answer.citations.some((c) => c.section.includes('Nguyên nhân'))).toBe(true);
    expect(why.answer.lead).toContain('văn bản quy phạm pháp luật');
  });
});

describe('list items', () => {
  it('splits an enumeration after its lead-in, keeps a titled point whole, and reads named places', () => {
    expect(itemsOf('Còn gặp một số khó khăn, vướng mắc do văn bản chậm ban hành; áp lực lớn; thiếu cơ chế kiểm soát.')).toEqual([
      'văn bản chậm ban hành',
      'áp lực lớn',
      'thiếu cơ chế kiểm soát.',
    ]);
    expect(itemsOf('Chọn đúng người là yếu tố quyết định: người được bố trí phải có bản lĩnh, uy tín.')).toHaveLength(1);
    expect(namedItems(['gồm các xã Lũng Cao, Nà Sang và Thạch Bình, được chọn theo quyết định'])).toEqual(['xã Lũng Cao', 'Nà Sang', 'Thạch Bình']);
    const lead = listLead({ sentences: ['Việc thực hiện mô hình vẫn còn những khó khăn.', 'Khối lượng công việc lớn.', 'Phụ cấp thấp.'], wantsNames: false, focusWords: ['kho', 'khan'] });
    expect(lead).toBe('Khối lượng công việc lớn; Phụ cấp thấp');
  });

  it('shortens section paths for chat citations', () => {
    expect(shortSectionLabel('III. Đánh giá chung › 2. Hạn chế, khuyết điểm và nguyên nhân › 2.2. Nguyên nhân')).toBe('mục III.2.2');
    expect(shortSectionLabel('II. Kết quả triển khai thực hiện › chú thích 4')).toBe('mục II, chú thích 4');
  });
});
