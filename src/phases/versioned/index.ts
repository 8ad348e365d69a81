/**
 * Phase 3, versioned: numbered migrations applied in order by postgres-migrations. We validate files
 * against history first (by id, with clear messages), skip the library entirely when nothing is
 * pending, and otherwise let it apply the pending files on our locked connection.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { OnAhead } from '../../config';
import { ValidationError } from '../../errors';
import { stepError, type PhaseContext } from '../phase';
import { readHistory } from './history';
import { applyPending, LibraryRunError, loadVersionedFiles, type VersionedFile } from './library';
import { checkFileNames, compareWithHistory } from './validate';

export interface VersionedReport {
  /** Files applied by this run, in order. */
  applied: string[];
  /** Highest applied id after the run (0: none). */
  currentVersion: number;
  /** Applied migrations this image has no file for (the database is ahead of the image). */
  ahead: Array<{ id: number; name: string }>;
}

export async function runVersionedPhase(context: PhaseContext, onAhead: OnAhead): Promise<VersionedReport> {
  const { client, logger, signal } = context;
  const dir = path.join(context.migrationsDir, 'versioned');
  const hasDir = existsSync(dir);
  if (hasDir) await checkFileNames(dir);
  const history = await readHistory(client);
  const files = hasDir ? await loadFiles(dir) : [];
  const { pending, ahead } = compareWithHistory(files, history);

  const report: VersionedReport = {
    applied: [],
    currentVersion: Math.max(0, ...history.map((applied) => applied.id)),
    ahead: ahead.map(({ id, name }) => ({ id, name })),
  };
  if (ahead.length > 0) {
    const message = `the database has ${ahead.length} versioned migration(s) newer than these files (up to ${ahead[ahead.length - 1].id} ${ahead[ahead.length - 1].name}): an older release is running against a newer schema`;
    if (onAhead === 'fail') throw new ValidationError(`${message}; MIGRATOR_ON_AHEAD=fail`);
    logger.warn({ ahead: report.ahead }, message);
  }
  if (pending.length === 0) return report;

  const byId = new Map<number, VersionedFile>(pending.map((file) => [file.id, file]));
  const startedAt = new Map<number, number>();
  try {
    await applyPending(client, dir, {
      onStart: (id) => startedAt.set(id, performance.now()),
      onFinish: (id) => {
        const file = byId.get(id);
        if (!file || id === 0) return;
        report.applied.push(file.fileName);
        report.currentVersion = id;
        const durationMs = Math.round(performance.now() - (startedAt.get(id) ?? performance.now()));
        logger.info({ file: file.fileName, version: id, durationMs }, 'migration applied');
      },
    }, signal);
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

async function loadFiles(dir: string): Promise<VersionedFile[]> {
  try {
    return await loadVersionedFiles(dir);
  } catch (error) {
    // checkFileNames caught naming and ordering problems; what remains is e.g. a bad .js migration.
    throw new ValidationError(`versioned/: ${(error as Error).message}`);
  }
}
