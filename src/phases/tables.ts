/**
 * Phase 2, table creation: each file in tables/ declares one table in its current shape and is
 * named after it ([NNN_]table.sql, or [NNN_]schema.table.sql). A declared table that does not
 * exist yet is created by running its file (dry-run while planning, so that a failing file or one
 * that does not create its table stops the run before anything is written); an existing one is
 * never touched.
 */
import type pg from 'pg';
import { runFileThenReset } from '../db/script';
import { MigrationFailedError } from '../errors';
import type { SqlFile } from '../source';
import type { Phase, Step } from './phase';

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

type TableStep = Step & { table: string; declared: DeclaredTable };

/** Fails the step when the file ran but the table it is named after does not exist. */
async function assertCreated(client: pg.Client, step: TableStep): Promise<void> {
  const [created] = await existingTables(client, [step.declared]);
  if (!created) {
    throw new MigrationFailedError(
      `tables/${step.file} ran but did not create table ${step.table}: a file in tables/ must create the table it is named after`,
      'tables',
      step.file,
    );
  }
}

export const tables: Phase<TableStep> = {
  name: 'tables',

  async plan(context) {
    const declared = context.files.tables.map(declaredTable);
    if (declared.length === 0) return { steps: [] };
    const exists = await existingTables(context.client, declared);
    const steps = declared
      .filter((_, index) => !exists[index])
      .map((table): TableStep => {
        const name = qualifiedName(table);
        return {
          phase: 'tables',
          kind: 'table',
          file: table.file.name,
          action: `create table ${name}`,
          sql: table.file.sql,
          table: name,
          declared: table,
          transaction: 'runner',
        };
      });
    if (context.dryRuns) {
      for (const step of steps) {
        await context.dryRunScript(step, step.sql);
        await assertCreated(context.client, step);
      }
    }
    return { steps };
  },

  async apply(context, step) {
    await runFileThenReset(context.client, step.sql);
    await assertCreated(context.client, step);
  },
};
