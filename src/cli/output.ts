/** How command results are shown: a short text for people, JSON with --json for machines. */
import { FRESH_INSTALL } from '../commands/converge';
import { describeDifference } from '../drift/session';
import {
  stepLabel,
  stuckBehindPostDeploy,
  whyNotCurrent,
  type AppliedMigration,
  type AppliedRepeatable,
  type ConvergenceReport,
  type DriftReport,
  type LintReport,
  type Plan,
  type PlannedStep,
} from '../results';

export function formatJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export function formatStatus(plan: Plan): string {
  const byPhase = (phase: string) => plan.steps.filter((step) => step.phase === phase && step.column === undefined);
  const line = (phase: string, none: string, some: (count: number) => string) => {
    const steps = byPhase(phase);
    const detail = steps.length === 0 ? none : `${some(steps.length)}: ${steps.map((step) => step.file).join(', ')}`;
    return `${phase.padEnd(10)} ${detail}`;
  };
  const { currentVersion, lastApplied, ahead } = plan.versioned;
  const columns = plan.steps.filter((step) => step.column !== undefined);
  const lines = [
    line('legacy', 'nothing to repair', (n) => `${n} repair(s) to apply`) +
      (columns.length > 0 ? `; ${columns.length} column(s) to add: ${columns.map((step) => step.column).join(', ')}` : ''),
    line('tables', 'all declared tables exist', (n) => `${n} table(s) to create`),
    line('versioned', 'up to date', (n) => `${n} migration(s) pending`),
    `current version ${currentVersion}` +
      (lastApplied
        ? ` (${lastApplied.id} ${lastApplied.name}, applied ${lastApplied.executedAt?.toISOString() ?? 'at an unknown time'})`
        : ''),
  ];
  if (ahead.length > 0) lines.push(`the database is ahead of these files: ${ahead.map((row) => `${row.id} ${row.name}`).join(', ')}`);
  if (plan.waiting.length > 0) lines.push(`waiting for up --post-deploy: ${plan.waiting.map(describeWaiting).join(', ')}`);
  // The words check would exit with.
  lines.push(whyNotCurrent(plan) ?? 'the schema is current');
  return `${lines.join('\n')}\n`;
}

const describeWaiting = (step: PlannedStep) => `${step.file}${step.postDeploy ? ' (post-deploy)' : ''}`;

export function formatPlan(plan: Plan, withSql: boolean): string {
  const show = (step: PlannedStep, index: number) => {
    const head = `${index + 1}. ${stepLabel(step)}: ${step.action}${step.postDeploy ? ' (post-deploy)' : ''}`;
    return withSql ? `${head}\n${step.sql.trimEnd()}\n` : head;
  };
  // Only post-deploy migrations waiting is current, as check says; a pre-deploy one stuck behind them is not.
  const stuck = stuckBehindPostDeploy(plan.waiting) !== undefined;
  const nothing = stuck ? 'nothing a plain up can apply\n' : 'nothing to do: the schema is current\n';
  const steps = plan.steps.length === 0 ? nothing : `${plan.steps.map(show).join('\n')}\n`;
  const waiting = plan.waiting.length === 0 ? '' : `\nwaiting for up --post-deploy:\n${plan.waiting.map(show).join('\n')}\n`;
  return `${steps}${waiting}${stuck ? `\n${whyNotCurrent(plan)}\n` : ''}`;
}

export function formatHistory(rows: AppliedMigration[]): string {
  if (rows.length === 0) return 'no versioned migration has been applied\n';
  const width = Math.max(...rows.map((row) => row.name.length), 4);
  const header = `${'id'.padStart(5)}  ${'name'.padEnd(width)}  ${'hash'.padEnd(40)}  applied at`;
  const body = rows.map(
    (row) => `${String(row.id).padStart(5)}  ${row.name.padEnd(width)}  ${row.hash.padEnd(40)}  ${row.executedAt?.toISOString() ?? ''}`,
  );
  return `${[header, ...body].join('\n')}\n`;
}

export function formatRepeatableHistory(rows: AppliedRepeatable[]): string {
  if (rows.length === 0) return 'no repeatable file has run\n';
  const width = Math.max(...rows.map((row) => row.name.length), 4);
  const header = `${'name'.padEnd(width)}  ${'checksum'.padEnd(12)}  ${'applied at'.padEnd(24)}  objects`;
  const body = rows.map(
    (row) =>
      `${row.name.padEnd(width)}  ${row.checksum.slice(0, 12)}  ${row.appliedAt.toISOString().padEnd(24)}  ${row.objects.join(', ')}`,
  );
  return `${[header, ...body].join('\n')}\n`;
}

export function formatLint(report: LintReport): string {
  if (report.findings.length === 0) return `no problems in ${report.files} file(s)\n`;
  return report.findings
    .map(
      (finding) =>
        `${finding.file}:${finding.line}:${finding.column}  ${finding.rule}${finding.tool === 'squawk' ? ' (squawk)' : ''}  ${finding.message}\n`,
    )
    .join('');
}

export function formatConvergence(report: ConvergenceReport): string {
  return report.results
    .map((result) => {
      const problems = [
        ...result.differences.map((difference) => `  ${difference.object}: ${difference.detail}`),
        ...result.secondRun.map((problem) => `  second up: ${problem}`),
      ];
      if (problems.length > 0) return `${result.database}: does not converge\n${problems.join('\n')}\n`;
      return `${result.database}: ${result.database === FRESH_INSTALL ? '' : 'same schema as the fresh install; '}a second up changed nothing\n`;
    })
    .join('');
}

export function formatDrift(report: DriftReport): string {
  if (!report.baseline) return 'no drift baseline yet: the next migrator up records the schema, and drift compares with it from then on\n';
  if (report.differences.length === 0) return 'no drift: the schema is as the last migrator up recorded it\n';
  return report.differences.map((difference) => `${describeDifference(difference)}\n`).join('');
}
