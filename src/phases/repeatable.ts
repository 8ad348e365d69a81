/**
 * Phase 4, repeatable: views, functions, procedures, triggers, policies and grants are not
 * history. Each file in repeatable/ holds the current definition of one object (or of a few bound
 * together), and what matters is that the database runs the latest one. When any file changed
 * (its checksum), was added, or a phase before this one has a step, every repeatable file runs
 * again, in file-name order, all in one transaction (transaction 'phase': the step runner's
 * applyTogether): a view that a CASCADE in an earlier file dropped is created again by its own
 * later file, and a file that fails rolls all of them back.
 *
 * What ran is recorded in a table of ours (REPEATABLE_TABLE, in the schema of the migrator's own
 * tables: db/own-tables.ts), one row per file: its checksum and the objects it defines (read from
 * its CREATE statements), so that a file removed since is reported with the objects no file
 * defines any more. They are never dropped: that is a versioned migration's job.
 *
 * While planning, the files are dry-run after the phases before them, so that a broken view stops
 * the run before anything is written. Not when a versioned migration is pending: those are not
 * dry-run, so the files would meet the schema as it was before them; a failing file then rolls
 * back the repeatable phase alone, after the versioned migrations were committed.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { REPEATABLE_TABLE, ownTable } from '../db/own-tables';
import { runFileThenReset } from '../db/script';
import { textArraySql } from '../db/sql-literal';
import type { AppliedRepeatable } from '../results';
import type { SqlFile } from '../source';
import { splitStatements } from '../source/statements';
import type { Phase, Step } from './phase';

export { REPEATABLE_TABLE };

type RepeatableStep = Step & { checksum: string; objects: string[]; createsRecord: boolean };

/** A file's checksum: its text, as read (sha256, hex). */
export function repeatableChecksum(file: SqlFile): string {
  return createHash('sha256').update(file.sql).digest('hex');
}

/** What a CREATE statement defines, after CREATE [OR REPLACE]: the kind of object, as words. */
const DEFINED_KINDS: ReadonlyArray<ReadonlyArray<string>> = [
  ['MATERIALIZED', 'VIEW'],
  ['RECURSIVE', 'VIEW'],
  ['VIEW'],
  ['FUNCTION'],
  ['PROCEDURE'],
  ['AGGREGATE'],
  ['CONSTRAINT', 'TRIGGER'],
  ['TRIGGER'],
  ['POLICY'],
];

/** A bare word as PostgreSQL folds it (statements.ts upper-cases them); a quoted identifier as written. */
const identifier = (token: string) => (token.startsWith('"') ? token : token.toLowerCase());

/** A possibly qualified name starting at tokens[start]. */
function nameAt(tokens: string[], start: number): string | undefined {
  if (tokens[start] === undefined || !/^("|[A-Z_\u0080-\uffff])/i.test(tokens[start])) return undefined;
  let name = identifier(tokens[start]);
  for (let index = start + 1; tokens[index] === '.' && tokens[index + 1] !== undefined; index += 2)
    name += `.${identifier(tokens[index + 1])}`;
  return name;
}

/**
 * The objects a file defines, e.g. "view notes_per_account", "function touch_updated_at",
 * "trigger notes_touch on notes": read from the first words of its CREATE statements, for the
 * message about a removed file (not a parser: a name it cannot tell is left out).
 */
export function definedObjects(sql: string): string[] {
  const objects: string[] = [];
  for (const { tokens } of splitStatements(sql)) {
    if (tokens[0] !== 'CREATE') continue;
    let at = tokens[1] === 'OR' && tokens[2] === 'REPLACE' ? 3 : 1;
    const kind = DEFINED_KINDS.find((words) => words.every((word, offset) => tokens[at + offset] === word));
    if (!kind) continue;
    at += kind.length;
    const name = nameAt(tokens, at);
    if (name === undefined) continue;
    const last = kind[kind.length - 1];
    const label = `${kind[0] === 'MATERIALIZED' ? 'materialized view' : last.toLowerCase()} ${name}`;
    // A trigger or a policy is named within its table.
    const on = last === 'TRIGGER' || last === 'POLICY' ? tokens.indexOf('ON', at + 1) : -1;
    const table = on === -1 ? undefined : nameAt(tokens, on + 1);
    objects.push(table === undefined ? label : `${label} on ${table}`);
  }
  return objects;
}

/** The DROP keyword for each kind definedObjects names; a function, a procedure or an aggregate is a routine. */
const DROPPED_AS: Readonly<Record<string, string>> = {
  'materialized view': 'MATERIALIZED VIEW',
  view: 'VIEW',
  function: 'ROUTINE',
  procedure: 'ROUTINE',
  aggregate: 'ROUTINE',
  trigger: 'TRIGGER',
  policy: 'POLICY',
};

/**
 * A statement dropping one object of definedObjects' list ("trigger notes_touch on notes"), with
 * what depends on it; undefined for a label it does not know. Without an argument list, a routine
 * must be the only one of its name.
 */
export function dropDefinedObject(object: string): string | undefined {
  const match = /^(materialized view|view|function|procedure|aggregate|trigger|policy) (\S+)(?: on (\S+))?$/.exec(object);
  if (!match) return undefined;
  const [, kind, name, table] = match;
  return `DROP ${DROPPED_AS[kind]} IF EXISTS ${name}${table === undefined ? '' : ` ON ${table}`} CASCADE`;
}

/** The record of the last run of the phase; empty when it never ran here. */
export async function recordedRepeatable(client: pg.Client): Promise<AppliedRepeatable[]> {
  const record = ownTable(client, REPEATABLE_TABLE);
  const { rows } = await client.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [record]);
  if (!rows[0].exists) return [];
  return (await client.query<AppliedRepeatable>(`SELECT name, checksum, objects, applied_at AS "appliedAt" FROM ${record} ORDER BY name`))
    .rows;
}

/** The record's table and one file's row, as SQL of ours run right after the file, in its transaction. */
function recordSql(client: pg.Client, step: RepeatableStep): string {
  const record = ownTable(client, REPEATABLE_TABLE);
  const literal = (text: string) => client.escapeLiteral(text);
  const objects = textArraySql(client, step.objects);
  const create = step.createsRecord
    ? `CREATE TABLE IF NOT EXISTS ${record} (
         name text PRIMARY KEY,
         checksum text NOT NULL,
         objects text[] NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       );`
    : '';
  return `${create}
    INSERT INTO ${record} (name, checksum, objects) VALUES (${literal(step.file)}, ${literal(step.checksum)}, ${objects})
    ON CONFLICT (name) DO UPDATE SET checksum = excluded.checksum, objects = excluded.objects, applied_at = now()`;
}

export const repeatable: Phase<RepeatableStep> = {
  name: 'repeatable',

  async plan(context) {
    const { files, client, logger } = context;
    const recorded = await recordedRepeatable(client);
    if (files.repeatable.length === 0 && recorded.length === 0) return { steps: [] };
    const byName = new Map(recorded.map((row) => [row.name, row]));
    const present = new Set(files.repeatable.map((file) => file.name));
    const steps = files.repeatable.map((file, index): RepeatableStep => {
      const checksum = repeatableChecksum(file);
      const before = byName.get(file.name);
      return {
        phase: 'repeatable',
        kind: 'repeatable',
        file: file.name,
        action: before === undefined ? 'run (new file)' : before.checksum === checksum ? 'run again' : 'run again (changed)',
        sql: file.sql,
        transaction: 'phase',
        checksum,
        objects: definedObjects(file.sql),
        createsRecord: index === 0,
      };
    });
    const removed = recorded.filter((row) => !present.has(row.name));
    const stillDefined = new Set(steps.flatMap((step) => step.objects));
    for (const row of removed) {
      const orphans = row.objects.filter((object) => !stillDefined.has(object));
      logger.warn(
        { file: row.name, objects: orphans },
        `repeatable/${row.name} was removed; ${orphans.length > 0 ? `no file defines ${orphans.join(', ')} any more, and` : 'what it defined'} ` +
          'the migrator does not drop it: drop it in a versioned migration if it should go',
      );
    }
    const forget = removed.length > 0 ? removed.map((row) => row.name) : undefined;
    const finish =
      forget &&
      (async (finishing: pg.Client) => {
        await finishing.query(`DELETE FROM ${ownTable(finishing, REPEATABLE_TABLE)} WHERE name = ANY ($1::text[])`, [forget]);
      });
    const changed = steps.some((step) => step.action !== 'run again');
    if (!changed && context.stepsBefore.length === 0) return { steps: [], finish };
    if (!changed) for (const step of steps) step.action = 'run again (an earlier phase has steps)';
    if (context.dryRuns && !context.stepsBefore.some((step) => step.phase === 'versioned')) {
      for (const step of steps) await context.dryRunScript(step, step.sql);
    }
    return { steps, finish };
  },

  async apply(context, step) {
    await runFileThenReset(context.client, step.sql, recordSql(context.client, step));
  },
};
