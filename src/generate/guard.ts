/**
 * migra's statements made fit for a versioned migration: each one classified by PostgreSQL's own
 * parser (libpg-query) and given its guarded, idempotent form (IF NOT EXISTS, or a DO block that
 * checks the catalog). What a diff cannot decide (a drop loses data, a type change may need a
 * conversion, a drop and an add on one table may be a rename) is written commented out, under a
 * `REVIEW:` line saying why. Anything the rules here do not recognise is commented out too: nothing
 * destructive is ever emitted uncommented.
 */
import type { Node, ParseResult } from 'libpg-query';

export interface GuardedMigration {
  /** Statements safe to run as they are, in migra's order. */
  statements: string[];
  /** Commented-out statements, each led by its `-- REVIEW:` line. */
  reviews: string[];
}

interface Review {
  why: string;
  sql: string;
}

/** A column that the diff drops: kept apart until we know whether the same table gains one. */
interface DroppedColumn {
  table: string;
  column: string;
  sql: string;
}

const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;
const commented = (why: string, sql: string) => [`-- REVIEW: ${why}`, ...sql.split('\n').map((line) => `-- ${line}`)].join('\n');

/** "schema.table" of a RangeVar, as a regclass literal would name it. */
function tableName(stmt: { relation?: { schemaname?: string; relname?: string } }): string {
  const { schemaname, relname } = stmt.relation ?? {};
  return [schemaname, relname]
    .filter(Boolean)
    .map((part) => `"${part!.replace(/"/g, '""')}"`)
    .join('.');
}

/** A DO block that runs `sql` only when the catalog does not have the object yet. */
function unlessExists(condition: string, sql: string): string {
  return `DO $$\nBEGIN\n  IF NOT EXISTS (${condition}) THEN\n    ${sql.replace(/;$/, '')};\n  END IF;\nEND $$;`;
}

/** Inserts `words` after the first match of `after`, in its case (migra writes lower case, pg_get_indexdef upper). */
function insertAfter(sql: string, after: RegExp, words: string): string {
  return sql.replace(after, (found) => `${found} ${found === found.toUpperCase() ? words.toUpperCase() : words}`);
}

export function guardStatements(statements: string[], parse: (sql: string) => ParseResult): GuardedMigration {
  const safe: string[] = [];
  const reviews: Review[] = [];
  const dropped: DroppedColumn[] = [];
  const added = new Map<string, string[]>();

  for (const raw of statements) {
    const sql = raw.trim();
    const parsed = parse(sql).stmts ?? [];
    const stmt = parsed.length === 1 ? parsed[0].stmt : undefined;
    const unrecognised = () =>
      reviews.push({ why: 'not a change this generator knows how to guard: check it, guard it, then uncomment it', sql });
    if (!stmt) {
      unrecognised();
      continue;
    }
    if ('CreateStmt' in stmt) {
      safe.push(insertAfter(sql, /^create table/i, 'if not exists'));
    } else if ('IndexStmt' in stmt) {
      safe.push(insertAfter(sql, /^create (unique )?index/i, 'if not exists'));
    } else if ('CreateSeqStmt' in stmt) {
      safe.push(insertAfter(sql, /^create sequence/i, 'if not exists'));
    } else if ('CreateEnumStmt' in stmt) {
      const name = (stmt.CreateEnumStmt.typeName ?? []).map((part: Node) => ('String' in part ? part.String.sval : '')).join('.');
      safe.push(`DO $$\nBEGIN\n  IF to_regtype(${literal(name)}) IS NULL THEN\n    ${sql.replace(/;$/, '')};\n  END IF;\nEND $$;`);
    } else if ('AlterEnumStmt' in stmt) {
      safe.push(stmt.AlterEnumStmt.newVal ? insertAfter(sql, /add value/i, 'if not exists') : sql);
    } else if ('AlterTableStmt' in stmt) {
      const table = tableName(stmt.AlterTableStmt);
      const commands = (stmt.AlterTableStmt.cmds ?? []).map((cmd: Node) => ('AlterTableCmd' in cmd ? cmd.AlterTableCmd : undefined));
      if (commands.length !== 1 || !commands[0]) {
        unrecognised();
        continue;
      }
      const cmd = commands[0];
      switch (cmd.subtype) {
        case 'AT_AddColumn': {
          const column = cmd.def && 'ColumnDef' in cmd.def ? cmd.def.ColumnDef.colname! : '';
          added.set(table, [...(added.get(table) ?? []), column]);
          safe.push(insertAfter(sql, /add column/i, 'if not exists'));
          break;
        }
        case 'AT_DropColumn':
          dropped.push({ table, column: cmd.name!, sql: cmd.missing_ok ? sql : insertAfter(sql, /drop column/i, 'if exists') });
          break;
        case 'AT_AddConstraint': {
          const name = cmd.def && 'Constraint' in cmd.def ? cmd.def.Constraint.conname : undefined;
          if (!name) {
            unrecognised();
            break;
          }
          safe.push(
            unlessExists(`SELECT 1 FROM pg_constraint WHERE conname = ${literal(name)} AND conrelid = ${literal(table)}::regclass`, sql),
          );
          break;
        }
        case 'AT_SetNotNull':
        case 'AT_DropNotNull':
        case 'AT_ColumnDefault':
        case 'AT_ValidateConstraint':
          safe.push(sql);
          break;
        case 'AT_AlterColumnType':
          reviews.push({
            why: `the type of ${table}.${cmd.name} changes: existing values may need a conversion (USING ...) or may not fit`,
            sql,
          });
          break;
        case 'AT_DropConstraint':
          reviews.push({
            why: `drops a constraint of ${table}: make sure no release relies on it`,
            sql: cmd.missing_ok ? sql : insertAfter(sql, /drop constraint/i, 'if exists'),
          });
          break;
        default:
          unrecognised();
      }
    } else if ('DropStmt' in stmt) {
      const what = String(stmt.DropStmt.removeType)
        .replace(/^OBJECT_/, '')
        .replace(/_/g, ' ')
        .toLowerCase();
      const guarded = stmt.DropStmt.missing_ok ? sql : insertAfter(sql, new RegExp(`^drop ${what}`, 'i'), 'if exists');
      reviews.push({ why: `drops this ${what}, which the declared tables no longer have: what it holds is lost`, sql: guarded });
    } else {
      unrecognised();
    }
  }

  for (const drop of dropped) {
    const gained = added.get(drop.table) ?? [];
    if (gained.length === 1) {
      const [column] = gained;
      reviews.push({
        why: `${drop.table}."${drop.column}" is dropped and ${drop.table}."${column}" added: if that is a rename, this moves the data (run after the ADD COLUMN above); if not, drop the column instead`,
        sql:
          `DO $$\nBEGIN\n  IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = ${literal(drop.table)}::regclass AND attname = ${literal(drop.column)} AND NOT attisdropped) THEN\n` +
          `    UPDATE ${drop.table} SET "${column}" = "${drop.column}";\n    ALTER TABLE ${drop.table} DROP COLUMN "${drop.column}";\n  END IF;\nEND $$;`,
      });
    } else {
      reviews.push({
        why: `drops ${drop.table}."${drop.column}", which the declared tables no longer have: its data is lost`,
        sql: drop.sql,
      });
    }
  }
  return { statements: safe, reviews: reviews.map((review) => commented(review.why, review.sql)) };
}
