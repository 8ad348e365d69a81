/**
 * `up`: read and check the files, then, on one locked connection, read and check the history,
 * plan every phase and apply the plan (src/run/pipeline.ts). Returns a report; otherwise throws a
 * MigratorError subclass carrying what was applied before the failure and the step that failed.
 */
import { now } from '../clock';
import type { MigratorConfig } from '../config';
import { MigratorError } from '../errors';
import { createLogger, type Logger } from '../log';
import type { MigrationReport, MigratorEvent, PartialReport, PhaseName } from '../results';
import { applyRun, describePlan, emptyReport, pendingByPhase, planRun, PHASES, readState, refuseOrWarnAhead } from '../run/pipeline';
import { logProgress } from '../run/progress-log';
import type { RunContext } from '../run/step-runner';
import { loadMigrationSet } from '../source';
import { withDatabase } from '../with-database';
import { runBackup } from './backup';

export interface MigrateOptions {
  /** Receives every event; a child logger per phase is derived from it. Default: JSON to stdout. */
  logger?: Logger;
  /** Aborting cancels the running statement (rolled back), releases the lock and rejects. */
  signal?: AbortSignal;
  /** The phases to run (default: all three). `generate` builds schemas from one phase alone. */
  phases?: PhaseName[];
  /** Progress as it happens (default: log lines). */
  onEvent?: (event: MigratorEvent) => void;
}

export async function migrate(config: MigratorConfig, options: MigrateOptions = {}): Promise<MigrationReport> {
  const logger = options.logger ?? createLogger({ ...config.log, format: 'json' });
  const { signal } = options;
  const emit = options.onEvent ?? logProgress(logger);
  const started = now();
  let report: PartialReport = emptyReport();
  try {
    const files = loadMigrationSet(config.migrationsDir);
    return await withDatabase(config, { logger, signal, writes: true }, async ({ client, lockWatcher }) => {
      const context: RunContext = { client, logger, signal, lockRetries: config.lockRetries, lockWatcher, emit };
      const state = await readState(client, files);
      report = emptyReport(state);
      if (refuseOrWarnAhead(state, config.onAhead, logger)) return { ...report, outcome: 'ahead', durationMs: Math.round(now() - started) };
      const phases = PHASES.filter((phase) => options.phases?.includes(phase.name) ?? true);
      const plan = await planRun(context, state, phases);
      emit({ type: 'planned', steps: describePlan(plan, state).steps, pending: pendingByPhase(plan) });
      if (plan.steps.length > 0 && config.backupCommand) await runBackup(config.backupCommand, config.connection, logger);
      await applyRun(context, state, plan, report);
      return { ...report, outcome: plan.steps.length > 0 ? 'applied' : 'up-to-date', durationMs: Math.round(now() - started) };
    });
  } catch (error) {
    if (error instanceof MigratorError) error.report = { ...report, durationMs: Math.round(now() - started) };
    throw error;
  }
}
