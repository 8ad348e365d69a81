/**
 * A run in four stages: read → validate → plan → apply. Files are read and checked before
 * connecting (source/); then the history is read and checked against them; then every phase
 * plans its steps inside one planning transaction that is rolled back; only then are the steps
 * applied, one at a time, through the step runner. Every failure found before the apply stage
 * leaves the database exactly as it was. A database ahead of these files (an older image) is
 * never written to and runs none of this image's scripts: only its declared tables are looked up
 * in the catalog, to find work the files have that it lacks (settleAhead).
 */
import type pg from 'pg';
import type { OnAhead } from '../config';
import { ValidationError } from '../errors';
import { createHistoryStore } from '../history';
import { withFields, type Logger } from '../log';
import { declaredColumns } from '../phases/declared-columns';
import { legacyScripts } from '../phases/legacy';
import { repeatable } from '../phases/repeatable';
import type { HistoryState, Phase, PhaseContext, PhasePlan, Step } from '../phases/phase';
import { tables } from '../phases/tables';
import { versioned } from '../phases/versioned';
import { stepLabel, type AppliedMigration, type MigrationReport, type PartialReport, type PhaseName, type Plan } from '../results';
import type { MigrationSet } from '../source';
import { checkPendingVersioned } from '../source/file-checks';
import { inTransaction } from '../db/transaction';
import { applyStep, applyTogether, plannedStep, startPlanning, withLockRetries, type RunContext } from './step-runner';

/** The phases in the order they run; the legacy phase has two parts, the scripts, then the declared columns. */
export const PHASES: ReadonlyArray<Phase> = [
  legacyScripts,
  declaredColumns as Phase,
  tables as Phase,
  versioned as Phase,
  repeatable as Phase,
];

export interface RunState extends HistoryState {
  files: MigrationSet;
  /** Applied migrations this image has no file for: the database is ahead of the image. */
  ahead: Array<{ id: number; name: string }>;
  lastApplied?: AppliedMigration;
}

/** Reads the history and checks it against the files: edited, missing or unknown migrations. */
export async function readState(client: pg.Client, files: MigrationSet): Promise<RunState> {
  const store = createHistoryStore(client, files.versionedDir);
  const { pending, ahead, currentVersion, lastApplied } = await store.check(files.versioned);
  // Only pending files: one already applied stays valid, whatever it holds.
  for (const file of pending) checkPendingVersioned(file);
  return {
    files,
    store,
    pending,
    ahead: ahead.map(({ id, name }) => ({ id, name })),
    currentVersion,
    lastApplied,
  };
}

/** With MIGRATOR_ON_AHEAD=fail, a database with migrations these files do not have is refused before anything is planned. */
export function refuseAheadIfAsked(state: RunState, onAhead: OnAhead): void {
  if (state.ahead.length > 0 && onAhead === 'fail') {
    throw new ValidationError(`${aheadText(state)}: an older release is running against a newer schema; MIGRATOR_ON_AHEAD=fail`);
  }
}

/**
 * A database ahead of these files (a rollback deploy, an old replica) is never written to: its
 * plan comes back empty, with a warning. But files that also have work the database lacks (a
 * declared table missing from the catalog: planRun plans nothing else for it) are not an older
 * release: the last applied versioned file was lost while new work came, and the two disagree
 * (ValidationError naming both).
 */
export function settleAhead(state: RunState, plan: RunPlan, logger: Logger): RunPlan {
  if (state.ahead.length === 0) return plan;
  const missing = plan.steps;
  if (missing.length > 0) {
    const work = missing.map(({ step }) => `${stepLabel(step)} (${step.action})`).join(', ');
    throw new ValidationError(
      `${aheadText(state)}: ${state.ahead.map((row) => `${row.id} ${row.name}`).join(', ')}; yet these files have work it lacks: ${work}. Files and history disagree (a versioned file deleted ` +
        'while new work arrived?): restore the missing versioned file(s); nothing was applied',
    );
  }
  logger.warn({ ahead: state.ahead }, `${aheadText(state)}: an older release is running against a newer schema, so nothing is changed`);
  return { steps: [], waiting: [], finishers: [] };
}

function aheadText(state: RunState): string {
  const newest = state.ahead[state.ahead.length - 1];
  return `the database has ${state.ahead.length} versioned migration(s) newer than these files (up to ${newest.id} ${newest.name})`;
}

interface PlannedRunStep {
  phase: Phase;
  step: Step;
}

export interface RunPlan {
  steps: PlannedRunStep[];
  /** Left for `up --post-deploy`. */
  waiting: Step[];
  finishers: Array<NonNullable<PhasePlan<Step>['finish']>>;
}

function phaseContext(context: RunContext, state: RunState, phase: PhaseName, beforeCommit?: string): PhaseContext {
  return {
    client: context.client,
    logger: withFields(context.logger, { phase }),
    signal: context.signal,
    files: state.files,
    history: state,
    ...(beforeCommit !== undefined && { beforeCommit }),
  };
}

export interface PlanOptions {
  phases?: ReadonlyArray<Phase>;
  /** Whether steps are dry-run (default true): false for a role that may not change the schema. */
  dryRuns?: boolean;
  /** Whether post-deploy migrations are planned too (default false: only `up --post-deploy` applies them). */
  postDeploy?: boolean;
}

/** Every phase's steps, planned in one transaction that is rolled back (for a database ahead of the files too: see settleAhead). */
export async function planRun(context: RunContext, state: RunState, options: PlanOptions = {}): Promise<RunPlan> {
  // An older image's scripts were written for an older schema: against a newer one, a dry run of
  // them could fail where nothing is to be done. Only a declared table missing from the catalog
  // tells files that lost a migration while gaining work apart from an older release.
  const {
    phases = PHASES,
    dryRuns = true,
    postDeploy = false,
  } = state.ahead.length > 0
    ? { ...options, phases: (options.phases ?? PHASES).filter((phase) => phase === tables), dryRuns: false }
    : options;
  // A lock timeout rolls the planning transaction back; planning starts again from the first phase.
  return withLockRetries(context, { stage: 'planning' }, async () => {
    const planning = startPlanning(context);
    const plan: RunPlan = { steps: [], waiting: [], finishers: [] };
    try {
      for (const phase of phases) {
        const {
          steps,
          waiting = [],
          finish,
        } = await phase.plan({
          ...phaseContext(context, state, phase.name),
          dryRun: planning.dryRun,
          dryRunScript: planning.dryRunScript,
          dryRuns,
          postDeploy,
          stepsBefore: plan.steps.map(({ step }) => step),
        });
        plan.steps.push(...steps.map((step) => ({ phase, step })));
        plan.waiting.push(...waiting);
        if (finish) plan.finishers.push(finish);
      }
    } catch (error) {
      await planning.end().catch(() => undefined);
      throw error;
    }
    await planning.end();
    return plan;
  });
}

/** The plan as commands show it. */
export function describePlan(plan: RunPlan, state: RunState): Plan {
  const { lastApplied } = state;
  return {
    steps: plan.steps.map(({ step }) => plannedStep(step)),
    waiting: plan.waiting.map(plannedStep),
    versioned: {
      currentVersion: state.currentVersion,
      lastApplied: lastApplied && { id: lastApplied.id, name: lastApplied.name, executedAt: lastApplied.executedAt },
      ahead: state.ahead,
    },
  };
}

/** Steps per phase, for the line that announces the plan. */
export function pendingByPhase(plan: RunPlan): Record<PhaseName, number> {
  const pending: Record<PhaseName, number> = { legacy: 0, tables: 0, versioned: 0, repeatable: 0 };
  for (const { step } of plan.steps) pending[step.phase]++;
  return pending;
}

/** A report of nothing done yet, as `up` starts from. */
export function emptyReport(state?: Pick<RunState, 'currentVersion' | 'ahead'>): PartialReport {
  return {
    legacy: { changed: [], columnsAdded: [] },
    tables: { created: [] },
    versioned: { applied: [], waiting: [], currentVersion: state?.currentVersion ?? 0, ahead: state?.ahead ?? [] },
    repeatable: { applied: [] },
    durationMs: 0,
  };
}

function recordApplied(report: PartialReport, step: Step): void {
  switch (step.kind) {
    case 'repair':
      report.legacy.changed.push(step.file);
      return;
    case 'column':
      report.legacy.columnsAdded.push(step.column ?? step.file);
      return;
    case 'table':
      report.tables.created.push(step.table ?? step.file);
      return;
    case 'migration':
      report.versioned.applied.push(step.file);
      report.versioned.currentVersion = step.version ?? report.versioned.currentVersion;
      return;
    case 'repeatable':
      report.repeatable.applied.push(step.file);
  }
}

export interface ApplyOptions {
  /**
   * SQL of the migrator's own (the schema's record, drift/) run in the transaction of the last
   * step, right before it commits, so that the two commit together or not at all. When that step
   * runs without a transaction, it runs after it, in a transaction of its own on the same session.
   */
  lastCommit?: string;
}

/**
 * Applies the plan's steps in order through the step runner, then what the phases keep for later
 * runs. `report` grows with every step applied, so that after a failure it says what was
 * committed and which step failed.
 */
export async function applyRun(
  context: RunContext,
  state: RunState,
  plan: RunPlan,
  report: PartialReport,
  options: ApplyOptions = {},
): Promise<Pick<MigrationReport, 'legacy' | 'tables' | 'versioned' | 'repeatable'>> {
  const total = plan.steps.length;
  for (let index = 0; index < total; index++) {
    const { phase, step } = plan.steps[index];
    if (step.transaction === 'phase') {
      index = (await applyPhaseTogether(context, state, plan, index, report, options.lastCommit)) - 1;
      continue;
    }
    const last = index === total - 1 ? options.lastCommit : undefined;
    try {
      await applyStep(
        context,
        step,
        { index: index + 1, total },
        () => phase.apply(phaseContext(context, state, phase.name, step.transaction === 'library' ? last : undefined), step),
        step.transaction === 'runner' ? last : undefined,
      );
    } catch (error) {
      report.failedStep = plannedStep(step);
      throw error;
    }
    recordApplied(report, step);
    if (last && step.transaction === 'none') await inTransaction(context.client, () => context.client.query(last));
  }
  for (const finish of plan.finishers) await finish(context.client);
  return report;
}

/** Applies the run of a phase's steps that share one transaction, from plan.steps[first]; resolves with the index after them. */
async function applyPhaseTogether(
  context: RunContext,
  state: RunState,
  plan: RunPlan,
  first: number,
  report: PartialReport,
  lastCommit?: string,
): Promise<number> {
  const { phase } = plan.steps[first];
  let end = first;
  while (end < plan.steps.length && plan.steps[end].phase === phase && plan.steps[end].step.transaction === 'phase') end++;
  const group = plan.steps.slice(first, end);
  let current = group[0].step;
  try {
    await applyTogether(
      context,
      group.map(({ step }, offset) => ({
        step,
        position: { index: first + offset + 1, total: plan.steps.length },
        work: () => {
          current = step;
          return phase.apply(phaseContext(context, state, phase.name), step);
        },
      })),
      end === plan.steps.length ? lastCommit : undefined,
    );
  } catch (error) {
    report.failedStep = plannedStep(current);
    throw error;
  }
  for (const { step } of group) recordApplied(report, step);
  return end;
}
