/** The one place where outcomes become exit codes. Documented in README.md ("Exit codes"). */
import {
  ConfigError,
  DatabaseReadOnlyError,
  DatabaseUnavailableError,
  InterruptedError,
  LockTimeoutError,
  MigrationFailedError,
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
  interruptedBySigint: 130,
  interruptedBySigterm: 143,
} as const;

export function exitCodeFor(error: unknown): number {
  if (error instanceof ConfigError) return EXIT.usage;
  if (error instanceof MigrationFailedError || error instanceof DatabaseReadOnlyError) return EXIT.migrationFailed;
  if (error instanceof DatabaseUnavailableError) return EXIT.databaseUnavailable;
  if (error instanceof LockTimeoutError) return EXIT.lockTimeout;
  if (error instanceof ValidationError) return EXIT.validationFailed;
  if (error instanceof InterruptedError) {
    return error.signal === 'SIGTERM' ? EXIT.interruptedBySigterm : EXIT.interruptedBySigint;
  }
  // Anything else is unexpected (a bug or an unclassified database error): a failed run.
  return EXIT.migrationFailed;
}
