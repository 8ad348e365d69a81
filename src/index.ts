/** The library API: what the CLI uses, for apps that embed the migrator. */
export { loadConfig, DEFAULTS, type MigratorConfig, type ConnectionSettings, type Env } from './config';
export { migrate, type MigrateOptions } from './commands/migrate';
export type { MigrationReport, PartialReport } from './report';
export { createLogger, type Logger, type LoggerOptions } from './log';
export { MIGRATION_LOCK_KEY } from './db/lock';
export {
  MigratorError,
  ConfigError,
  MigrationFailedError,
  DatabaseUnavailableError,
  DatabaseReadOnlyError,
  LockTimeoutError,
  ValidationError,
  InterruptedError,
  type PhaseName,
  type SqlFailure,
} from './errors';
