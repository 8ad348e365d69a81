/** Progress events as log lines: the plan before anything is applied, each step as it starts and ends. */
import type { Logger } from '../log';
import { stepLabel, type MigratorEvent, type PlannedStep, type StepKind } from '../results';

/** What a finished step did, in the words the log has always used for it. */
const APPLIED: Record<StepKind, string> = {
  repair: 'legacy script applied changes',
  column: 'column added',
  table: 'table created',
  migration: 'migration applied',
  index: 'INVALID index rebuilt',
  rollback: 'migration rolled back',
  baseline: 'migrations recorded as applied (baseline)',
  repeatable: 'repeatable file ran (committed with the others)',
};

function stepFields(step: PlannedStep) {
  const { sql: _sql, ...fields } = step;
  return fields;
}

export function logProgress(logger: Logger): (event: MigratorEvent) => void {
  return (event) => {
    switch (event.type) {
      case 'planned': {
        const { legacy, tables, versioned, repeatable } = event.pending;
        if (event.steps.length === 0) logger.debug({ steps: 0 }, 'nothing to do: the schema is current');
        else
          logger.info(
            { steps: event.steps.length, pending: event.pending },
            `${event.steps.length} step(s) pending: legacy ${legacy}, tables ${tables}, versioned ${versioned}, repeatable ${repeatable}`,
          );
        return;
      }
      case 'applying':
        logger.info(
          { ...stepFields(event.step), step: event.index, steps: event.total },
          `applying ${stepLabel(event.step)} (${event.index}/${event.total}): ${event.step.action}`,
        );
        return;
      case 'applied':
        logger.info(
          { ...stepFields(event.step), step: event.index, steps: event.total, durationMs: event.durationMs },
          APPLIED[event.step.kind],
        );
        return;
      case 'failed':
        // The run's final line reports the failure, with what was applied before it.
        return;
    }
  };
}
