/**
 * Phase 1, legacy: idempotent repair scripts for databases created by releases older than the
 * versioned history. Every script runs on every run, each in its own transaction, in file-name
 * order; a script that found nothing to repair writes nothing.
 */
import type pg from 'pg';
import { inRolledBackTransaction, inTransaction } from '../db/transaction';
import { InterruptedError } from '../errors';
import { stepError, withLockRetries, type PhaseContext } from './phase';
import type { SqlFile } from '../source';

export interface LegacyReport {
  /** Scripts that ran. */
  ran: string[];
  /** Scripts that changed something (their transaction wrote at least one row or catalog entry). */
  changed: string[];
}

/** Runs a script in the current transaction and tells whether it wrote anything. */
async function runScript(client: pg.Client, file: SqlFile): Promise<boolean> {
  await client.query(file.sql);
  // A transaction gets an id only when it writes: no id means the script had nothing to repair.
  const { rows } = await client.query<{ xid: string | null }>('SELECT txid_current_if_assigned() AS xid');
  return rows[0].xid !== null;
}

/** The scripts that would change something now: each runs in a transaction that is rolled back. */
export async function planLegacyPhase(context: PhaseContext, files: SqlFile[]): Promise<SqlFile[]> {
  const applicable: SqlFile[] = [];
  for (const file of files) {
    InterruptedError.throwIfAborted(context.signal);
    try {
      if (await inRolledBackTransaction(context.client, () => runScript(context.client, file))) applicable.push(file);
    } catch (error) {
      throw stepError(error, context, { phase: 'legacy', file: file.name, sql: file.sql }, 'nothing was changed (dry run)');
    }
  }
  return applicable;
}

export async function runLegacyPhase(context: PhaseContext, files: SqlFile[]): Promise<LegacyReport> {
  const { client, logger, signal } = context;
  const report: LegacyReport = { ran: [], changed: [] };
  for (const file of files) {
    InterruptedError.throwIfAborted(signal);
    const started = performance.now();
    let changed: boolean;
    try {
      changed = await withLockRetries(context, () => file.name, () =>
        inTransaction(client, () => runScript(client, file)),
      );
    } catch (error) {
      throw stepError(error, context, { phase: 'legacy', file: file.name, sql: file.sql });
    }
    const durationMs = Math.round(performance.now() - started);
    report.ran.push(file.name);
    if (changed) {
      report.changed.push(file.name);
      logger.info({ file: file.name, durationMs }, 'legacy script applied changes');
    } else {
      logger.debug({ file: file.name, durationMs }, 'legacy script found nothing to do');
    }
  }
  return report;
}
