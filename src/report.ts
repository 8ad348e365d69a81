/** What a run did, phase by phase: returned by migrate() and summarised in the final log line. */
import type { LegacyReport } from './phases/legacy';
import type { TablesReport } from './phases/tables';
import type { VersionedReport } from './phases/versioned';

export interface MigrationReport {
  /** "applied" when any phase changed the database, "up-to-date" when there was nothing to do. */
  outcome: 'applied' | 'up-to-date';
  legacy: LegacyReport;
  tables: TablesReport;
  versioned: VersionedReport;
  durationMs: number;
}

/** What the phases that finished had done before a run failed. */
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
