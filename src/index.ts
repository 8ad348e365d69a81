/** The library API: what the CLI uses, for apps that embed the migrator. */
export { loadConfig, DEFAULTS, type MigratorConfig, type ConnectionSettings, type Env } from './config';
export { migrate, type MigrateOptions } from './commands/migrate';
export { plan, type Plan, type PlannedStep } from './commands/plan';
export { assertSchemaCurrent } from './commands/check';
export { history, verify, type VerifyReport } from './commands/history';
export { baseline } from './commands/baseline';
export { rollback, type RollbackTarget } from './commands/rollback';
export { newMigration } from './commands/new-migration';
export { renumber } from './commands/renumber';
export { lint, type LintFinding, type LintOptions, type LintReport } from './commands/lint';
export { generate, type GenerateOptions, type GenerateResult } from './commands/generate';
export { converge, type ConvergeOptions, type ConvergenceReport, type ConvergenceResult } from './commands/converge';
export type { SchemaDifference } from './converge/diff';
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
  SchemaNotCurrentError,
  SchemasDifferError,
  BackupFailedError,
  NeedsReviewError,
  InterruptedError,
  type PhaseName,
  type SqlFailure,
} from './errors';
