/**
 * `baseline <id>`: records versioned migrations 1..id as applied without running them, for a
 * database whose schema was built by other means. `baseline --from <tool>`: the same, up to the
 * last file the other tool's history table records as applied (adopting a database it migrated),
 * matched by the files' origin lines, or for Knex, TypeORM and Kysely by a mapping file or --up-to.
 * Both refuse when that would contradict the history, and write nothing then.
 */
import {
  checkedTableName,
  importedScript,
  mappedUpTo,
  originOf,
  readMapping,
  toolNamed,
  type Mapping,
  type SourceTool,
  type ToolHistory,
} from '../adopt';
import { ConfigError, ValidationError } from '../errors';
import { withFields } from '../log';
import { readState, type RunState } from '../run/pipeline';
import { applyStep } from '../run/step-runner';
import { loadMigrationSet, type MigrationSet } from '../source';
import { withDatabase, type DatabaseSession } from '../db/with-database';
import type { MigratorContext } from './context';
import { writingRunContext } from './writing-context';

/** Resolves with the file names recorded as applied. */
export async function baseline(context: MigratorContext, id: number): Promise<string[]> {
  const files = loadMigrationSet(context.config.migrationsDir, { logger: context.logger });
  const last = files.versioned.length;
  if (!Number.isInteger(id) || id < 1 || id > last) {
    throw new ConfigError(`baseline needs a versioned migration id from 1 to ${last} (got ${id})`);
  }
  return withDatabase(context.config, { logger: context.logger, signal: context.signal, writes: true }, async (session) => {
    const state = await readState(session.client, files);
    if (state.currentVersion >= id) {
      throw new ValidationError(`the history already records migrations up to ${state.currentVersion}: nothing to baseline up to ${id}`);
    }
    return record(context, session, state, id);
  });
}

/** How baseline --from knex|typeorm|kysely finds the files: exactly one of mapping and upTo. */
export interface BaselineFromOptions {
  /** A file of lines `<their migration name> <versioned file name or id>`. */
  mapping?: string;
  /** Versioned files 1..upTo hold every migration the tool applied. */
  upTo?: number;
  /** The tool's history table, name or schema.name, when its configuration moved it. */
  table?: string;
}

/**
 * Resolves with the file names recorded as applied: none when the history already records every
 * one (rows already there were checked against the files, and stay).
 */
export async function baselineFrom(context: MigratorContext, toolName: string, options: BaselineFromOptions = {}): Promise<string[]> {
  const tool = toolNamed(toolName);
  const mapping = mappingOf(tool, options);
  const table = options.table === undefined ? tool.table : checkedTableName(options.table);
  const files = loadMigrationSet(context.config.migrationsDir, { logger: context.logger });
  if (mapping && 'upTo' in mapping && mapping.upTo > files.versioned.length) {
    throw new ConfigError(`--up-to needs a versioned migration id from 1 to ${files.versioned.length} (got ${mapping.upTo})`, '--up-to');
  }
  return withDatabase(context.config, { logger: context.logger, signal: context.signal, writes: true }, async (session) => {
    const history = await tool.readHistory(session.client, table);
    const upTo = mapping ? mappedUpTo(tool, table, files.versioned, history, mapping) : lastAppliedId(tool, files, history);
    verifyScripts(tool, files, history, upTo);
    const state = await readState(session.client, files);
    if (state.currentVersion >= upTo) return [];
    return record(context, session, state, upTo);
  });
}

/** The mapping of a tool whose migrations are code; undefined for the others, which refuse the options. */
function mappingOf(tool: SourceTool, options: BaselineFromOptions): Mapping | undefined {
  const given = (['mapping', 'upTo', 'table'] as const).filter((option) => options[option] !== undefined);
  if (!tool.mapped) {
    if (given.length === 0) return undefined;
    throw new ConfigError(
      `--mapping, --up-to and --table are for --from knex, typeorm or kysely, whose migrations are code: ` +
        `${tool.name}'s files are matched by their header line -- migrator: from ${tool.name} <version>`,
      given[0] === 'upTo' ? '--up-to' : `--${given[0]}`,
    );
  }
  if ((options.mapping === undefined) === (options.upTo === undefined)) {
    throw new ConfigError(
      `baseline --from ${tool.name} needs --mapping FILE (the versioned file of each migration ${tool.name} applied) ` +
        `or --up-to N (versioned files 1..N hold all of them), one of the two (docs/adopting.md)`,
      '--mapping',
    );
  }
  if (options.mapping !== undefined) return readMapping(options.mapping);
  const upTo = options.upTo!;
  if (!Number.isInteger(upTo) || upTo < 1) throw new ConfigError(`--up-to needs a versioned migration id from 1 (got ${upTo})`, '--up-to');
  return { upTo };
}

/** Records the pending files up to id, in one transaction, as one step under the lock. */
async function record(migrator: MigratorContext, session: DatabaseSession, state: RunState, id: number): Promise<string[]> {
  const toRecord = state.pending.filter((file) => file.id <= id);
  const context = writingRunContext(migrator, session, withFields(migrator.logger, { phase: 'versioned' }));
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
}

/**
 * The id of the last file the tool's history records as applied. Every version it records must
 * be some file's origin, and the files up to the last applied one must all come from the tool and
 * be applied by it: the applied migrations are always 1..N.
 */
function lastAppliedId(tool: SourceTool, files: MigrationSet, history: ToolHistory): number {
  const origins = files.versioned.map((file) => ({ file, origin: originOf(file.sql) }));
  const fromTool = origins.filter(({ origin }) => origin?.tool === tool.name);
  for (const version of history.recorded) {
    if (!fromTool.some(({ origin }) => origin!.version === version)) {
      throw new ValidationError(
        `${tool.table} records ${tool.name} version ${version} as applied, but no versioned file has the header line -- migrator: from ${tool.name} ${version}: ` +
          'import (or write) that migration too, so that every applied one has its file',
      );
    }
  }
  const last = fromTool.findLast(({ origin }) => history.isApplied(origin!.version))?.file;
  if (!last) throw new ValidationError(`${tool.table} records no migration as applied: there is nothing to baseline (run migrator up)`);
  for (const { file, origin } of origins.slice(0, last.id - 1)) {
    const before = `versioned/${file.fileName} comes before versioned/${last.fileName}, the last migration ${tool.name} applied`;
    if (origin?.tool !== tool.name) {
      throw new ValidationError(
        `${before}, but it was not imported from ${tool.name} (its header has no line -- migrator: from ${tool.name} <version>): baseline records only what ${tool.name} applied`,
        file.fileName,
      );
    }
    if (!history.earlierImplied && !history.isApplied(origin.version)) {
      throw new ValidationError(
        `${before}, but ${tool.table} does not record its version ${origin.version} as applied: apply it with ${tool.name} first, so that the applied migrations are 1..${last.id}`,
        file.fileName,
      );
    }
  }
  return last.id;
}

/** For a tool that keeps checksums: each file up to the last applied one holds the script the tool applied. */
function verifyScripts(tool: SourceTool, files: MigrationSet, history: ToolHistory, upTo: number): void {
  if (!history.verify) return;
  for (const file of files.versioned.slice(0, upTo)) {
    const version = originOf(file.sql)!.version;
    const script = importedScript(file.sql);
    if (script === undefined) {
      throw new ValidationError(
        `versioned/${file.fileName} no longer starts as import wrote it (the line -- migrator: from ${tool.name} ${version}, then a blank line), ` +
          `so its script cannot be checked against the checksum ${tool.table} records: put its header back as import wrote it`,
        file.fileName,
      );
    }
    history.verify(version, script, file.fileName);
  }
}
