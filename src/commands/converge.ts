/**
 * `converge`: checks the promise of the three phases, that a database from any earlier release ends
 * at the same schema as a fresh install. It builds a fresh database with `up`; restores each dump
 * (plain SQL, as psql restores it) into another database and runs `up` there; compares each
 * schema with the fresh one through the catalog; and runs `up` a second time on every database,
 * which must touch no catalog object and report nothing done.
 *
 * The scratch databases are created on the server of the configured connection (that database is
 * only used to create and drop them) and always dropped, also when the check fails.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ConnectionSettings } from '../config';
import { connectWithRetry } from '../db/connect';
import { catalogFingerprint } from '../converge/catalog-fingerprint';
import { compareSchemas } from '../converge/diff';
import { restoreDump } from '../converge/restore';
import { describeSchema, loadSchemaInspect, type SchemaFacts } from '../converge/schema';
import { scratchDatabases } from '../converge/scratch';
import { ConfigError, InterruptedError, SchemasDifferError } from '../errors';
import { withFields } from '../log';
import type { ConvergenceReport, ConvergenceResult, MigrationReport } from '../results';
import { loadMigrationSet } from '../source';
import type { MigratorContext } from './context';
import { up } from './up';

export const FRESH_INSTALL = 'fresh install';

/**
 * dumps: plain SQL dumps of databases as earlier releases left them. Resolves with the report when
 * every database converges; rejects with SchemasDifferError (carrying the report) when one does not.
 */
export async function converge(context: MigratorContext, dumpFiles: string[] = []): Promise<ConvergenceReport> {
  const { config, logger, signal } = context;
  const dumps = dumpFiles.map((dump) => path.resolve(dump));
  const missing = dumps.find((dump) => !existsSync(dump));
  if (missing) throw new ConfigError(`no dump at ${missing}`);
  const schemainspect = loadSchemaInspect('converge');
  // Read and checked first: a bad file stops the run before any scratch database exists.
  loadMigrationSet(config.migrationsDir, { logger });

  const admin = await connectWithRetry(config.connection, { timeoutMs: config.waitTimeoutMs, logger, signal });
  admin.on('error', (error) => logger.debug({ error: error.message }, 'database connection error'));
  const scratch = scratchDatabases(admin, logger);

  /** A scratch database brought up to date (from a dump, or empty), then `up` once more. */
  const build = async (label: string, dump?: string): Promise<{ schema: SchemaFacts; secondRun: string[] }> => {
    InterruptedError.throwIfAborted(signal);
    const connection: ConnectionSettings = { ...config.connection, database: await scratch.create() };
    const run: MigratorContext = {
      ...context,
      config: { ...config, connection, backupCommand: undefined },
      logger: withFields(logger, { database: label }),
    };
    try {
      if (dump) await restoreDump(dump, connection, signal);
      // The end of a release: post-deploy migrations included.
      await up(run, { postDeploy: true });
      const client = await connectWithRetry(connection, { timeoutMs: config.waitTimeoutMs, logger, signal });
      try {
        const before = await catalogFingerprint(client);
        const again = await up(run, { postDeploy: true });
        const touched = (await catalogFingerprint(client)) !== before;
        return { schema: await describeSchema(schemainspect, client, config.ignoreTables), secondRun: secondRunProblems(again, touched) };
      } finally {
        await client.end().catch(() => undefined);
      }
    } catch (error) {
      if (error instanceof Error && !(error instanceof InterruptedError)) error.message = `${label}: ${error.message}`;
      throw error;
    }
  };

  try {
    const fresh = await build(FRESH_INSTALL);
    const results: ConvergenceResult[] = [{ database: FRESH_INSTALL, differences: [], secondRun: fresh.secondRun }];
    for (const dump of dumps) {
      const upgraded = await build(path.basename(dump), dump);
      results.push({
        database: path.basename(dump),
        differences: compareSchemas(fresh.schema, upgraded.schema),
        secondRun: upgraded.secondRun,
      });
    }
    const failed = results.filter((result) => result.differences.length > 0 || result.secondRun.length > 0);
    const report = { converged: failed.length === 0, results };
    if (failed.length > 0)
      throw new SchemasDifferError(`the schemas do not converge: ${failed.map((result) => result.database).join(', ')}`, report);
    return report;
  } finally {
    await scratch.dropAll();
    await admin.end().catch(() => undefined);
  }
}

/** What a second `up` did, when it should have done nothing. */
function secondRunProblems(report: MigrationReport, catalogTouched: boolean): string[] {
  const problems = [
    ...report.legacy.changed.map((file) => `legacy/${file} changed something again: it must find nothing to do once applied`),
    ...report.legacy.columnsAdded.map((column) => `the legacy phase added column ${column} again`),
    ...report.tables.created.map((table) => `table ${table} was created again`),
    ...report.versioned.applied.map((file) => `versioned/${file} was applied again`),
  ];
  if (catalogTouched && problems.length === 0) problems.push('the second up touched the catalog although it reported nothing done');
  return problems;
}
