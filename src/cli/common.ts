import 'dotenv/config';
import { loadConfig, type AppConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { ReportAssistant } from '../app/assistant.js';
import { embedderFactoryFromConfig } from '../index/embedderConfig.js';
import { generatorFromConfig } from '../answer/generatorConfig.js';
import { flagString, type ParsedArgs } from './args.js';

/** Opens the assistant the way every command does: config, logger, index (built if stale). */
export async function openAssistant(args: ParsedArgs, config: AppConfig = loadConfig()): Promise<ReportAssistant> {
  const logger = createLogger({ level: config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL });
  const generator = generatorFromConfig(config, logger);
  return ReportAssistant.open({
    corpusDir: flagString(args, 'corpus') ?? config.CORPUS_DIR,
    indexDir: flagString(args, 'index') ?? config.INDEX_DIR,
    embedderFactory: embedderFactoryFromConfig(config),
    logger,
    maxQuestionChars: config.MAX_QUESTION_CHARS,
    ...(generator ? { generator } : {}),
  });
}
