/**
 * Phase 3, versioned: numbered migrations applied in order by postgres-migrations. Files are
 * checked against the history first (by id, with clear messages); the library is not called at all
 * when nothing is pending, and otherwise applies the pending files on our locked connection.
 */
import type pg from 'pg';
import type { OnAhead } from '../../config';
import { ValidationError } from '../../errors';
import type { MigrationSet, VersionedFile } from '../../source';
import { stepError, withLockRetries, type PhaseContext } from '../phase';
import type { AppliedMigration, MigrationReport } from '../../results';
import { readHistory } from './history';
import { applyPending, LibraryRunError, NO_TRANSACTION_MARKER } from './library';
import { compareWithHistory } from './validate';
import { now } from '../../clock';

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
): Promise<VersionedPlan> {
  const history = await readHistory(context.client);
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
  const { client, logger } = context;
  const { pending, ahead, currentVersion } = await planVersionedPhase(context, set, onAhead);
  const report: VersionedReport = { applied: [], currentVersion, ahead };
  if (pending.length === 0 || set.versionedDir === undefined) return report;

  const byId = new Map<number, VersionedFile>(pending.map((file) => [file.id, file]));
  const startedAt = new Map<number, number>();
  let running: VersionedFile | undefined;
  const hooks = {
    onStart: (id: number) => {
      startedAt.set(id, now());
      running = byId.get(id);
    },
    onFinish: (id: number) => {
      running = undefined;
      const file = byId.get(id);
      if (!file) return;
      report.applied.push(file.fileName);
      report.currentVersion = id;
      const durationMs = Math.round(now() - (startedAt.get(id) ?? now()));
      logger.info({ file: file.fileName, version: id, durationMs }, 'migration applied');
    },
  };
  const versionedDir = set.versionedDir;
  try {
    // After a lock timeout the library is simply called again: it resumes from the recorded history.
    await withLockRetries(
      context,
      () => running?.fileName ?? 'versioned/',
      () => applyPending(client, versionedDir, hooks, context.signal),
      (error) => (error instanceof LibraryRunError ? error.databaseError : error),
    );
  } catch (error) {
    if (!(error instanceof LibraryRunError)) throw error;
    const file = running;
    const databaseError = error.databaseError ?? error;
    const advice = file?.sql.includes(NO_TRANSACTION_MARKER) ? await noTransactionAdvice(client, databaseError) : undefined;
    throw stepError(databaseError, context, { phase: 'versioned', file: file?.fileName ?? '(history)', sql: file?.sql ?? '' }, advice);
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
