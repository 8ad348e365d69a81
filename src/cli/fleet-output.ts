/** How `fleet` shows its results: one log line per target, a summary, and `fleet status` / `fleet plan` for people or as JSON. */
import type { FleetReport, TargetResult } from '../results';
import { formatPlan } from './output';

const SLOWEST = 5;
const NAMED_FAILURES = 20;
const BAR_WIDTH = 40;

/** The fields of a target's line: what happened there, and the exit code its own run would have had. */
export function targetFields(result: TargetResult, exitCode: number | undefined): Record<string, unknown> {
  const { target, outcome, versionBefore, versionAfter, pending, durationMs, error } = result;
  return {
    target,
    outcome,
    ...(exitCode !== undefined && { exitCode }),
    ...(versionBefore !== undefined && { versionBefore }),
    ...(versionAfter !== undefined && { versionAfter }),
    ...(pending !== undefined && { pending }),
    durationMs,
    ...(error && { errorType: error.name }),
  };
}

export function targetMessage(result: TargetResult): string {
  if (result.error) return result.error.message;
  switch (result.outcome) {
    case 'applied':
      return `target migrated from version ${result.versionBefore} to ${result.versionAfter}`;
    case 'ahead':
      return 'target is ahead of these files: nothing changed';
    case 'pending':
      return `target is not current: ${result.pending} step(s) pending`;
    default:
      return 'target is current';
  }
}

/** Counts by outcome, the slowest targets and the failed ones with their message: the fields of the fleet's final line. */
export function fleetSummary(report: FleetReport): Record<string, unknown> {
  const counts: Record<string, number> = {};
  for (const result of report.results) counts[result.outcome] = (counts[result.outcome] ?? 0) + 1;
  const failed = report.results.filter(
    (result) => result.outcome === 'failed' || (report.action === 'check' && result.outcome === 'pending'),
  );
  return {
    targets: report.targets,
    outcomes: counts,
    notStarted: report.notStarted.length,
    ...(report.stopped && { stopped: report.stopped }),
    slowest: [...report.results]
      .sort((a, b) => b.durationMs - a.durationMs)
      .slice(0, SLOWEST)
      .map(({ target, durationMs }) => ({ target, durationMs })),
    failedTargets: failed
      .slice(0, NAMED_FAILURES)
      .map((result) => ({ target: result.target, message: result.error?.message ?? result.outcome })),
    durationMs: report.durationMs,
  };
}

interface FleetStatus {
  targets: number;
  /** How many targets sit at each version, newest first. */
  versions: Array<{ version: number; targets: number }>;
  /** Targets where up has work to do. */
  behind: string[];
  failed: Array<{ target: string; message: string }>;
  notStarted: string[];
}

export function fleetStatus(report: FleetReport): FleetStatus {
  const versions = new Map<number, number>();
  for (const result of report.results) {
    if (result.outcome !== 'failed' && result.versionAfter !== undefined) {
      versions.set(result.versionAfter, (versions.get(result.versionAfter) ?? 0) + 1);
    }
  }
  return {
    targets: report.targets,
    versions: [...versions.entries()].sort((a, b) => b[0] - a[0]).map(([version, targets]) => ({ version, targets })),
    behind: report.results.filter((result) => result.outcome === 'pending').map((result) => result.target),
    failed: report.results
      .filter((result) => result.outcome === 'failed')
      .map((result) => ({ target: result.target, message: result.error?.message ?? 'failed' })),
    notStarted: report.notStarted,
  };
}

/** `fleet status` for people: a row and a bar per version, then the targets behind and the failed ones. */
export function formatFleetStatus(status: FleetStatus): string {
  const most = Math.max(1, ...status.versions.map((row) => row.targets));
  const rows = status.versions.map(
    (row) =>
      `${String(row.version).padStart(7)}  ${String(row.targets).padStart(7)}  ${'#'.repeat(Math.max(1, Math.round((row.targets / most) * BAR_WIDTH)))}`,
  );
  const lines = [`${status.targets} target(s)`, `${'version'.padStart(7)}  ${'targets'.padStart(7)}`, ...rows];
  if (status.behind.length > 0) lines.push(`behind (up has work): ${status.behind.join(', ')}`);
  for (const failure of status.failed) lines.push(`failed: ${failure.target}: ${failure.message}`);
  if (status.notStarted.length > 0) lines.push(`not looked at: ${status.notStarted.join(', ')}`);
  return `${lines.join('\n')}\n`;
}

/** `fleet plan`: each target that has steps, with its plan. */
export function formatFleetPlan(report: FleetReport, withSql: boolean): string {
  const planned = report.results.flatMap(({ target, plan }) => (plan ? [{ target, plan }] : []));
  if (planned.length === 0) return `nothing to do: all ${report.results.length} target(s) are current\n`;
  return planned.map(({ target, plan }) => `${target}:\n${formatPlan(plan, withSql)}`).join('\n');
}
