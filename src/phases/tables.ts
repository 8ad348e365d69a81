/**
 * Phase 2, table creation: each file in tables/ declares one table in its current shape and is
 * named after it ([NNN_]table.sql, or [NNN_]schema.table.sql). A declared table that does not
 * exist yet is created by running its file; an existing one is never touched.
 */
import type pg from 'pg';
import type { MigrationReport } from '../results';
import { InterruptedError, MigrationFailedError } from '../errors';
import { inTransaction } from '../db/transaction';
import { stepError, withLockRetries, type PhaseContext } from './phase';
import type { SqlFile } from '../source';
import { now } from '../clock';

export type TablesReport = MigrationReport['tables'];

export interface DeclaredTable {
  file: SqlFile;
  schema?: string;
  table: string;
}

/** "010_users.sql" declares users; "020_billing.invoices.sql" declares billing.invoices. */
export function declaredTable(file: SqlFile): DeclaredTable {
  const base = file.name.replace(/\.sql$/i, '').replace(/^\d+[_-]/, '');
  const dot = base.indexOf('.');
  return dot > 0 ? { file, schema: base.slice(0, dot), table: base.slice(dot + 1) } : { file, table: base };
}

export function qualifiedName(declared: Pick<DeclaredTable, 'schema' | 'table'>): string {
  return declared.schema ? `${declared.schema}.${declared.table}` : declared.table;
}

/** Which of the declared tables exist, resolved the way an unqualified CREATE TABLE would be. */
async function existingTables(client: pg.Client, tables: DeclaredTable[]): Promise<boolean[]> {
  const { rows } = await client.query<{ exists: boolean }>(
    `SELECT to_regclass(CASE WHEN schema IS NULL THEN quote_ident(tbl)
                             ELSE quote_ident(schema) || '.' || quote_ident(tbl) END) IS NOT NULL AS exists
       FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS declared(schema, tbl, n)
      ORDER BY n`,
    [tables.map((t) => t.schema ?? null), tables.map((t) => t.table)],
  );
  return rows.map((row) => row.exists);
}

/** The declared tables that do not exist yet. */
export async function planTablesPhase(context: PhaseContext, files: SqlFile[]): Promise<DeclaredTable[]> {
  const declared = files.map(declaredTable);
  if (declared.length === 0) return [];
  const exists = await existingTables(context.client, declared);
  return declared.filter((_, index) => !exists[index]);
}

export async function runTablesPhase(context: PhaseContext, files: SqlFile[]): Promise<TablesReport> {
  const { client, logger, signal } = context;
  const declared = files.map(declaredTable);
  const report: TablesReport = { created: [], existing: [] };
  if (declared.length === 0) return report;

  const exists = await existingTables(client, declared);
  for (const [index, table] of declared.entries()) {
    const name = qualifiedName(table);
    if (exists[index]) {
      report.existing.push(name);
      continue;
    }
    InterruptedError.throwIfAborted(signal);
    const started = now();
    try {
      await withLockRetries(context, () => table.file.name, () =>
        inTransaction(client, async () => {
          await client.query(table.file.sql);
          const [created] = await existingTables(client, [table]);
          if (!created) {
            throw new MigrationFailedError(
              `tables/${table.file.name} ran but did not create table ${name}: a file in tables/ must create the table it is named after`,
              'tables',
              table.file.name,
            );
          }
        }),
      );
    } catch (error) {
      if (error instanceof MigrationFailedError) throw error;
      throw stepError(error, context, { phase: 'tables', file: table.file.name, sql: table.file.sql });
    }
    report.created.push(name);
    logger.info({ file: table.file.name, table: name, durationMs: Math.round(now() - started) }, 'table created');
  }
  return report;
}
