/**
 * In a rolling deploy the new release's pre-deploy migrations run while the old release still
 * serves traffic, so they must not take away what the old release uses. This finds what does:
 * dropping or renaming a table or column, changing a column's type, making a column NOT NULL
 * without a default (the old release's inserts leave it out), dropping a default. Such a change
 * belongs in a post-deploy migration, or is split (expand before the deploy, contract after).
 * Statements inside DO blocks count too: that is where guarded renames and drops usually are.
 * The SQL is parsed by PostgreSQL's own parsers (libpg-query, for SQL and PL/pgSQL).
 */
import type { Node, ParseResult, RangeVar } from 'libpg-query';

export interface Incompatible {
  /** Byte offset of the statement (for one inside a DO block: of the DO statement) in the file. */
  location: number;
  /** Lines below that statement's first (for a statement inside a DO block). */
  lineDelta: number;
  message: string;
}

export interface Parsers {
  parse(sql: string): ParseResult;
  parsePlpgsql(sql: string): unknown;
}

const ADVICE =
  'the release still running during a rolling deploy may use it: mark the file post-deploy (-- migrator: post-deploy), or split it (expand/contract)';

const relation = (range: RangeVar | undefined) => [range?.schemaname, range?.relname].filter(Boolean).join('.');
const names = (nodes: Node[] | undefined): string =>
  (nodes ?? []).map((node) => ('String' in node ? node.String.sval : 'List' in node ? names(node.List.items) : '')).join('.');

const DROPPED_KINDS: Record<string, string> = { OBJECT_TABLE: 'TABLE', OBJECT_VIEW: 'VIEW', OBJECT_MATVIEW: 'MATERIALIZED VIEW' };

/** The changes of one statement that the old release would trip over; `defaulted` holds table.column given a default earlier in the file. */
function check(stmt: Node, defaulted: Set<string>): string[] {
  if ('DropStmt' in stmt) {
    const kind = DROPPED_KINDS[stmt.DropStmt.removeType ?? ''];
    return kind ? [`drops ${kind.toLowerCase()} ${names(stmt.DropStmt.objects)}`] : [];
  }
  if ('RenameStmt' in stmt) {
    const rename = stmt.RenameStmt;
    if (rename.renameType === 'OBJECT_TABLE') return [`renames table ${relation(rename.relation)} to ${rename.newname}`];
    if (rename.renameType === 'OBJECT_COLUMN')
      return [`renames column ${relation(rename.relation)}.${rename.subname} to ${rename.newname}`];
    return [];
  }
  if (!('AlterTableStmt' in stmt)) return [];
  const table = relation(stmt.AlterTableStmt.relation);
  return (stmt.AlterTableStmt.cmds ?? []).flatMap((node) => {
    if (!('AlterTableCmd' in node)) return [];
    const cmd = node.AlterTableCmd;
    switch (cmd.subtype) {
      case 'AT_DropColumn':
        return [`drops column ${table}.${cmd.name}`];
      case 'AT_AlterColumnType':
        return [`changes the type of ${table}.${cmd.name}`];
      case 'AT_ColumnDefault':
        if (cmd.def) {
          defaulted.add(`${table}.${cmd.name}`);
          return [];
        }
        return [`drops the default of ${table}.${cmd.name}`];
      case 'AT_SetNotNull':
        return defaulted.has(`${table}.${cmd.name}`) ? [] : [`makes ${table}.${cmd.name} NOT NULL without a default`];
      case 'AT_AddColumn': {
        const column = cmd.def && 'ColumnDef' in cmd.def ? cmd.def.ColumnDef : undefined;
        const kinds = (column?.constraints ?? []).flatMap((constraint) =>
          'Constraint' in constraint ? [constraint.Constraint.contype] : [],
        );
        const filled = kinds.some((kind) => kind === 'CONSTR_DEFAULT' || kind === 'CONSTR_IDENTITY' || kind === 'CONSTR_GENERATED');
        return kinds.includes('CONSTR_NOTNULL') && !filled ? [`adds ${table}.${column?.colname} NOT NULL without a default`] : [];
      }
      default:
        return [];
    }
  });
}

/** The SQL statements of a DO block's body, with their line within it, from PL/pgSQL's parse tree. */
function statementsInDo(tree: unknown): Array<{ query: string; lineno: number }> {
  const found: Array<{ query: string; lineno: number }> = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach(walk);
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    const node = value as Record<string, unknown>;
    const exec = node.PLpgSQL_stmt_execsql as { lineno?: number; sqlstmt?: { PLpgSQL_expr?: { query?: string } } } | undefined;
    const query = exec?.sqlstmt?.PLpgSQL_expr?.query;
    if (query) found.push({ query, lineno: exec?.lineno ?? 1 });
    Object.values(node).forEach(walk);
  };
  walk(tree);
  return found;
}

export function findBackwardIncompatible(parsed: ParseResult, sql: string, parsers: Parsers): Incompatible[] {
  const bytes = Buffer.from(sql);
  const defaulted = new Set<string>();
  return (parsed.stmts ?? []).flatMap((raw) => {
    if (!raw.stmt) return [];
    const location = raw.stmt_location ?? 0;
    if (!('DoStmt' in raw.stmt))
      return check(raw.stmt, defaulted).map((change) => ({ location, lineDelta: 0, message: `${change}: ${ADVICE}` }));
    const text = bytes.subarray(location, raw.stmt_len ? location + raw.stmt_len : bytes.length).toString();
    return statementsInDo(parsers.parsePlpgsql(text)).flatMap(({ query, lineno }) =>
      (parsers.parse(query).stmts ?? []).flatMap((inner) =>
        inner.stmt
          ? check(inner.stmt, defaulted).map((change) => ({
              location,
              lineDelta: lineno - 1,
              message: `${change} (in a DO block): ${ADVICE}`,
            }))
          : [],
      ),
    );
  });
}
