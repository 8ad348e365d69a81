/** Calling the library (createMigrator) directly, with its log lines and progress events captured. */
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/log';
import { createMigrator } from '../../src/create-migrator';
import type { MigrationReport, MigratorEvent } from '../../src/results';
import { logProgress } from '../../src/run/progress-log';
import type { TestDatabase } from './database';

export interface LibraryRun {
  report?: MigrationReport;
  error?: Error;
  /** The log lines, the progress lines among them (as the CLI writes them). */
  lines: Array<Record<string, unknown>>;
  events: MigratorEvent[];
}

export async function runLibrary(
  db: TestDatabase,
  migrationsDir: string,
  env: Record<string, string> = {},
  options: { signal?: AbortSignal; postDeploy?: boolean } = {},
): Promise<LibraryRun> {
  const lines: Array<Record<string, unknown>> = [];
  const events: MigratorEvent[] = [];
  const logger = createLogger({ level: 'debug', write: (line) => lines.push(JSON.parse(line)) });
  const progress = logProgress(logger);
  const config = loadConfig({ DATABASE_URL: db.url, MIGRATIONS_DIR: migrationsDir, ...env });
  const onEvent = (event: MigratorEvent) => {
    events.push(event);
    progress(event);
  };
  try {
    return {
      report: await createMigrator(config, { logger, signal: options.signal, onEvent }).up({ postDeploy: options.postDeploy }),
      lines,
      events,
    };
  } catch (error) {
    return { error: error as Error, lines, events };
  }
}
