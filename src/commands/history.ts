/** `history` and `verify`: what the database records, and whether the files still agree with it. */
import { compareWithHistory, createHistoryStore } from '../history';
import type { AppliedMigration, AppliedRepeatable, VerifyReport } from '../results';
import { recordedRepeatable, repeatableChecksum } from '../phases/repeatable';
import { loadMigrationSet } from '../source';
import { withDatabase } from '../db/with-database';
import type { MigratorContext } from './context';

/** Applied versioned migrations, oldest first. */
export async function history({ config, logger, signal }: MigratorContext): Promise<AppliedMigration[]> {
  return withDatabase(config, { logger, signal, writes: false }, ({ client }) => createHistoryStore(client, undefined).read());
}

/** The repeatable files as the last run of their phase recorded them, by name; none before it ever ran. */
export async function repeatableHistory({ config, logger, signal }: MigratorContext): Promise<AppliedRepeatable[]> {
  return withDatabase(config, { logger, signal, writes: false }, ({ client }) => recordedRepeatable(client));
}

/**
 * Checks files against history by id: names, ids unique and consecutive, applied files unchanged
 * and present. Rejects with ValidationError naming the problem; resolves with counts otherwise.
 */
export async function verify({ config, logger, signal }: MigratorContext): Promise<VerifyReport> {
  const files = loadMigrationSet(config.migrationsDir, { executeJs: false, useManifest: false, logger });
  return withDatabase(config, { logger, signal, writes: false }, async ({ client }) => {
    const applied = await createHistoryStore(client, files.versionedDir).read();
    const { pending, ahead } = compareWithHistory(files.versioned, applied);
    const pendingFiles = new Set(pending);
    const recorded = new Map((await recordedRepeatable(client)).map((row) => [row.name, row.checksum]));
    const present = new Set(files.repeatable.map((file) => file.name));
    return {
      files: files.versioned.length,
      applied: applied.length,
      pending: pending.length,
      ahead: ahead.map(({ id, name }) => ({ id, name })),
      unverified: files.versioned.filter((file) => file.deferred && !pendingFiles.has(file)).map((file) => file.fileName),
      repeatable: {
        files: files.repeatable.length,
        willRerun: files.repeatable.filter((file) => recorded.get(file.name) !== repeatableChecksum(file)).map((file) => file.name),
        removed: [...recorded.keys()].filter((name) => !present.has(name)),
      },
    };
  });
}
