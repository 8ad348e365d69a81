/**
 * `baseline <id>`: records versioned migrations 1..id as applied without running them, for a
 * database whose schema was built by other means. `baseline --from <tool>`: the same, up to the
 * last file the other tool's history table records as applied (adopting a database it migrated).
 * Both refuse when that would contradict the history, and write nothing then.
 */
import { importedScript, originOf, toolNamed, type SourceTool, type ToolHistory } from '../adopt';
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

/**
 * Resolves with the file names recorded as applied: none when the history already records every
 * one (rows already there were checked against the files, and stay).
 */
export async function baselineFrom(context: MigratorContext, toolName: string): Promise<string[]> {
  const tool = toolNamed(toolName);
  const files = loadMigrationSet(context.config.migrationsDir, { logger: context.logger });
  return withDatabase(context.config, { logger: context.logger, signal: context.signal, writes: true }, async (session) => {
    const history = await tool.readHistory(session.client);
    const upTo = lastAppliedId(tool, files, history);
    verifyScripts(tool, files, history, upTo);
    const state = await readState(session.client, files);
    if (state.currentVersion >= upTo) return [];
    return record(context, session, state, upTo);
  });
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
