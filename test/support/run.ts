/** Calling the library's migrate() directly, with its log lines captured. */
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/log';
import { migrate, type MigrateOptions } from '../../src/commands/migrate';
import type { MigrationReport } from '../../src/results';
import type { TestDatabase } from './database';

export interface LibraryRun {
  report?: MigrationReport;
  error?: Error;
  lines: Array<Record<string, unknown>>;
}

export async function runLibrary(
  db: TestDatabase,
  migrationsDir: string,
  env: Record<string, string> = {},
  options: Pick<MigrateOptions, 'signal'> = {},
): Promise<LibraryRun> {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({ level: 'debug', write: (line) => lines.push(JSON.parse(line)) });
  const config = loadConfig({ DATABASE_URL: db.url, MIGRATIONS_DIR: migrationsDir, ...env });
  try {
    return { report: await migrate(config, { logger, ...options }), lines };
  } catch (error) {
    return { error: error as Error, lines };
  }
}
