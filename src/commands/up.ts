/**
 * `up`: read and check the files, then, on one locked connection, read and check the history,
 * look for drift (MIGRATOR_ON_DRIFT), plan every phase and apply the plan (src/run/pipeline.ts),
 * recording the schema with the last step (drift/), or alone when nothing had recorded it yet. Resolves with a report when the
 * schema is then current; otherwise rejects with a MigratorError carrying what was applied before
 * the failure and the step that failed, or, when a plain up applied all it may and a pre-deploy
 * migration still waits behind a post-deploy one, with SchemaNotCurrentError (the exit 3 of check).
 */
import { now } from '../clock';
import type pg from 'pg';
import { ensureMigrationLockHeld, LOCK_RELEASED_SQLSTATE, lockReleasedWhilePlanning } from '../db/lock';
import { sqlStateOf } from '../db/query-failure';
import { MigratorError, SchemaNotCurrentError } from '../errors';
import { withFields, type Logger } from '../log';
import { whyNotCurrent, type MigrationReport, type PartialReport, type PhaseName, type Plan, type PlannedStep } from '../results';
import {
  applyRun,
  describePlan,
  emptyReport,
  pendingByPhase,
  planRun,
  PHASES,
  readState,
  refuseAheadIfAsked,
  settleAhead,
} from '../run/pipeline';
import { loadMigrationSet } from '../source';
import { driftScope, guardAgainstDrift, mayCreateRecord, record, recordSql } from '../drift/session';
import { withDatabase } from '../db/with-database';
import { runBackup } from './backup';
import type { MigratorContext } from './context';
import { writingRunContext } from './writing-context';

export interface UpOptions {
  /** The phases to run (default: all three). `generate` builds schemas from one phase alone. */
  phases?: PhaseName[];
  /** Apply post-deploy migrations too (after the rollout); a plain up stops before the first. */
  postDeploy?: boolean;
}

export async function up(migrator: MigratorContext, options: UpOptions = {}): Promise<MigrationReport> {
  const { config, logger, signal, emit } = migrator;
  const started = now();
  let report: PartialReport = emptyReport();
  try {
    const files = migrator.files ?? loadMigrationSet(config.migrationsDir, { logger });
    return await withDatabase(config, { logger, signal, writes: true, kept: migrator.connection }, async (session) => {
      const { client } = session;
      const context = writingRunContext(migrator, session, logger);
      const state = await readState(client, files);
      report = emptyReport(state);
      refuseAheadIfAsked(state, config.onAhead);
      const drift = driftScope(client, config.ignoreTables);
      const baseline = drift && (await guardAgainstDrift(drift, config.onDrift, logger));
      const recording = drift && (baseline || (await mayCreateRecord(drift, logger))) ? drift : undefined;
      const phases = PHASES.filter((phase) => options.phases?.includes(phase.name) ?? true);
      const planned = await planRun(context, state, { phases, postDeploy: options.postDeploy });
      const plan = settleAhead(state, planned, withFields(logger, { phase: 'versioned' }));
      if (state.ahead.length > 0) return { ...report, outcome: 'ahead', durationMs: Math.round(now() - started) };
      if (plan.steps.length > 0) await refuseLockReleasedWhilePlanning(client);
      const described = describePlan(plan, state);
      emit({ type: 'planned', steps: described.steps, pending: pendingByPhase(plan) });
      if (plan.steps.length > 0 && config.backupCommand) await runBackup(config.backupCommand, config.connection, logger, config.schema);
      await applyRun(context, state, plan, report, { lastCommit: recording && plan.steps.length > 0 ? recordSql(recording) : undefined });
      if (recording && !baseline) {
        if (plan.steps.length === 0) await record(recording);
        logger.info(
          { table: recording.table },
          'no drift baseline yet: recorded one (migrator drift compares the schema with it from now on)',
        );
      }
      report.versioned.waiting = described.waiting.map((step) => step.file);
      if (described.waiting.length > 0) logWaiting(withFields(logger, { phase: 'versioned' }), described.waiting);
      // What a plain up cannot apply may still leave the schema short of what the release needs.
      const left: Plan = {
        steps: [],
        waiting: described.waiting,
        versioned: {
          ...described.versioned,
          currentVersion: report.versioned.currentVersion,
          lastApplied: plan.steps.length === 0 ? described.versioned.lastApplied : undefined,
        },
      };
      const notCurrent = whyNotCurrent(left);
      if (notCurrent !== undefined) throw new SchemaNotCurrentError(notCurrent, left);
      return { ...report, outcome: plan.steps.length > 0 ? 'applied' : 'up-to-date', durationMs: Math.round(now() - started) };
    });
  } catch (error) {
    if (error instanceof MigratorError) error.report = { ...report, durationMs: Math.round(now() - started) };
    throw error;
  }
}

/**
 * A script dry-run while planning may have released the migration lock (advisory locks outlive the
 * rolled-back planning transaction): found before any step runs, with nothing changed.
 */
async function refuseLockReleasedWhilePlanning(client: pg.Client): Promise<void> {
  try {
    await ensureMigrationLockHeld(client);
  } catch (error) {
    if (sqlStateOf(error) !== LOCK_RELEASED_SQLSTATE) throw error;
    throw lockReleasedWhilePlanning();
  }
}

/** After a plain up: what waits for `up --post-deploy`. */
function logWaiting(logger: Logger, waiting: PlannedStep[]): void {
  const files = waiting.map((step) => step.file);
  logger.info({ waiting: files }, `${waiting.length} migration(s) wait for migrator up --post-deploy: ${files.join(', ')}`);
}
