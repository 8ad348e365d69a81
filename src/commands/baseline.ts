/**
 * `baseline <id>`: records versioned migrations 1..id as applied without running them, for a
 * database whose schema was built by other means. Refuses when that would contradict the history.
 */
import { ConfigError, ValidationError } from '../errors';
import { withFields } from '../log';
import { readState } from '../run/pipeline';
import { applyStep } from '../run/step-runner';
import { loadMigrationSet } from '../source';
import { withDatabase } from '../db/with-database';
import type { MigratorContext } from './context';

/** Resolves with the file names recorded as applied. */
export async function baseline({ config, logger, signal, emit }: MigratorContext, id: number): Promise<string[]> {
  const files = loadMigrationSet(config.migrationsDir);
  const last = files.versioned.length;
  if (!Number.isInteger(id) || id < 1 || id > last) {
    throw new ConfigError(`baseline needs a versioned migration id from 1 to ${last} (got ${id})`);
  }
  return withDatabase(config, { logger, signal, writes: true }, async ({ client, lockWatcher }) => {
    const state = await readState(client, files);
    if (state.currentVersion >= id) {
      throw new ValidationError(`the history already records migrations up to ${state.currentVersion}: nothing to baseline up to ${id}`);
    }
    const toRecord = state.pending.filter((file) => file.id <= id);
    const context = { client, logger: withFields(logger, { phase: 'versioned' }), signal, lockRetries: config.lockRetries, lockWatcher, emit };
    await state.store.ensureTable();
    await applyStep(
      context,
      {
        phase: 'versioned',
        kind: 'baseline',
        file: toRecord.map((file) => file.fileName).join(', '),
        action: `record versions ${toRecord[0].id} to ${id} as applied`,
        sql: '',
        version: id,
        transaction: 'runner',
      },
      { index: 1, total: 1 },
      () => state.store.record(toRecord),
    );
    return toRecord.map((file) => file.fileName);
  });
}
