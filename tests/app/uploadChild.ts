/**
 * Child process for the upload kill drill: opens an assistant on the given corpus and replaces
 * `name` with `bytes` random-but-valid text, printing GO right before the upload starts. The
 * parent kills it with SIGKILL at chosen delays after GO.
 */
import { ReportAssistant } from '../../src/app/assistant.js';
import { localEmbedderFactory } from '../../src/index/embedder.js';

const [corpusDir, indexDir, name, sizeText] = process.argv.slice(2);
const assistant = await ReportAssistant.open({ corpusDir: corpusDir!, indexDir: indexDir!, embedderFactory: localEmbedderFactory() });
const line = 'Kết quả thực hiện nhiệm vụ năm sau tăng so với năm trước ở tất cả các lĩnh vực. ';
const content = Buffer.from(`Báo cáo thay thế\n\n${line.repeat(Math.ceil(Number(sizeText) / line.length))}`);
process.stdout.write('GO\n');
await assistant.addDocument(name!, content, { replace: true });
process.stdout.write('DONE\n');
