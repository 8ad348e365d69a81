/**
 * `rollback`: runs down files (versioned/down/<same file name>) newest first, each through the
 * step runner in a transaction together with the removal of its history row, so that
 * postgres-migrations sees it as pending again; the last one records the schema for drift detection
 * (drift/), as `up` does. Refuses, changing nothing, when any down file it
 * would need is missing or does not pass the checks every migration file passes (a regular file, or
 * a link to one inside the migrations folder, opened without waiting).
 */
import path from 'node:path';
import { ConfigError, ValidationError } from '../errors';
import { withFields } from '../log';
import type { Step } from '../phases/phase';
import { readState } from '../run/pipeline';
import { applyStep } from '../run/step-runner';
import { loadMigrationSet } from '../source';
import { refuseInTransaction, refuseNoStatement } from '../source/file-checks';
import { isRegularFileInFolder } from '../source/folder-entries';
import { decodeSqlText, readBytes } from '../source/sql-text';
import { withDatabase } from '../db/with-database';
import { driftScope, recordSql } from '../drift/session';
import type { MigratorContext } from './context';
import { writingRunContext } from './writing-context';
import { DOWN_FOLDER } from './new-migration';

export type RollbackTarget = { steps: number } | { to: number };

/** Resolves with the file names rolled back, newest first. */
export async function rollback(migrator: MigratorContext, target: RollbackTarget): Promise<string[]> {
  const { config, logger, signal } = migrator;
  const files = loadMigrationSet(config.migrationsDir, { logger });
  if ('steps' in target && (!Number.isInteger(target.steps) || target.steps < 1))
    throw new ConfigError('--steps needs a whole number of at least 1');
  if ('to' in target && (!Number.isInteger(target.to) || target.to < 0)) throw new ConfigError('--to needs a version id, 0 or more');

  return withDatabase(config, { logger, signal, writes: true }, async (session) => {
    const { client } = session;
    const state = await readState(client, files);
    const pending = new Set(state.pending);
    const applied = files.versioned.filter((file) => !pending.has(file)).map((file) => file.id);
    const appliedNewestFirst = [...state.ahead.map((row) => row.id), ...applied].sort((a, b) => b - a);
    const ids = 'steps' in target ? appliedNewestFirst.slice(0, target.steps) : appliedNewestFirst.filter((id) => id > target.to);
    const unknown = state.ahead.filter((row) => ids.includes(row.id));
    if (unknown.length > 0) {
      throw new ValidationError(
        `cannot roll back ${unknown.map((row) => `${row.id} ${row.name}`).join(', ')}: these files are not in this release`,
      );
    }
    const byId = new Map(files.versioned.map((file) => [file.id, file]));
    const downDir = path.join(files.versionedDir!, DOWN_FOLDER);
    // Checked as the phase folders' files are: a FIFO is never opened, a link leaving the folder never read.
    const downs = ids.map((id) => {
      const file = byId.get(id)!;
      const label = `versioned/${DOWN_FOLDER}/${file.fileName}`;
      const exists = isRegularFileInFolder(config.migrationsDir, downDir, file.fileName, label);
      return { file, path: path.join(downDir, file.fileName), label, exists };
    });
    const missing = downs.filter((down) => !down.exists);
    if (missing.length > 0) {
      throw new ValidationError(
        `no down file for ${missing.map((down) => down.file.fileName).join(', ')} (expected ${missing.map((down) => path.relative(config.migrationsDir, down.path)).join(', ')}): nothing was rolled back`,
      );
    }
    // Every down file is read and checked before the first one runs.
    const steps = downs.map(({ file, path: downPath, label }): Step & { id: number } => {
      const sql = decodeSqlText(label, readBytes(label, downPath));
      refuseNoStatement(label, sql);
      refuseInTransaction(label, sql);
      return {
        phase: 'versioned',
        kind: 'rollback',
        file: `${DOWN_FOLDER}/${file.fileName}`,
        action: `roll back version ${file.id}`,
        sql,
        version: file.id,
        transaction: 'runner',
        id: file.id,
      };
    });

    const context = writingRunContext(migrator, session, withFields(logger, { phase: 'versioned' }));
    // The schema as the down files leave it is the migrator's doing, not drift: recorded with the last one, as `up` does.
    const drift = driftScope(client, config.ignoreTables);
    for (const [index, step] of steps.entries()) {
      const last = index === steps.length - 1 && drift ? recordSql(drift) : undefined;
      await applyStep(
        context,
        step,
        { index: index + 1, total: steps.length },
        async () => {
          await client.query(step.sql);
          await state.store.remove(step.id);
        },
        last,
      );
    }
    return downs.map((down) => down.file.fileName);
  });
}
