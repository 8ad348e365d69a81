/**
 * `generate`: the next versioned migration, written from the difference between two scratch
 * databases on the configured server (never the configured database's own tables):
 *
 * - history: the schema the versioned history produces, run on the dump given with `from` (the
 *   latest release, so that the migration upgrades exactly what existing databases have) or on an
 *   empty database, with the declared tables the database lacks created by the table phase, as
 *   every up does: a new table is a file in tables/ and needs no migration. On the dump the table
 *   phase runs first, as up runs it; on an empty database after the history, since first it
 *   would create every table in its declared shape and hide what the history lacks;
 * - declared: the schema the declared tables describe, i.e. the table-creation phase alone, run
 *   on an empty database.
 *
 * What repeatable files define (views, functions, triggers...) is no part of either: it is not
 * history, and a view on a table migra finds changed (if only in its column order) would come out
 * as a drop and a create. The dump holds its release's, named in its repeatable record: they are
 * dropped before the comparison.
 *
 * @pgkit/migra writes the DDL from history to declared (and back, for the down file); guard.ts
 * makes it idempotent and comments out what needs a person. With `check`, nothing is written: the
 * result only says whether the two schemas differ. The scratch databases are always dropped.
 * Tables in MIGRATOR_IGNORE_TABLES are left out, as in `converge`. With `scratch: 'docker'` the
 * scratch databases are made in a throwaway PostgreSQL container instead, always removed.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import type { ConnectionSettings } from '../config';
import { connectWithRetry } from '../db/connect';
import { restoreDump } from '../converge/restore';
import { inspect, loadSchemaInspect, type SchemaInspect } from '../converge/schema';
import { scratchDatabases } from '../converge/scratch';
import { ConfigError, DeclarationsDifferError, InterruptedError, NeedsReviewError } from '../errors';
import type { GenerateResult, PhaseName } from '../results';
import { guardStatements, type GuardedMigration } from '../generate/guard';
import { DEFAULT_SCRATCH_IMAGE, startScratchServer } from '../generate/scratch-server';
import { withFields } from '../log';
import { requireOptional } from '../optional-module';
import { OWN_TABLES } from '../db/own-tables';
import { dropDefinedObject, recordedRepeatable } from '../phases/repeatable';
import { loadMigrationSet } from '../source';
import type { MigratorContext } from './context';
import { up } from './up';
import { nextMigrationFiles, writeMigrationFiles, type MigrationFiles } from './new-migration';

type Migra = typeof import('@pgkit/migra');
type LibpgQuery = typeof import('libpg-query');

export interface GenerateOptions {
  /** The slug of the migration to write; not needed with `check`. */
  slug?: string;
  /** A plain SQL dump (the latest release) the versioned history is applied to. */
  from?: string;
  /** Only compare: write nothing. */
  check?: boolean;
  /** Where the scratch databases are made: on the configured server (default), or in a throwaway container. */
  scratch?: 'server' | 'docker';
  /** The container's image with `scratch: 'docker'` (default postgres:17): match your servers' major version. */
  scratchImage?: string;
}

/**
 * The tables left out of the comparison (ours and MIGRATOR_IGNORE_TABLES: "table" in any schema,
 * "schema.table" only there), quoted for DROP. Dropped from both scratch databases alike, with
 * CASCADE, so that what depends on them goes from both too.
 */
const LEFT_OUT_SQL = `SELECT format('%I.%I', n.nspname, c.relname) AS name
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
   AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND (c.relname = ANY($1) OR n.nspname || '.' || c.relname = ANY($1))`;

/** The dev-only libraries generate works with, loaded before anything starts so a missing one stops it first. */
interface Tools {
  schemainspect: SchemaInspect;
  migra: Migra;
  parse: Parameters<typeof guardStatements>[1];
}

async function loadTools(): Promise<Tools> {
  const schemainspect = loadSchemaInspect('generate');
  const migra = requireOptional<Migra>('@pgkit/migra', 'generate');
  const libpgQuery = requireOptional<LibpgQuery>('libpg-query', 'generate');
  await libpgQuery.loadModule();
  return { schemainspect, migra, parse: (sql) => libpgQuery.parseSync(sql) };
}

/**
 * Resolves with what was found and written. Rejects with DeclarationsDifferError when checking and
 * the schemas differ, and with NeedsReviewError (carrying the result) when the written migration
 * has statements commented out for a person to decide.
 */
export async function generate(context: MigratorContext, options: GenerateOptions): Promise<GenerateResult> {
  const result = await findAndWrite(context, options);
  if (options.check && result.differences.length > 0) {
    throw new DeclarationsDifferError(
      `the declared tables and the versioned history disagree (${result.differences.length} statement(s)): run migrator generate <slug>`,
      result.differences,
    );
  }
  if (result.reviews.length > 0) {
    throw new NeedsReviewError(
      `migration generated with ${result.reviews.length} statement(s) commented out under REVIEW: decide, then uncomment or delete them`,
      result,
    );
  }
  return result;
}

async function findAndWrite(context: MigratorContext, options: GenerateOptions): Promise<GenerateResult> {
  const { config, logger, signal } = context;
  const from = options.from && path.resolve(options.from);
  if (from && !existsSync(from)) throw new ConfigError(`no dump at ${from}`, '--from');
  const target = options.check ? undefined : nextMigrationFiles(config.migrationsDir, options.slug ?? '');
  const tools = await loadTools();
  // Read and checked first: a bad file stops the run before any scratch database exists.
  loadMigrationSet(config.migrationsDir, { logger });

  if (options.scratch !== 'docker') return compare(context, { ...options, from }, target, tools);
  const server = await startScratchServer(options.scratchImage ?? DEFAULT_SCRATCH_IMAGE, logger, signal);
  try {
    return await compare({ ...context, config: { ...config, connection: server.connection } }, { ...options, from }, target, tools);
  } finally {
    await server.stop();
  }
}

/** Builds both scratch databases on config's server, diffs them and writes the files (unless checking). */
async function compare(
  context: MigratorContext,
  options: GenerateOptions,
  target: MigrationFiles | undefined,
  { schemainspect, migra, parse }: Tools,
): Promise<GenerateResult> {
  const { config, logger, signal } = context;
  const { from } = options;
  const admin = await connectWithRetry(config.connection, { timeoutMs: config.waitTimeoutMs, logger, signal });
  admin.on('error', (error) => logger.debug({ error: error.message }, 'database connection error'));
  const scratch = scratchDatabases(admin, logger);
  const clients: pg.Client[] = [];

  /** A scratch database where the runs of up given ran (each with its phases), without the tables left out of the comparison nor what repeatable files define. */
  const build = async (label: string, runs: PhaseName[][], dump?: string): Promise<pg.Client> => {
    InterruptedError.throwIfAborted(signal);
    const connection: ConnectionSettings = { ...config.connection, database: await scratch.create() };
    try {
      if (dump) await restoreDump(dump, connection, signal);
      for (const phases of runs) {
        await up(
          { ...context, config: { ...config, connection, backupCommand: undefined }, logger: withFields(logger, { database: label }) },
          { phases, postDeploy: true },
        );
      }
      const client = await connectWithRetry(connection, { timeoutMs: config.waitTimeoutMs, logger, signal });
      clients.push(client);
      for (const { objects } of await recordedRepeatable(client)) {
        for (const statement of objects.map(dropDefinedObject)) if (statement) await client.query(statement);
      }
      const { rows } = await client.query<{ name: string }>(LEFT_OUT_SQL, [[...OWN_TABLES, ...config.ignoreTables]]);
      for (const { name } of rows) await client.query(`DROP TABLE IF EXISTS ${name} CASCADE`);
      return client;
    } catch (error) {
      if (error instanceof Error && !(error instanceof InterruptedError)) error.message = `${label}: ${error.message}`;
      throw error;
    }
  };

  try {
    const historyRuns: PhaseName[][] = from ? [['tables', 'versioned']] : [['versioned'], ['tables']];
    const historyClient = await build('versioned history', historyRuns, from);
    const history = await inspect(schemainspect, historyClient);
    const declared = await inspect(schemainspect, await build('declared tables', [['tables']]));
    const diff = async (source: typeof history, goal: typeof history): Promise<string[]> => {
      const migration = await migra.Migration.create(source, goal, {});
      migration.set_safety(false);
      migration.add_all_changes();
      return [...migration.statements];
    };
    // migra recreates an enum that a table uses even when values were only added (rename, create,
    // cast every column, drop the old type). Where the old values keep their order, ADD VALUE is
    // enough: it is applied to the history's scratch database first, so that migra sees the rest.
    const enumAdditions = Object.entries(declared.enums).flatMap(([key, goal]) => {
      const current = history.enums[key];
      return current && current.can_be_changed_to(goal) && current.elements.join() !== goal.elements.join()
        ? current.change_statements(goal)
        : [];
    });
    for (const statement of enumAdditions) await historyClient.query(statement);
    const differences = [
      ...enumAdditions,
      ...(await diff(enumAdditions.length > 0 ? await inspect(schemainspect, historyClient) : history, declared)),
    ];
    if (options.check || differences.length === 0) return { differences, reviews: [], downReviews: [] };

    const up = guardStatements(differences, parse);
    const down = guardStatements(await diff(declared, history), parse);
    writeMigrationFiles(target!, upFile(options.slug!, up), downFile(target!.fileName, down));
    return { differences, reviews: up.reviews, downReviews: down.reviews, file: target!.file, downFile: target!.downFile };
  } finally {
    await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
    await scratch.dropAll();
    await admin.end().catch(() => undefined);
  }
}

const body = (migration: GuardedMigration) =>
  [...migration.statements, ...migration.reviews].map((statement) => `${statement}\n`).join('\n');

function upFile(slug: string, migration: GuardedMigration): string {
  return (
    `-- ${slug}\n--\n` +
    '-- Written by migrator generate from the difference between the schema the versioned history\n' +
    '-- produces and the one the declared tables describe. Review it before committing: statements\n' +
    '-- under a REVIEW line are commented out until a person decides.\n\n' +
    body(migration)
  );
}

function downFile(fileName: string, migration: GuardedMigration): string {
  return `-- Undoes ${fileName} for \`migrator rollback\`. Runs in a transaction; written by migrator generate.\n\n${body(migration)}`;
}
