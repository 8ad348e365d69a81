/**
 * Phase 1, legacy (a): idempotent repair scripts for databases created by earlier releases, in
 * file-name order. Planning runs them all, one after another, in the planning transaction, so
 * that each sees what the scripts before it would do; the ones that would write something are the
 * steps, each applied in its own transaction. A script that finds nothing to repair writes
 * nothing and is not applied.
 */
import type pg from 'pg';
import { runFileThenReset } from '../db/script';
import { MigrationFailedError } from '../errors';
import type { SqlFile } from '../source';
import { upRecorded } from './declared-columns';
import type { Phase, Step } from './phase';

/**
 * Whether the planning transaction has written anything so far, and how much. A transaction gets
 * an id only once it writes; after that, the counts of rows and catalog entries it changed tell
 * whether the next script wrote more. The counts are summed only then, since doing so costs a
 * scan of every relation's statistics.
 */
const WRITES_SQL = `SELECT txid_current_if_assigned() IS NOT NULL AS wrote,
       CASE WHEN txid_current_if_assigned() IS NOT NULL
            THEN (SELECT sum(n_tup_ins + n_tup_upd + n_tup_del) FROM pg_stat_xact_all_tables) END::text AS writes`;

const repairStep = (file: SqlFile): Step => ({
  phase: 'legacy',
  kind: 'repair',
  file: file.name,
  action: 'repair',
  sql: file.sql,
  transaction: 'runner',
});

/** A dry run that failed because this role may not write (an app's gate), not because the script is wrong. */
const INSUFFICIENT_PRIVILEGE = '42501';
const READ_ONLY_TRANSACTION = '25006';
const mayNotWrite = (error: unknown) =>
  error instanceof MigrationFailedError && [INSUFFICIENT_PRIVILEGE, READ_ONLY_TRANSACTION].includes(error.failure.pgCode ?? '');

export const legacyScripts: Phase = {
  name: 'legacy',

  async plan(context) {
    const steps: Step[] = [];
    /** Scripts this role may not dry-run: whether they have work is known only to a role that may write. */
    const unknown: Step[] = [];
    let writesBefore: bigint | undefined;
    for (const file of context.files.legacy) {
      const step = repairStep(file);
      // A role that may not change the schema runs each script under a savepoint, so that one it
      // may not run does not end the planning.
      if (!context.dryRuns) await context.dryRun(step, 'SAVEPOINT legacy_script');
      let result: pg.QueryResult;
      try {
        result = await context.dryRunScript(step, file.sql, WRITES_SQL);
      } catch (error) {
        if (context.dryRuns || !mayNotWrite(error)) throw error;
        await context.client.query('ROLLBACK TO SAVEPOINT legacy_script');
        unknown.push(step);
        continue;
      }
      const { wrote, writes } = result.rows[0] as { wrote: boolean; writes: string | null };
      const changed = writesBefore === undefined ? wrote : BigInt(writes ?? 0) > writesBefore;
      if (wrote) writesBefore = BigInt(writes ?? 0);
      if (changed) steps.push(step);
      else context.logger.debug({ file: file.name }, 'legacy script found nothing to do');
    }
    if (unknown.length > 0 && !(await upRecorded(context.client, context.files))) {
      steps.push(
        ...unknown.map((step) => ({
          ...step,
          action: "repair (this role may not run it, and up has not run this release's legacy scripts yet)",
        })),
      );
    }
    return { steps };
  },

  async apply(context, step) {
    await runFileThenReset(context.client, step.sql);
  },
};
