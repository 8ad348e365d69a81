/**
 * Phase 1, legacy (a): idempotent repair scripts for databases created by earlier releases, in
 * file-name order. Planning runs them all, one after another, in the planning transaction, so
 * that each sees what the scripts before it would do; the ones that would write something are the
 * steps, each applied in its own transaction. A script that finds nothing to repair writes
 * nothing and is not applied.
 */
import type { SqlFile } from '../source';
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

const repairStep = (file: SqlFile): Step => ({ phase: 'legacy', kind: 'repair', file: file.name, action: 'repair', sql: file.sql, transaction: 'runner' });

export const legacyScripts: Phase = {
  name: 'legacy',

  async plan(context) {
    const steps: Step[] = [];
    let writesBefore: bigint | undefined;
    for (const file of context.files.legacy) {
      const step = repairStep(file);
      // The newline ends a trailing "--" comment of the script.
      const results = await context.dryRun(step, `${file.sql}\n;${WRITES_SQL}`);
      const { wrote, writes } = results[results.length - 1].rows[0] as { wrote: boolean; writes: string | null };
      const changed = writesBefore === undefined ? wrote : BigInt(writes ?? 0) > writesBefore;
      if (wrote) writesBefore = BigInt(writes ?? 0);
      if (changed) steps.push(step);
      else context.logger.debug({ file: file.name }, 'legacy script found nothing to do');
    }
    return { steps };
  },

  async apply(context, step) {
    await context.client.query(step.sql);
  },
};
