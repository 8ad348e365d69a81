/**
 * Phase 3, versioned: numbered migrations applied in order by postgres-migrations, through the
 * history store. The files were checked against the history when the run read it (by id, with
 * clear messages); the pending ones are the steps. They are not dry-run: a versioned file may
 * hold a long data migration, or statements that refuse a transaction.
 */
import { runsInTransaction, type VersionedFile } from '../history';
import type { Phase, Step } from './phase';

type VersionedStep = Step & { version: number; migration: VersionedFile };

export const versioned: Phase<VersionedStep> = {
  name: 'versioned',

  async plan(context) {
    return {
      steps: context.history.pending.map((file): VersionedStep => {
        const inTransaction = runsInTransaction(file.sql);
        return {
          phase: 'versioned',
          kind: 'migration',
          file: file.fileName,
          action: `apply version ${file.id}`,
          sql: file.sql,
          version: file.id,
          migration: file,
          transaction: inTransaction ? 'library' : 'none',
          ...(inTransaction ? {} : { withoutTransaction: true as const }),
        };
      }),
    };
  },

  async apply(context, step) {
    await context.history.store.apply(step.migration);
  },
};
