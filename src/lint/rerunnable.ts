/**
 * Repeatable files (phases/repeatable.ts) all run again whenever one of them changed, on databases
 * where what they define exists already and on fresh ones where it does not. So each statement in
 * them must work both ways: a view, function or procedure is created OR REPLACEd (or dropped IF
 * EXISTS first, for a view whose columns change); a trigger or a policy, which may have no OR
 * REPLACE form, is dropped IF EXISTS first; a DROP names IF EXISTS. Tables, types, indexes and
 * data are history, not definitions: run again, they fail or write twice, so they belong in tables/
 * or a versioned migration. Read on PostgreSQL's own parse tree (libpg-query); what runs inside a
 * DO block is the file's author's to guard.
 */
import type { Node, ParseResult, RangeVar } from 'libpg-query';

export interface NotRerunnable {
  /** Byte offset of the statement in the file. */
  location: number;
  message: string;
}

/** An object the file drops IF EXISTS: its kind (DropStmt's removeType) and last name, with the table's for a trigger or a policy. */
const dropKey = (kind: string, name: string, table?: string) => [kind, name, table ?? ''].join('\0');

const lastName = (nodes: Node[] | undefined): string => {
  const last = nodes?.at(-1);
  return last && 'String' in last ? (last.String.sval ?? '') : '';
};
const relation = (range: RangeVar | undefined) => [range?.schemaname, range?.relname].filter(Boolean).join('.');

/** The keys of what a DROP ... IF EXISTS statement removes. */
function droppedIfExists(stmt: Node): string[] {
  if (!('DropStmt' in stmt) || !stmt.DropStmt.missing_ok) return [];
  const kind = stmt.DropStmt.removeType ?? '';
  return (stmt.DropStmt.objects ?? []).map((object) => {
    if ('ObjectWithArgs' in object) return dropKey(kind, lastName(object.ObjectWithArgs.objname));
    const items = 'List' in object ? (object.List.items ?? []) : [object];
    // A trigger or a policy is named after its table: [schema.]table.name.
    if (kind === 'OBJECT_TRIGGER' || kind === 'OBJECT_POLICY') return dropKey(kind, lastName(items), lastName(items.slice(0, -1)));
    return dropKey(kind, lastName(items));
  });
}

const HISTORY =
  'is history, not a definition: it fails or writes again whenever a repeatable file changes; put it in tables/ or a versioned migration';
const WRITES = 'writes data, again whenever a repeatable file changes: put it in a versioned migration';

/** What a statement lacks to run again, given what the file dropped IF EXISTS before it. */
function check(stmt: Node, dropped: Set<string>): string | undefined {
  if ('ViewStmt' in stmt) {
    const view = stmt.ViewStmt.view;
    return stmt.ViewStmt.replace || dropped.has(dropKey('OBJECT_VIEW', view?.relname ?? ''))
      ? undefined
      : `CREATE VIEW ${relation(view)} without OR REPLACE, nor a DROP VIEW IF EXISTS before it`;
  }
  if ('CreateFunctionStmt' in stmt) {
    const { is_procedure, funcname, replace } = stmt.CreateFunctionStmt;
    const kind = is_procedure ? 'PROCEDURE' : 'FUNCTION';
    return replace || dropped.has(dropKey(`OBJECT_${kind}`, lastName(funcname)))
      ? undefined
      : `CREATE ${kind} ${lastName(funcname)} without OR REPLACE, nor a DROP ${kind} IF EXISTS before it`;
  }
  if ('CreateTrigStmt' in stmt) {
    const { trigname = '', relation: table, replace } = stmt.CreateTrigStmt;
    return replace || dropped.has(dropKey('OBJECT_TRIGGER', trigname, table?.relname))
      ? undefined
      : `CREATE TRIGGER ${trigname} on ${relation(table)} without a DROP TRIGGER IF EXISTS before it (or OR REPLACE, PostgreSQL 14 and later)`;
  }
  if ('CreatePolicyStmt' in stmt) {
    const { policy_name = '', table } = stmt.CreatePolicyStmt;
    return dropped.has(dropKey('OBJECT_POLICY', policy_name, table?.relname))
      ? undefined
      : `CREATE POLICY ${policy_name} on ${relation(table)} without a DROP POLICY IF EXISTS before it`;
  }
  if ('CreateTableAsStmt' in stmt) {
    const { objtype, into } = stmt.CreateTableAsStmt;
    if (objtype !== 'OBJECT_MATVIEW') return `CREATE TABLE ${relation(into?.rel)} AS ${HISTORY}`;
    return dropped.has(dropKey('OBJECT_MATVIEW', into?.rel?.relname ?? ''))
      ? undefined
      : `CREATE MATERIALIZED VIEW ${relation(into?.rel)} without a DROP MATERIALIZED VIEW IF EXISTS before it`;
  }
  if ('DropStmt' in stmt) {
    return stmt.DropStmt.missing_ok
      ? undefined
      : `DROP ${(stmt.DropStmt.removeType ?? 'OBJECT').replace(/^OBJECT_/, '').replace(/_/g, ' ')} without IF EXISTS: it fails where the object is not there yet`;
  }
  if ('CreateStmt' in stmt) return `CREATE TABLE ${relation(stmt.CreateStmt.relation)} ${HISTORY}`;
  if ('AlterTableStmt' in stmt) {
    const { objtype, relation: table, cmds } = stmt.AlterTableStmt;
    // Turning row level security on is idempotent, and belongs next to the policies that need it.
    const idempotent = (cmds ?? []).every(
      (cmd) => 'AlterTableCmd' in cmd && ['AT_EnableRowSecurity', 'AT_ForceRowSecurity'].includes(cmd.AlterTableCmd.subtype ?? ''),
    );
    return objtype === 'OBJECT_TABLE' && !idempotent ? `ALTER TABLE ${relation(table)} ${HISTORY}` : undefined;
  }
  if ('IndexStmt' in stmt) return `CREATE INDEX ${stmt.IndexStmt.idxname ?? `on ${relation(stmt.IndexStmt.relation)}`} ${HISTORY}`;
  if ('CreateSeqStmt' in stmt) return `CREATE SEQUENCE ${relation(stmt.CreateSeqStmt.sequence)} ${HISTORY}`;
  if ('CreateEnumStmt' in stmt || 'CompositeTypeStmt' in stmt || 'CreateDomainStmt' in stmt || 'AlterEnumStmt' in stmt) {
    return `a type ${HISTORY}`;
  }
  if ('RenameStmt' in stmt) return `a rename ${HISTORY}`;
  if ('InsertStmt' in stmt) return `INSERT into ${relation(stmt.InsertStmt.relation)} ${WRITES}`;
  if ('UpdateStmt' in stmt) return `UPDATE of ${relation(stmt.UpdateStmt.relation)} ${WRITES}`;
  if ('DeleteStmt' in stmt) return `DELETE from ${relation(stmt.DeleteStmt.relation)} ${WRITES}`;
  if ('TruncateStmt' in stmt) return `TRUNCATE ${WRITES}`;
  if ('CopyStmt' in stmt && stmt.CopyStmt.is_from) return `COPY into ${relation(stmt.CopyStmt.relation)} ${WRITES}`;
  return undefined;
}

export function findNotRerunnable(parsed: ParseResult): NotRerunnable[] {
  const dropped = new Set<string>();
  const found: NotRerunnable[] = [];
  for (const raw of parsed.stmts ?? []) {
    if (!raw.stmt) continue;
    const message = check(raw.stmt, dropped);
    if (message !== undefined) found.push({ location: raw.stmt_location ?? 0, message });
    for (const key of droppedIfExists(raw.stmt)) dropped.add(key);
  }
  return found;
}
