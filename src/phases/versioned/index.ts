/**
 * Phase 3, versioned: numbered migrations applied in order by postgres-migrations. Files are
 * checked against the history first (by id, with clear messages); the library is not called at all
 * when nothing is pending, and otherwise applies the pending files on our locked connection.
 */
import type { OnAhead } from '../../config';
import { ValidationError } from '../../errors';
import type { MigrationSet, VersionedFile } from '../../source';
import { stepError, type PhaseContext } from '../phase';
import { readHistory } from './history';
import { applyPending, LibraryRunError } from './library';
import { compareWithHistory } from './validate';

export interface VersionedReport {
  /** Files applied by this run, in order. */
  applied: string[];
  /** Highest applied id after the run (0: none). */
  currentVersion: number;
  /** Applied migrations this image has no file for (the database is ahead of the image). */
  ahead: Array<{ id: number; name: string }>;
}

export async function runVersionedPhase(
  context: PhaseContext,
  set: Pick<MigrationSet, 'versioned' | 'versionedDir'>,
  onAhead: OnAhead,
): Promise<VersionedReport> {
  const { client, logger, signal } = context;
  const history = await readHistory(client);
  const { pending, ahead } = compareWithHistory(set.versioned, history);

  const report: VersionedReport = {
    applied: [],
    currentVersion: Math.max(0, ...history.map((applied) => applied.id)),
    ahead: ahead.map(({ id, name }) => ({ id, name })),
  };
  if (ahead.length > 0) {
    const newest = ahead[ahead.length - 1];
    const message = `the database has ${ahead.length} versioned migration(s) newer than these files (up to ${newest.id} ${newest.name}): an older release is running against a newer schema`;
    if (onAhead === 'fail') throw new ValidationError(`${message}; MIGRATOR_ON_AHEAD=fail`);
    logger.warn({ ahead: report.ahead }, message);
  }
  if (pending.length === 0 || set.versionedDir === undefined) return report;

  const byId = new Map<number, VersionedFile>(pending.map((file) => [file.id, file]));
  const startedAt = new Map<number, number>();
  try {
    await applyPending(
      client,
      set.versionedDir,
      {
        onStart: (id) => startedAt.set(id, performance.now()),
        onFinish: (id) => {
          const file = byId.get(id);
          if (!file) return;
          report.applied.push(file.fileName);
          report.currentVersion = id;
          const durationMs = Math.round(performance.now() - (startedAt.get(id) ?? performance.now()));
          logger.info({ file: file.fileName, version: id, durationMs }, 'migration applied');
        },
      },
      signal,
    );
  } catch (error) {
    if (!(error instanceof LibraryRunError)) throw error;
    const file = error.migrationId === undefined ? undefined : byId.get(error.migrationId);
    throw stepError(error.databaseError ?? error, {
      phase: 'versioned',
      file: file?.fileName ?? '(history)',
      sql: file?.sql ?? '',
      signal,
    });
  }
  return report;
}
