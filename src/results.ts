/**
 * What commands return, and what errors carry about a run: plain data, so that every layer may use
 * these types. A leaf: it imports nothing.
 */

export type PhaseName = 'legacy' | 'tables' | 'versioned';

/** A versioned migration as the history records it. */
export interface AppliedMigration {
  id: number;
  name: string;
  hash: string;
  executedAt: Date | null;
}

/** One step `up` would take. */
export interface PlannedStep {
  phase: PhaseName;
  /** The file the step comes from, in its phase's folder (for an added column: the table file in tables/). */
  file: string;
  /** What the step does, e.g. "repair", "add column accounts.nickname", "create table accounts", "apply version 3". */
  action: string;
  sql: string;
  /** Set on the legacy reconciliation's steps: the column it adds (table.column). */
  column?: string;
}

export interface Plan {
  /** Every step `up` would take, in order (empty: the schema is current). */
  steps: PlannedStep[];
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
  return step.column === undefined ? `${step.phase}/${step.file}` : `${step.phase} (tables/${step.file})`;
}

/** What a run did, phase by phase: returned by `up` and summarised in the final log line. */
export interface MigrationReport {
  /** "applied" when any phase changed the database, "up-to-date" when there was nothing to do. */
  outcome: 'applied' | 'up-to-date';
  legacy: {
    /** Scripts that ran. */
    ran: string[];
    /** Repair scripts that changed something. */
    changed: string[];
    /** Declared columns added to existing tables (table.column). */
    columnsAdded: string[];
  };
  tables: {
    /** Tables created by this run, as declared (schema.table or table). */
    created: string[];
    /** Declared tables that already existed. */
    existing: string[];
  };
  versioned: {
    /** Files applied by this run, in order. */
    applied: string[];
    /** Highest applied id after the run (0: none). */
    currentVersion: number;
    ahead: Array<{ id: number; name: string }>;
  };
  durationMs: number;
}

/** What a failed run had applied and committed before it stopped. */
export type PartialReport = Partial<Pick<MigrationReport, 'legacy' | 'tables' | 'versioned'>> & { durationMs: number };

/** Counts per phase, the stable fields of the summary line. */
export function summarize(report: PartialReport) {
  return {
    legacy: report.legacy?.changed.length ?? 0,
    columns: report.legacy?.columnsAdded.length ?? 0,
    tables: report.tables?.created.length ?? 0,
    versioned: report.versioned?.applied.length ?? 0,
    currentVersion: report.versioned?.currentVersion,
    durationMs: report.durationMs,
  };
}

/** `verify`: files and history agree; the counts. */
export interface VerifyReport {
  files: number;
  applied: number;
  pending: number;
  ahead: Array<{ id: number; name: string }>;
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
