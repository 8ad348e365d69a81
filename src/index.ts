/** The library API: what the CLI uses, for apps that embed the migrator. */
export { loadConfig, DEFAULTS, type MigratorConfig, type ConnectionSettings, type Env } from './config';
export { migrate, type MigrateOptions } from './commands/migrate';
export { plan } from './commands/plan';
export { assertSchemaCurrent } from './commands/check';
export { history, verify } from './commands/history';
export { baseline } from './commands/baseline';
export { rollback, type RollbackTarget } from './commands/rollback';
export { newMigration } from './commands/new-migration';
export { renumber } from './commands/renumber';
export { lint, type LintFinding, type LintOptions, type LintReport } from './commands/lint';
export { generate, type GenerateOptions, type GenerateResult } from './commands/generate';
export { converge, type ConvergeOptions } from './commands/converge';
export type {
  AppliedMigration,
  ConvergenceReport,
  ConvergenceResult,
  MigrationReport,
  PartialReport,
  PhaseName,
  Plan,
  PlannedStep,
  SchemaDifference,
  VerifyReport,
} from './results';
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
  SchemaNotCurrentError,
  SchemasDifferError,
  BackupFailedError,
  NeedsReviewError,
  InterruptedError,
  type SqlFailure,
} from './errors';
