/**
 * Versioned migrations run on databases whose tables may already be in their current shape (table
 * creation makes new tables as declared; the legacy phase adds declared columns), so every schema
 * change in them must be safe to run when it is already there. This finds the statements that are
 * not: DDL without IF [NOT] EXISTS or OR REPLACE, and DDL that has no such form (renames, new types,
 * new constraints) outside a DO block. Statements inside DO blocks count as guarded: that is where
 * the guards go. The SQL is parsed by PostgreSQL's own parser (libpg-query).
 */
import type { Node, ParseResult, RangeVar } from 'libpg-query';

export interface Unguarded {
  /** Byte offset of the statement in the file. */
  location: number;
  message: string;
}

const NO_IF_EXISTS_FORM = 'PostgreSQL has no IF NOT EXISTS for it: check the catalog in a DO block';

const relation = (range: RangeVar | undefined) => [range?.schemaname, range?.relname].filter(Boolean).join('.');
const names = (nodes: Node[] | undefined): string =>
  (nodes ?? []).map((node) => ('String' in node ? node.String.sval : 'List' in node ? names(node.List.items) : '')).join('.');

/** One message per unguarded change in a statement. */
function check(stmt: Node): string[] {
  if ('CreateStmt' in stmt) {
    return stmt.CreateStmt.if_not_exists ? [] : [`CREATE TABLE ${relation(stmt.CreateStmt.relation)} without IF NOT EXISTS`];
  }
  if ('CreateTableAsStmt' in stmt) {
    return stmt.CreateTableAsStmt.if_not_exists
      ? []
      : [`CREATE TABLE ${relation(stmt.CreateTableAsStmt.into?.rel)} AS without IF NOT EXISTS`];
  }
  if ('IndexStmt' in stmt) {
    const index = stmt.IndexStmt;
    if (index.if_not_exists) return [];
    return [`CREATE INDEX ${index.idxname ?? `on ${relation(index.relation)} without a name and`} without IF NOT EXISTS`];
  }
  if ('CreateSeqStmt' in stmt) {
    return stmt.CreateSeqStmt.if_not_exists ? [] : [`CREATE SEQUENCE ${relation(stmt.CreateSeqStmt.sequence)} without IF NOT EXISTS`];
  }
  if ('CreateSchemaStmt' in stmt) {
    return stmt.CreateSchemaStmt.if_not_exists ? [] : [`CREATE SCHEMA ${stmt.CreateSchemaStmt.schemaname} without IF NOT EXISTS`];
  }
  if ('CreateExtensionStmt' in stmt) {
    return stmt.CreateExtensionStmt.if_not_exists ? [] : [`CREATE EXTENSION ${stmt.CreateExtensionStmt.extname} without IF NOT EXISTS`];
  }
  if ('ViewStmt' in stmt) {
    return stmt.ViewStmt.replace ? [] : [`CREATE VIEW ${relation(stmt.ViewStmt.view)} without OR REPLACE`];
  }
  if ('CreateFunctionStmt' in stmt) {
    return stmt.CreateFunctionStmt.replace ? [] : [`CREATE FUNCTION ${names(stmt.CreateFunctionStmt.funcname)} without OR REPLACE`];
  }
  if ('CreateTrigStmt' in stmt) {
    return stmt.CreateTrigStmt.replace ? [] : [`CREATE TRIGGER ${stmt.CreateTrigStmt.trigname} without OR REPLACE`];
  }
  if ('CreateEnumStmt' in stmt) return [`CREATE TYPE ${names(stmt.CreateEnumStmt.typeName)}: ${NO_IF_EXISTS_FORM}`];
  if ('CompositeTypeStmt' in stmt) return [`CREATE TYPE ${relation(stmt.CompositeTypeStmt.typevar)}: ${NO_IF_EXISTS_FORM}`];
  if ('CreateDomainStmt' in stmt) return [`CREATE DOMAIN ${names(stmt.CreateDomainStmt.domainname)}: ${NO_IF_EXISTS_FORM}`];
  if ('AlterEnumStmt' in stmt) {
    const alter = stmt.AlterEnumStmt;
    if (alter.oldVal !== undefined)
      return [`ALTER TYPE ${names(alter.typeName)} RENAME VALUE '${alter.oldVal}' outside a DO block: it fails when run again`];
    return alter.skipIfNewValExists ? [] : [`ALTER TYPE ${names(alter.typeName)} ADD VALUE '${alter.newVal}' without IF NOT EXISTS`];
  }
  if ('RenameStmt' in stmt) {
    const rename = stmt.RenameStmt;
    const what = rename.subname
      ? `${relation(rename.relation)}.${rename.subname}`
      : relation(rename.relation) || names(rename.object ? [rename.object] : []);
    return [
      `RENAME of ${what} to ${rename.newname} outside a DO block: it fails when run again, or where the new name already exists; check the catalog first`,
    ];
  }
  if ('DropStmt' in stmt) {
    const drop = stmt.DropStmt;
    const kind = (drop.removeType ?? 'OBJECT').replace(/^OBJECT_/, '').replace(/_/g, ' ');
    return drop.missing_ok ? [] : [`DROP ${kind} ${names(drop.objects)} without IF EXISTS`];
  }
  if ('AlterTableStmt' in stmt) {
    const table = relation(stmt.AlterTableStmt.relation);
    return (stmt.AlterTableStmt.cmds ?? []).flatMap((node) => {
      if (!('AlterTableCmd' in node)) return [];
      const cmd = node.AlterTableCmd;
      const definition = cmd.def;
      switch (cmd.subtype) {
        case 'AT_AddColumn': {
          const column = definition && 'ColumnDef' in definition ? definition.ColumnDef.colname : cmd.name;
          return cmd.missing_ok ? [] : [`ALTER TABLE ${table} ADD COLUMN ${column} without IF NOT EXISTS`];
        }
        case 'AT_DropColumn':
          return cmd.missing_ok ? [] : [`ALTER TABLE ${table} DROP COLUMN ${cmd.name} without IF EXISTS`];
        case 'AT_DropConstraint':
          return cmd.missing_ok ? [] : [`ALTER TABLE ${table} DROP CONSTRAINT ${cmd.name} without IF EXISTS`];
        case 'AT_AddConstraint': {
          const name = definition && 'Constraint' in definition ? definition.Constraint.conname : undefined;
          return [`ALTER TABLE ${table} ADD CONSTRAINT${name ? ` ${name}` : ''}: ${NO_IF_EXISTS_FORM}`];
        }
        default:
          return [];
      }
    });
  }
  return [];
}

export function findUnguardedDdl(parsed: ParseResult): Unguarded[] {
  return (parsed.stmts ?? []).flatMap((raw) =>
    raw.stmt ? check(raw.stmt).map((message) => ({ location: raw.stmt_location ?? 0, message })) : [],
  );
}
