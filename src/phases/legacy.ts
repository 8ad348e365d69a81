/**
 * Phase 1, legacy: brings databases created by earlier releases to the declared columns, in two
 * parts that both run every time. (a) Idempotent repair scripts (legacy/), each in its own
 * transaction, in file-name order; a script that found nothing to repair writes nothing.
 * (b) The reconciliation: existing declared tables get the declared columns they lack
 * (declared-columns.ts).
 */
import type pg from 'pg';
import type { MigrationReport } from '../results';
import { InterruptedError } from '../errors';
import { addMissingColumns, planMissingColumns, type MissingColumn } from './declared-columns';
import { stepError, withLockRetries, type PhaseContext } from './phase';
import type { MigrationSet, SqlFile } from '../source';
import { now } from '../clock';
import { positionInFile } from '../db/sql-error';

export type LegacyReport = MigrationReport['legacy'];

export interface LegacyPlan {
  /** Scripts that would change something. */
  scripts: SqlFile[];
  /** Declared columns that would be added to existing tables. */
  columns: MissingColumn[];
}

const BEGIN = 'BEGIN;';

/**
 * Runs a script in its own transaction, ended by COMMIT or (a dry run) ROLLBACK, and tells whether it
 * wrote anything, in one round trip: these scripts run on every start. PostgreSQL runs the statements
 * of one simple query one after another as if sent apart; after an error it skips the rest and leaves
 * the transaction aborted, which is rolled back here before the error propagates.
 */
async function runScript(client: pg.Client, file: SqlFile, end: 'COMMIT' | 'ROLLBACK'): Promise<boolean> {
  let results: pg.QueryResult[];
  try {
    // The newline ends a trailing "--" comment of the script.
    results = (await client.query(`${BEGIN}${file.sql}\n;SELECT txid_current_if_assigned() AS xid;${end}`)) as unknown as pg.QueryResult[];
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw positionInFile(error, BEGIN);
  }
  // A transaction gets an id only when it writes: no id means the script had nothing to repair.
  return results[results.length - 2].rows[0].xid !== null;
}

/**
 * The scripts that would change something now (each runs in a transaction that is rolled back) and
 * the declared columns existing tables lack, both against the database as it is now.
 */
export async function planLegacyPhase(context: PhaseContext, set: Pick<MigrationSet, 'legacy' | 'tables'>): Promise<LegacyPlan> {
  const applicable: SqlFile[] = [];
  for (const file of set.legacy) {
    InterruptedError.throwIfAborted(context.signal);
    try {
      if (await runScript(context.client, file, 'ROLLBACK')) applicable.push(file);
    } catch (error) {
      throw stepError(error, context, { phase: 'legacy', file: file.name, sql: file.sql }, 'nothing was changed (dry run)');
    }
  }
  return { scripts: applicable, columns: await planMissingColumns(context, set.tables) };
}

export async function runLegacyPhase(context: PhaseContext, set: Pick<MigrationSet, 'legacy' | 'tables'>): Promise<LegacyReport> {
  const { client, logger, signal } = context;
  const report: LegacyReport = { ran: [], changed: [], columnsAdded: [] };
  for (const file of set.legacy) {
    InterruptedError.throwIfAborted(signal);
    const started = now();
    let changed: boolean;
    try {
      changed = await withLockRetries(context, () => file.name, () => runScript(client, file, 'COMMIT'));
    } catch (error) {
      throw stepError(error, context, { phase: 'legacy', file: file.name, sql: file.sql });
    }
    const durationMs = Math.round(now() - started);
    report.ran.push(file.name);
    if (changed) {
      report.changed.push(file.name);
      logger.info({ file: file.name, durationMs }, 'legacy script applied changes');
    } else {
      logger.debug({ file: file.name, durationMs }, 'legacy script found nothing to do');
    }
  }
  report.columnsAdded = await addMissingColumns(context, set.tables);
  return report;
}
