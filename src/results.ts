/**
 * What commands return, and what errors carry about a run: plain data, so that every layer may use
 * these types. A leaf: it imports nothing.
 */

export type PhaseName = 'legacy' | 'tables' | 'versioned' | 'repeatable';

/** A versioned migration as the history records it. */
export interface AppliedMigration {
  id: number;
  name: string;
  hash: string;
  executedAt: Date | null;
}

/** A repeatable file as the last run of its phase recorded it. */
export interface AppliedRepeatable {
  name: string;
  /** sha256 of the file's text when it last ran. */
  checksum: string;
  /** The objects it defines (views, functions, triggers...), as the record holds them. */
  objects: string[];
  appliedAt: Date;
}

/**
 * What a step does: a repair script, a declared column added, a table created, a versioned
 * migration applied (or an INVALID index it left rebuilt), rolled back or recorded, a repeatable
 * file run again.
 */
export type StepKind = 'repair' | 'column' | 'table' | 'migration' | 'index' | 'rollback' | 'baseline' | 'repeatable';

/** One step `up` (or rollback, baseline) takes. */
export interface PlannedStep {
  phase: PhaseName;
  kind: StepKind;
  /** The file the step comes from, in its phase's folder (for an added column: tables/ and the table file that declares it). */
  file: string;
  /** What the step does, e.g. "repair", "add column accounts.nickname", "create table accounts", "apply version 3". */
  action: string;
  sql: string;
  /** Set on the legacy reconciliation's steps: the column it adds (table.column). */
  column?: string;
  /** Set on table-creation steps: the table it creates, as declared (schema.table or table). */
  table?: string;
  /** Set on versioned steps: the migration's id. */
  version?: number;
  /** Set on versioned steps that run without a transaction (the file opts out): a failure may leave part of it applied. */
  withoutTransaction?: true;
  /** Set on post-deploy migrations: applied only by `up --post-deploy`. */
  postDeploy?: true;
}

export interface Plan {
  /** Every step `up` would take, in order (empty: the schema is current). */
  steps: PlannedStep[];
  /**
   * Pending versioned migrations a plain `up` leaves for `up --post-deploy`: the first pending
   * post-deploy one and every one after it (a pre-deploy one among them waits behind it).
   */
  waiting: PlannedStep[];
  versioned: {
    /** Highest applied id (0: none). */
    currentVersion: number;
    lastApplied?: Pick<AppliedMigration, 'id' | 'name' | 'executedAt'>;
    /** Applied migrations this image has no file for: the database is ahead of the image. */
    ahead: Array<{ id: number; name: string }>;
  };
}

/** How outputs name a step: legacy/001_fix.sql, or for an added column the table file that declares it. */
export function stepLabel(step: Pick<PlannedStep, 'phase' | 'file' | 'column'>): string {
  return step.column === undefined ? `${step.phase}/${step.file}` : `${step.phase} (${step.file})`;
}

/**
 * Pre-deploy migrations among the waiting ones are stuck behind a post-deploy one (`up
 * --post-deploy` of the release that brought that one has not run): the schema the new release
 * needs is not there, whatever a plain `up` does.
 */
export function stuckBehindPostDeploy(waiting: PlannedStep[]): { stuck: PlannedStep[]; behind: PlannedStep } | undefined {
  const behind = waiting.find((step) => step.postDeploy);
  const stuck = waiting.filter((step) => !step.postDeploy);
  return behind && stuck.length > 0 ? { stuck, behind } : undefined;
}

/**
 * The one rule of "the schema is current", which `check`, `up`, `plan` and `status` share: a plain
 * `up` has nothing left to do, and no pre-deploy migration waits behind a post-deploy one (only
 * post-deploy migrations waiting is the normal state between a rollout and its post-deploy step).
 * Undefined when current; otherwise why not, and the command that changes it.
 */
export function whyNotCurrent(plan: Pick<Plan, 'steps' | 'waiting'>): string | undefined {
  const reasons: string[] = [];
  if (plan.steps.length > 0) {
    const first = plan.steps[0];
    reasons.push(`${plan.steps.length} step(s) pending, first ${stepLabel(first)} (${first.action}); run migrator up`);
  }
  const blocked = stuckBehindPostDeploy(plan.waiting);
  if (blocked) {
    const { stuck, behind } = blocked;
    const names = stuck.map((step) => `versioned/${step.file}`).join(', ');
    reasons.push(
      `${names} ${stuck.length === 1 ? 'waits' : 'wait'} behind post-deploy migration versioned/${behind.file}, ` +
        'since migrator up --post-deploy of the release that brought it has not run; a plain up never applies ' +
        `${stuck.length === 1 ? 'it' : 'them'}: run migrator up --post-deploy`,
    );
  }
  return reasons.length === 0 ? undefined : `the schema is not current: ${reasons.join('; and ')}`;
}

/** What a run did, phase by phase: returned by `up` and summarised in the final log line. */
export interface MigrationReport {
  /**
   * "applied" when a step changed the database, "up-to-date" when there was nothing to do, "ahead"
   * when the database has versioned migrations this image does not know, so nothing was done.
   */
  outcome: 'applied' | 'up-to-date' | 'ahead';
  legacy: {
    /** Repair scripts that changed something. */
    changed: string[];
    /** Declared columns added to existing tables (table.column). */
    columnsAdded: string[];
  };
  tables: {
    /** Tables created by this run, as declared (schema.table or table). */
    created: string[];
  };
  versioned: {
    /** Files applied by this run, in order. */
    applied: string[];
    /** Pending files left for `up --post-deploy`. */
    waiting: string[];
    /** Highest applied id after the run (0: none). */
    currentVersion: number;
    ahead: Array<{ id: number; name: string }>;
  };
  repeatable: {
    /** Repeatable files this run ran, in order (all of them, or none). */
    applied: string[];
  };
  durationMs: number;
}

/**
 * What a failed run had applied and committed before it stopped, and the step that failed
 * (absent when the run failed before applying, which then changed nothing).
 */
export type PartialReport = Pick<MigrationReport, 'legacy' | 'tables' | 'versioned' | 'repeatable' | 'durationMs'> & {
  failedStep?: PlannedStep;
};

/** Counts per phase, the stable fields of the summary line. */
export function summarize(report: Pick<MigrationReport, 'legacy' | 'tables' | 'versioned' | 'repeatable' | 'durationMs'>) {
  return {
    legacy: report.legacy.changed.length,
    columns: report.legacy.columnsAdded.length,
    tables: report.tables.created.length,
    versioned: report.versioned.applied.length,
    waiting: report.versioned.waiting.length,
    currentVersion: report.versioned.currentVersion,
    repeatable: report.repeatable.applied.length,
    durationMs: report.durationMs,
  };
}

/** What a run reports as it goes, for progress lines and for programs that embed the migrator. */
export type MigratorEvent =
  | { type: 'planned'; steps: PlannedStep[]; pending: Record<PhaseName, number> }
  | { type: 'applying'; step: PlannedStep; index: number; total: number }
  | { type: 'applied'; step: PlannedStep; index: number; total: number; durationMs: number }
  | { type: 'failed'; step: PlannedStep; index: number; total: number; durationMs: number; error: Error };

/** `verify`: files and history agree; the counts. */
export interface VerifyReport {
  files: number;
  applied: number;
  pending: number;
  ahead: Array<{ id: number; name: string }>;
  /** Applied .js migrations whose hash verify cannot check without running them (up checks them). */
  unverified: string[];
  /**
   * Repeatable files against their record: a changed or new file is no disagreement, it runs again
   * on the next `up`; a removed one is forgotten then (what it defined is kept).
   */
  repeatable: { files: number; willRerun: string[]; removed: string[] };
}

/** How an upgraded database's schema differs from a fresh install's, in words a person can act on. */
export interface SchemaDifference {
  /** The object, e.g. "column public.accounts.name". */
  object: string;
  /** What differs, e.g. "only in the upgraded database (text NULL)". */
  detail: string;
}

export interface ConvergenceResult {
  /** "fresh install", or the dump's file name. */
  database: string;
  /** How its schema differs from the fresh install's (always empty for the fresh install itself). */
  differences: SchemaDifference[];
  /** What a second `up` on it did (empty: nothing). */
  secondRun: string[];
}

export interface ConvergenceReport {
  converged: boolean;
  results: ConvergenceResult[];
}

/** `drift`: an object of the schema that differs from what the last `up` recorded. */
export interface DriftDifference {
  /** The object, e.g. "column public.accounts.nickname", "index public.notes_account_id_idx". */
  object: string;
  /** missing: recorded, gone now; changed: its definition differs; not in any migration: there now, never recorded. */
  state: 'missing' | 'changed' | 'not in any migration';
}

/** `drift`: the live schema against the last record of it. */
export interface DriftReport {
  /** Whether an `up` has recorded the schema yet (false: nothing to compare with). */
  baseline: boolean;
  differences: DriftDifference[];
}

/** `lint`: what it found. */
export interface LintFinding {
  /** versioned/<file>, repeatable/<file>, or the path as given. */
  file: string;
  line: number;
  column: number;
  /** unguarded-ddl, backward-compat, not-rerunnable and syntax-error are ours; anything else is a squawk rule. */
  rule: string;
  message: string;
  tool: 'migrator' | 'squawk';
}

export interface LintReport {
  files: number;
  findings: LintFinding[];
}

/** `generate`: what it found and wrote. */
export interface GenerateResult {
  /** migra's statements from the history's schema to the declared one (empty: they agree). */
  differences: string[];
  /** The up file's commented-out statements waiting for a person, each with its REVIEW line. */
  reviews: string[];
  /** The same for the down file (a down file undoing additions drops them, so it usually has some). */
  downReviews: string[];
  file?: string;
  downFile?: string;
}

/** What `fleet` did to one target. */
export interface TargetResult {
  /** `schema:NAME` or `database:NAME`. */
  target: string;
  /**
   * "applied" / "up-to-date" / "ahead" as for `up`; "pending" when the target is not current
   * (`fleet check`, `fleet status`, `fleet plan`: up has work there); "failed" when its run failed.
   */
  outcome: 'applied' | 'up-to-date' | 'ahead' | 'pending' | 'failed';
  /** Highest applied id before the run, and after it (for a failure: what was committed). */
  versionBefore?: number;
  versionAfter?: number;
  /** Steps up would take there (`fleet plan`, `fleet status`, `fleet check`). */
  pending?: number;
  /** `fleet plan`: the target's plan, when it has steps. */
  plan?: Plan;
  durationMs: number;
  /** Why it failed or is not current. */
  error?: Error;
}

/** What a `fleet` command did to every target of its shard. */
export interface FleetReport {
  action: 'up' | 'check' | 'plan' | 'status';
  /** Targets in this shard (all of them without --shard). */
  targets: number;
  /** Per target that ran, in the targets' order. */
  results: TargetResult[];
  /** Targets that never started, after a failing canary, too many failures or a stop. */
  notStarted: string[];
  stopped?: 'canary' | 'max-failures' | 'interrupted';
  durationMs: number;
}
