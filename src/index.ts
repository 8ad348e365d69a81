/**
 * The library API, for apps that embed the migrator: one object with a method per command
 * (createMigrator), the schema check an app runs at boot (assertSchemaCurrent), configuration,
 * the errors each outcome rejects with, and the data types they return.
 */
export { createMigrator, type Migrator, type MigratorOptions } from './create-migrator';
export { assertSchemaCurrent, type AssertSchemaOptions, type CheckOptions } from './commands/plan';
export type { AppConnection, AppPool, AppClient } from './db/app-connection';
export type { UpOptions } from './commands/up';
export type { RollbackTarget } from './commands/rollback';
export type { GenerateOptions } from './commands/generate';
export type { ImportedMigration } from './commands/import';
export type { BaselineFromOptions } from './commands/baseline';
export type { DriftOptions } from './commands/drift';
export { loadConfig, DEFAULTS, type MigratorConfig, type ConnectionSettings, type Env } from './config';
export { createLogger, withFields, type Logger, type LoggerOptions } from './log';
export { MIGRATION_LOCK_KEY, schemaLockKey } from './db/lock-key';
export type { FleetAction, FleetOptions } from './commands/fleet';
export type { Shard, Target, TargetKind } from './fleet/targets';
export type {
  AppliedMigration,
  AppliedRepeatable,
  ConvergenceReport,
  ConvergenceResult,
  DriftDifference,
  DriftReport,
  FleetReport,
  GenerateResult,
  LintFinding,
  LintReport,
  MigrationReport,
  MigratorEvent,
  PartialReport,
  PhaseName,
  Plan,
  PlannedStep,
  SchemaDifference,
  StepKind,
  TargetResult,
  VerifyReport,
} from './results';
export {
  MigratorError,
  ConfigError,
  MigrationFailedError,
  DatabaseUnavailableError,
  DatabaseReadOnlyError,
  LockTimeoutError,
  ValidationError,
  LintFindingsError,
  DeclarationsDifferError,
  SchemaNotCurrentError,
  MigrationRunningError,
  SchemasDifferError,
  SchemaDriftError,
  BackupFailedError,
  NeedsReviewError,
  InterruptedError,
  FleetFailedError,
  type SqlFailure,
} from './errors';
