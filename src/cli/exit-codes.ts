/**
 * The one place where outcomes become exit codes, and the one table of what each means: --help,
 * the termination message and docs/exit-codes.md (generated: npm run docs) all say what this says.
 */
import {
  BackupFailedError,
  ConfigError,
  DatabaseQueryError,
  DatabaseReadOnlyError,
  DatabaseUnavailableError,
  FleetFailedError,
  InterruptedError,
  LockTimeoutError,
  MigrationFailedError,
  MigrationRunningError,
  NeedsReviewError,
  SchemaDriftError,
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
  driftFound: 10,
  interruptedBySigint: 130,
  interruptedBySigterm: 143,
} as const;

/** What each code means, for people. */
export const EXIT_MEANING: Record<number, string> = {
  [EXIT.success]: 'done (check: the schema is current)',
  [EXIT.migrationFailed]: 'a migration failed',
  [EXIT.usage]: 'usage or configuration error',
  [EXIT.pendingWork]: 'the schema is not current',
  [EXIT.databaseUnavailable]: 'the database was unavailable',
  [EXIT.lockTimeout]: 'the migration lock was not obtained in time',
  [EXIT.validationFailed]: 'migration files are invalid or disagree with the history (lint: problems found)',
  [EXIT.backupFailed]: 'the backup before migrating failed',
  [EXIT.schemasDiffer]: 'the schemas do not converge (converge)',
  [EXIT.needsReview]: 'a migration was generated with parts commented out for review (generate)',
  [EXIT.driftFound]: 'the schema was changed outside the migrations (drift)',
  [EXIT.interruptedBySigint]: 'interrupted (SIGINT)',
  [EXIT.interruptedBySigterm]: 'interrupted (SIGTERM)',
};

/** What each code means in full, for docs/exit-codes.md (Markdown). */
export const EXIT_DETAILS: Record<number, string> = {
  [EXIT.success]:
    'success, or nothing to do; `fleet`: every target succeeded (otherwise the code of its targets that a retry is least likely to fix, in this order: 2, 6, 10, 1, 7, 3, 5, 4; see [fleet.md](fleet.md#exit-codes))',
  [EXIT.migrationFailed]:
    "a migration failed (SQL error, `MIGRATOR_LOCK_TIMEOUT` after the last retry, `MIGRATOR_STATEMENT_TIMEOUT`): when found while planning, nothing was changed; when applying, its transaction was rolled back and earlier steps kept (a file without a transaction: the message says what may have stayed); or the database is read-only; or a query of the migrator's own (taking the lock, reading or writing the history) failed with a database error no other code covers: one line with its message and SQLSTATE (`pgCode`), never a stack trace (a deadlock or serialization failure with another session is rolled back by PostgreSQL, and the message says to run again); also a step that released the migration lock (`pg_advisory_unlock_all()`): found before it commits or is recorded, its transaction rolled back; also any other unexpected error",
  [EXIT.usage]:
    'usage or configuration error: nothing was attempted (also `fleet`: a targets list with a duplicate, an unknown kind or a name longer than 63 bytes, a `--targets-sql` that fails or does not return one column named `schema` or `database`, a schema target that does not exist; a migrations folder that does not exist or holds no migration file: a wrong path or an empty mount; `import` into a versioned/ that already holds files, or from a folder without migrations)',
  [EXIT.pendingWork]:
    '`check`: the schema is valid but `up` has work to do; `check` and `up`: a pre-deploy migration waits behind a pending post-deploy one, which only `up --post-deploy` applies (`up` applied what it could first; the message names both and that command); `check`: a migration is running (another runner holds the migration lock: the message names its pid), so nothing was planned; `check --wait` keeps asking',
  [EXIT.databaseUnavailable]:
    "database unreachable within `MIGRATOR_WAIT_TIMEOUT`, refused the login (wrong password, unknown database: no retry), lost during the run, also while waiting for the lock (the running step's transaction is rolled back by the server), or stopped answering: nothing for 10 s on the run's connection and no answer within 10 s on a new one, so given up on at most 21 s after it stopped, whatever the timeouts (the server rolls the running step back once it runs again, unless it was committing at that moment: the message says so; see [A server that stops answering](how-a-run-behaves.md#a-server-that-stops-answering)); `generate --scratch docker`: the scratch container could not be started",
  [EXIT.lockTimeout]: "the migration lock was not obtained within `MIGRATOR_LOCK_WAIT`; the message names the holder's pid",
  [EXIT.validationFailed]:
    "validation failed: an applied migration edited or removed, duplicate or missing ids, a file that is empty or only comments (a pending one), unreadable, not UTF-8, has a BOM or a NUL byte, a folder that cannot be read, an entry of `legacy/`, `tables/`, `versioned/` or `repeatable/` that is not a migration (a mistyped extension, notes, a subfolder; README/.md notes, hidden files and `versioned/down/` are left alone), a migration that is not a regular file (a FIFO, socket, device or directory: refused without opening it), a symbolic link that leaves the migrations folder or leads nowhere, a file that begins or ends its own transaction, a script that released the migration lock while it was dry-run (planning: nothing changed), a statement that refuses a transaction where it would run in one or next to others, a foreign `migrations` table, a database ahead of the files with `MIGRATOR_ON_AHEAD=fail`, or ahead of files that also have work it lacks (a declared table missing: both are named); files copied in from golang-migrate, dbmate, Flyway or Alembic (the message names the `import` to run); `import`: a file of the other tool's folder it cannot convert; `baseline --from`: the other tool's history table is missing, records a failed (dirty) run, names a version no file has, or skips a file before its last one (nothing written); `lint` found problems; `generate --check`: the declared tables and the versioned history disagree",
  [EXIT.backupFailed]: '`MIGRATOR_BACKUP_COMMAND` failed: nothing was changed',
  [EXIT.schemasDiffer]:
    '`converge`: a database from an earlier release ended at a different schema than a fresh install, or a second `up` changed something',
  [EXIT.needsReview]:
    '`generate`: the migration was written, but parts of it are commented out under `REVIEW:` lines for a person to decide (a drop, a type change, a possible rename)',
  [EXIT.driftFound]:
    '`drift`: the schema differs from what the last `up` recorded (an object missing, changed, or not in any migration; the objects on stdout); `up` and `check` with `MIGRATOR_ON_DRIFT=fail`: the same, found before anything was planned, so nothing was changed (see [drift.md](drift.md)). A database no `up` has recorded yet is not drift: `drift` exits 0 and says there is no baseline',
  [EXIT.interruptedBySigint]:
    'interrupted by SIGINT: the running statement was cancelled, its transaction rolled back (the message says so, or, for a file without a transaction, that what it did stays), the lock released; when the server does not answer the cancel request within 5 s, the connection is closed instead and the message says that the server rolls back once it runs again',
  [EXIT.interruptedBySigterm]:
    "interrupted by SIGTERM (`docker stop`, a pod's termination): the running statement was cancelled, its transaction rolled back (the message says so, or, for a file without a transaction, that what it did stays), the lock released; when the server does not answer the cancel request within 5 s, the connection is closed instead and the message says that the server rolls back once it runs again",
};

/**
 * `fleet`: of the codes its targets failed with, the one a retry is least likely to fix, so that a
 * Kubernetes podFailurePolicy can fail an index at once on it (usage, validation, a migration's
 * failure) and retry only what may pass later (a lock not obtained, a database unavailable).
 */
const FLEET_PRECEDENCE: number[] = [
  EXIT.usage,
  EXIT.validationFailed,
  EXIT.driftFound,
  EXIT.migrationFailed,
  EXIT.backupFailed,
  EXIT.pendingWork,
  EXIT.lockTimeout,
  EXIT.databaseUnavailable,
];

function fleetExitCode(error: FleetFailedError): number {
  const codes = new Set(error.fleet.results.flatMap((result) => (result.error ? [exitCodeFor(result.error)] : [])));
  return FLEET_PRECEDENCE.find((code) => codes.has(code)) ?? [...codes][0] ?? EXIT.migrationFailed;
}

export function exitCodeFor(error: unknown): number {
  if (error instanceof FleetFailedError) return fleetExitCode(error);
  if (error instanceof ConfigError) return EXIT.usage;
  if (error instanceof MigrationFailedError || error instanceof DatabaseReadOnlyError || error instanceof DatabaseQueryError) {
    return EXIT.migrationFailed;
  }
  if (error instanceof DatabaseUnavailableError) return EXIT.databaseUnavailable;
  if (error instanceof LockTimeoutError) return EXIT.lockTimeout;
  if (error instanceof ValidationError) return EXIT.validationFailed;
  if (error instanceof SchemaNotCurrentError || error instanceof MigrationRunningError) return EXIT.pendingWork;
  if (error instanceof BackupFailedError) return EXIT.backupFailed;
  if (error instanceof SchemasDifferError) return EXIT.schemasDiffer;
  if (error instanceof NeedsReviewError) return EXIT.needsReview;
  if (error instanceof SchemaDriftError) return EXIT.driftFound;
  if (error instanceof InterruptedError) {
    return error.signal === 'SIGTERM' ? EXIT.interruptedBySigterm : EXIT.interruptedBySigint;
  }
  // Anything else is unexpected (a bug or an unclassified database error): a failed run.
  return EXIT.migrationFailed;
}
