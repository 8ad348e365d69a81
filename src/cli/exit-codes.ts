/**
 * The one place where outcomes become exit codes, and the one table of what each means: --help,
 * the termination message and README.md ("Exit codes") all say what this says.
 */
import {
  BackupFailedError,
  ConfigError,
  DatabaseReadOnlyError,
  DatabaseUnavailableError,
  InterruptedError,
  LockTimeoutError,
  MigrationFailedError,
  NeedsReviewError,
  SchemaNotCurrentError,
  SchemasDifferError,
  ValidationError,
} from '../errors';

export const EXIT = {
  success: 0,
  migrationFailed: 1,
  usage: 2,
  pendingWork: 3,
  databaseUnavailable: 4,
  lockTimeout: 5,
  validationFailed: 6,
  backupFailed: 7,
  schemasDiffer: 8,
  needsReview: 9,
  interruptedBySigint: 130,
  interruptedBySigterm: 143,
} as const;

/** What each code means, for people. */
export const EXIT_MEANING: Record<number, string> = {
  [EXIT.success]: 'done (check: the schema is current)',
  [EXIT.migrationFailed]: 'a migration failed',
  [EXIT.usage]: 'usage or configuration error',
  [EXIT.pendingWork]: 'the schema is not current (check)',
  [EXIT.databaseUnavailable]: 'the database was unavailable',
  [EXIT.lockTimeout]: 'the migration lock was not obtained in time',
  [EXIT.validationFailed]: 'migration files are invalid or disagree with the history (lint: problems found)',
  [EXIT.backupFailed]: 'the backup before migrating failed',
  [EXIT.schemasDiffer]: 'the schemas do not converge (converge)',
  [EXIT.needsReview]: 'a migration was generated with parts commented out for review (generate)',
  [EXIT.interruptedBySigint]: 'interrupted (SIGINT)',
  [EXIT.interruptedBySigterm]: 'interrupted (SIGTERM)',
};

export function exitCodeFor(error: unknown): number {
  if (error instanceof ConfigError) return EXIT.usage;
  if (error instanceof MigrationFailedError || error instanceof DatabaseReadOnlyError) return EXIT.migrationFailed;
  if (error instanceof DatabaseUnavailableError) return EXIT.databaseUnavailable;
  if (error instanceof LockTimeoutError) return EXIT.lockTimeout;
  if (error instanceof ValidationError) return EXIT.validationFailed;
  if (error instanceof SchemaNotCurrentError) return EXIT.pendingWork;
  if (error instanceof BackupFailedError) return EXIT.backupFailed;
  if (error instanceof SchemasDifferError) return EXIT.schemasDiffer;
  if (error instanceof NeedsReviewError) return EXIT.needsReview;
  if (error instanceof InterruptedError) {
    return error.signal === 'SIGTERM' ? EXIT.interruptedBySigterm : EXIT.interruptedBySigint;
  }
  // Anything else is unexpected (a bug or an unclassified database error): a failed run.
  return EXIT.migrationFailed;
}
