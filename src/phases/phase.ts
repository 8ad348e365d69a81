/**
 * The contract every phase meets: plan its steps, then apply them one at a time. The run
 * (src/run/) calls plan() for every phase inside one planning transaction that is rolled back,
 * and only then apply() for every step, through the one step runner.
 */
import type pg from 'pg';
import type { HistoryStore, VersionedFile } from '../history';
import type { Logger } from '../log';
import type { PhaseName, PlannedStep } from '../results';
import type { MigrationSet } from '../source';

/** The versioned history as the run read it, already checked against the files. */
export interface HistoryState {
  store: HistoryStore;
  /** Files not yet applied, in id order. */
  pending: VersionedFile[];
  /** Highest applied id (0: none). */
  currentVersion: number;
}

export interface PhaseContext {
  /** The run's one connection (it holds the migration lock when the command writes). */
  client: pg.Client;
  /** A logger with this phase's name bound to every line. */
  logger: Logger;
  signal?: AbortSignal;
  files: MigrationSet;
  history: HistoryState;
  /**
   * When applying the run's last step, if the history store applies it in its transaction
   * ('library'): SQL of the migrator's own to run in that transaction before it commits (the
   * schema's record, drift/).
   */
  beforeCommit?: string;
}

export interface PlanContext extends PhaseContext {
  /**
   * Whether steps are dry-run. False for a role that may not change the schema (an app's gate
   * running `check`): then a phase plans from the catalog and from what `up` recorded, and runs
   * only what that role may (legacy scripts under a savepoint: those that need write rights count
   * as pending until `up` has run them).
   */
  dryRuns: boolean;
  /** Whether post-deploy migrations are planned too (`up --post-deploy`). */
  postDeploy: boolean;
  /** The steps the phases before this one planned (the repeatable phase runs again after any). */
  stepsBefore: ReadonlyArray<Step>;
  /**
   * Runs SQL of a step inside the planning transaction (beginning it with this query when needed),
   * to learn what the step would do or whether it would fail: everything is rolled back after
   * planning. A failure is reported as the step's, with its file, line and column.
   */
  dryRun(step: Step, sql: string): Promise<pg.QueryResult[]>;
  /**
   * Dry-runs a file's statements, one at a time so that the server enforces where each ends
   * (db/script.ts), then gives the session back the migrator's own state, with `then` (SQL of the
   * migrator's own) in the same query; resolves with that query's last result.
   */
  dryRunScript(step: Step, sql: string, then?: string): Promise<pg.QueryResult>;
}

export interface Step extends PlannedStep {
  /**
   * Who binds the step's statements together. "runner": the step runner applies it inside a
   * transaction of its own. "library": the history store applies it in postgres-migrations'
   * transaction, with its history row. "none": it runs without a transaction (a versioned file
   * that opts out), so a failure or a stop may leave part of it applied. "phase": the step runner
   * applies it with the phase's other steps in one transaction of its own (the repeatable files).
   */
  transaction: 'runner' | 'library' | 'none' | 'phase';
  /** How messages name the step when phase/file:line:column does not fit (an added column). */
  label?: string;
}

export interface PhasePlan<S extends Step> {
  steps: S[];
  /** Steps left for `up --post-deploy` (planned, not dry-run, not applied). */
  waiting?: S[];
  /**
   * Work after every step of the run succeeded: storing what later runs reuse (the declared
   * shape). Called only by `up`, never by a read-only command.
   */
  finish?(client: pg.Client): Promise<void>;
}

export interface Phase<S extends Step = Step> {
  name: PhaseName;
  /**
   * The steps this phase would take, against the database as the phases planned before it will
   * have left it: a phase may dry-run its steps (context.dryRun), so that the ones after it see
   * their effect, and so that a step that would fail stops the run before anything is written.
   */
  plan(context: PlanContext): Promise<PhasePlan<S>>;
  /** Applies one of its planned steps, on the run's connection; the step runner calls it. */
  apply(context: PhaseContext, step: S): Promise<void>;
}
