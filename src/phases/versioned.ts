/**
 * Phase 3, versioned: numbered migrations applied in order by postgres-migrations. Files are
 * checked against the history first (by id, with clear messages); the library is not loaded at all
 * when nothing is pending, and otherwise applies the pending files one by one on our locked connection.
 */
import type pg from 'pg';
import type { OnAhead } from '../config';
import { InterruptedError, ValidationError } from '../errors';
import { compareWithHistory, createHistoryStore, runsInTransaction, type HistoryStore } from '../history';
import type { AppliedMigration, MigrationReport } from '../results';
import type { MigrationSet, VersionedFile } from '../source';
import { stepError, withLockRetries, type PhaseContext } from './phase';
import { now } from '../clock';

export type VersionedReport = MigrationReport['versioned'];

export interface VersionedPlan {
  pending: VersionedFile[];
  ahead: Array<{ id: number; name: string }>;
  /** Highest applied id (0: none). */
  currentVersion: number;
  lastApplied?: AppliedMigration;
}

/** What the phase would apply: history read and checked against the files, by id. */
export async function planVersionedPhase(
  context: PhaseContext,
  set: Pick<MigrationSet, 'versioned'>,
  onAhead: OnAhead,
  store: HistoryStore = createHistoryStore(context.client, undefined),
): Promise<VersionedPlan> {
  const history = await store.read();
  const { pending, ahead } = compareWithHistory(set.versioned, history);
  const plan: VersionedPlan = {
    pending,
    ahead: ahead.map(({ id, name }) => ({ id, name })),
    currentVersion: Math.max(0, ...history.map((applied) => applied.id)),
    lastApplied: history.filter((applied) => applied.id > 0).at(-1),
  };
  if (ahead.length > 0) {
    const newest = ahead[ahead.length - 1];
    const message = `the database has ${ahead.length} versioned migration(s) newer than these files (up to ${newest.id} ${newest.name}): an older release is running against a newer schema`;
    if (onAhead === 'fail') throw new ValidationError(`${message}; MIGRATOR_ON_AHEAD=fail`);
    context.logger.warn({ ahead: plan.ahead }, message);
  }
  return plan;
}

export async function runVersionedPhase(
  context: PhaseContext,
  set: Pick<MigrationSet, 'versioned' | 'versionedDir'>,
  onAhead: OnAhead,
): Promise<VersionedReport> {
  const { client, logger, signal } = context;
  const store = createHistoryStore(client, set.versionedDir);
  const { pending, ahead, currentVersion } = await planVersionedPhase(context, set, onAhead, store);
  const report: VersionedReport = { applied: [], currentVersion, ahead };
  if (pending.length === 0) return report;

  await store.ensureTable();
  for (const file of pending) {
    InterruptedError.throwIfAborted(signal);
    const started = now();
    try {
      await withLockRetries(context, () => file.fileName, () => store.apply(file));
    } catch (error) {
      const advice = runsInTransaction(file.sql) ? undefined : await noTransactionAdvice(client, error);
      throw stepError(error, context, { phase: 'versioned', file: file.fileName, sql: file.sql }, advice);
    }
    report.applied.push(file.fileName);
    report.currentVersion = file.id;
    logger.info({ file: file.fileName, version: file.id, durationMs: Math.round(now() - started) }, 'migration applied');
  }
  return report;
}

const ACTIVE_SQL_TRANSACTION = '25001';

/** What to do after a migration that ran without a transaction failed: some of it may have happened. */
async function noTransactionAdvice(client: pg.Client, error: unknown): Promise<string> {
  if ((error as { code?: string }).code === ACTIVE_SQL_TRANSACTION) {
    return 'this file runs without a transaction, but PostgreSQL runs a file of several statements as one implicit transaction, so a statement such as CREATE INDEX CONCURRENTLY must be alone in its file: split it';
  }
  const invalid = await client
    .query<{ index: string }>(`SELECT indexrelid::regclass::text AS index FROM pg_index WHERE NOT indisvalid ORDER BY 1`)
    .then((result) => result.rows.map((row) => row.index))
    .catch(() => []);
  return (
    'it ran without a transaction, so statements before the failure stay applied: fix the cause, then run again (the migration must be idempotent)' +
    (invalid.length > 0 ? `; a failed CREATE INDEX CONCURRENTLY left INVALID index(es) ${invalid.join(', ')}: DROP INDEX CONCURRENTLY them first` : '')
  );
}
