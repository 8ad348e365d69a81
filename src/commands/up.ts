/**
 * `up`: read and check the files, then, on one locked connection, read and check the history,
 * plan every phase and apply the plan (src/run/pipeline.ts). Resolves with a report; otherwise
 * rejects with a MigratorError carrying what was applied before the failure and the step that failed.
 */
import { now } from '../clock';
import { MigratorError } from '../errors';
import { withFields } from '../log';
import type { MigrationReport, PartialReport, PhaseName } from '../results';
import { applyRun, describePlan, emptyReport, pendingByPhase, planRun, PHASES, readState, refuseOrWarnAhead } from '../run/pipeline';
import type { RunContext } from '../run/step-runner';
import { loadMigrationSet } from '../source';
import { withDatabase } from '../db/with-database';
import { runBackup } from './backup';
import type { MigratorContext } from './context';

export interface UpOptions {
  /** The phases to run (default: all three). `generate` builds schemas from one phase alone. */
  phases?: PhaseName[];
}

export async function up({ config, logger, signal, emit }: MigratorContext, options: UpOptions = {}): Promise<MigrationReport> {
  const started = now();
  let report: PartialReport = emptyReport();
  try {
    const files = loadMigrationSet(config.migrationsDir);
    return await withDatabase(config, { logger, signal, writes: true }, async ({ client, lockWatcher }) => {
      const context: RunContext = { client, logger, signal, lockRetries: config.lockRetries, lockWatcher, emit };
      const state = await readState(client, files);
      report = emptyReport(state);
      if (refuseOrWarnAhead(state, config.onAhead, withFields(logger, { phase: 'versioned' }))) {
        return { ...report, outcome: 'ahead', durationMs: Math.round(now() - started) };
      }
      const phases = PHASES.filter((phase) => options.phases?.includes(phase.name) ?? true);
      const plan = await planRun(context, state, { phases });
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
