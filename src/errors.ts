/**
 * One error class per outcome the CLI reports with its own exit code.
 * Library code throws these; only the CLI turns them into exit codes (src/cli/exit-codes.ts).
 */

import type { ConvergenceReport, DriftReport, FleetReport, GenerateResult, LintReport, PartialReport, PhaseName, Plan } from './results';

export abstract class MigratorError extends Error {
  override readonly name: string = this.constructor.name;
  /** Set by migrate(): what the run had done before this error stopped it. */
  report?: PartialReport;
}

/** Invalid command line or configuration: nothing was attempted. */
export class ConfigError extends MigratorError {
  constructor(
    message: string,
    /** The environment variable or flag at fault, when there is one. */
    readonly variable?: string,
  ) {
    super(message);
  }
}

/** A command line the CLI cannot read (unknown command or option, wrong arguments): shown as plain text with the usage. */
export class UsageError extends ConfigError {
  constructor(
    message: string,
    /** The usage text of the command (or of the CLI) to show with it. */
    readonly usage: string,
  ) {
    super(message);
  }
}

/** Where in a migration file PostgreSQL reported the error, plus its own diagnostics. */
export interface SqlFailure {
  pgCode?: string;
  line?: number;
  column?: number;
  detail?: string;
  hint?: string;
  /** After a lock timeout: the relation the step waited for, and who held it. */
  relation?: string | null;
  blockingPids?: number[];
}

/** A migration step failed; its transaction was rolled back and nothing after it ran. */
export class MigrationFailedError extends MigratorError {
  constructor(
    message: string,
    readonly phase: PhaseName,
    readonly file: string,
    readonly failure: SqlFailure = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The database only accepts reads (a hot standby, or default_transaction_read_only): nothing can be applied. */
export class DatabaseReadOnlyError extends MigratorError {}

/** The database could not be reached in time, refused the login, or went away mid-run. */
export class DatabaseUnavailableError extends MigratorError {
  constructor(
    message: string,
    readonly pgCode?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * A query of the migrator's own (the lock, the history, the catalog: not a migration's statement)
 * failed with a database error that no other outcome covers; the message gives its SQLSTATE.
 */
export class DatabaseQueryError extends MigratorError {
  constructor(
    message: string,
    readonly pgCode: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Another runner held the migration lock for longer than the configured wait. */
export class LockTimeoutError extends MigratorError {
  constructor(
    message: string,
    readonly holderPid?: number,
  ) {
    super(message);
  }
}

/**
 * `check` (and assertSchemaCurrent) found the migration lock held by a runner: a migration is
 * running, so the schema is not known to be current yet. Nothing was planned (exit 3, like pending work).
 */
export class MigrationRunningError extends MigratorError {
  constructor(
    message: string,
    readonly holderPid?: number,
  ) {
    super(message);
  }
}

/** Files and recorded history disagree: edited or removed migrations, bad ids, a foreign history table. */
export class ValidationError extends MigratorError {
  constructor(
    message: string,
    readonly file?: string,
  ) {
    super(message);
  }
}

/** `lint` found problems; `lint` lists them. */
export class LintFindingsError extends ValidationError {
  constructor(
    message: string,
    readonly lint: LintReport,
  ) {
    super(message);
  }
}

/** `generate --check`: the declared tables and the versioned history describe different schemas. */
export class DeclarationsDifferError extends ValidationError {
  constructor(
    message: string,
    /** migra's statements from the history's schema to the declared one. */
    readonly differences: string[],
  ) {
    super(message);
  }
}

/** `check`: the schema is valid but `up` has work to do. */
export class SchemaNotCurrentError extends MigratorError {
  constructor(
    message: string,
    readonly plan: Plan,
  ) {
    super(message);
  }
}

/** The schema differs from what the last `up` recorded: `drift`, and `up` and `check` with MIGRATOR_ON_DRIFT=fail. */
export class SchemaDriftError extends MigratorError {
  constructor(
    message: string,
    readonly drift: DriftReport,
  ) {
    super(message);
  }
}

/** `converge`: an upgraded database ended with a different schema than a fresh install, or a second `up` changed something. */
export class SchemasDifferError extends MigratorError {
  constructor(
    message: string,
    readonly convergence: ConvergenceReport,
  ) {
    super(message);
  }
}

/** `generate` wrote a migration, but parts of it are commented out under REVIEW lines for a person to decide. */
export class NeedsReviewError extends MigratorError {
  constructor(
    message: string,
    readonly result: GenerateResult,
  ) {
    super(message);
  }
}

/**
 * `fleet`: at least one target failed (or, for `fleet check`, is not current), or targets never
 * started; the report says which, with each target's own error (whose class gives the exit code).
 */
export class FleetFailedError extends MigratorError {
  constructor(
    message: string,
    readonly fleet: FleetReport,
  ) {
    super(message);
  }
}

/** MIGRATOR_BACKUP_COMMAND failed, so nothing was changed. */
export class BackupFailedError extends MigratorError {}

/** The run was stopped by a signal (or its AbortSignal); the message says what became of the running step. */
export class InterruptedError extends MigratorError {
  /** signal: the signal name (SIGINT, SIGTERM) or another abort reason. */
  constructor(
    readonly signal: string,
    detail = 'no step had started',
  ) {
    super(`interrupted by ${signal}: ${detail}`);
  }

  static from(signal: AbortSignal, detail?: string): InterruptedError {
    return new InterruptedError(typeof signal.reason === 'string' ? signal.reason : 'abort', detail);
  }

  /** Called between steps, so that no new step starts once a stop was asked for. */
  static throwIfAborted(signal: AbortSignal | undefined): void {
    if (signal?.aborted) throw InterruptedError.from(signal, 'between steps, nothing was running');
  }
}
