/**
 * Knex: migrations are JavaScript/TypeScript files (exports.up, exports.down), so there is nothing
 * to import; their SQL goes into versioned files by hand, which baseline maps to Knex's history by
 * a mapping file or --up-to. Its table `knex_migrations(id, name, batch, migration_time)` has one
 * row per applied migration, named by its file name with the extension; a rollback deletes the
 * rows of the batch, and running the migration again inserts a new one. A failed migration leaves
 * no row, but `knex_migrations_lock(index, is_locked)` keeps is_locked = 1 while a run goes on,
 * and after a run that stopped without freeing it (as Knex's Migrator.js locks and unlocks).
 * The tableName and schemaName options move both tables: --table schema.name.
 */
import type pg from 'pg';
import { ValidationError } from '../errors';
import { columnsOf, requireColumns, tableColumns } from './history-table';
import type { SourceTool } from './tool';

const TABLE = 'knex_migrations';

export const knex: SourceTool = {
  name: 'knex',
  table: TABLE,
  layout: 'JavaScript/TypeScript migration files',
  mapped: true,

  async readHistory(client, table = TABLE) {
    requireColumns(table, 'Knex', await columnsOf(client, table, 'Knex'), ['id', 'name', 'batch', 'migration_time']);
    await refuseLocked(client, `${table}_lock`);
    const { rows } = await client.query<{ name: string }>(`SELECT name FROM ${table} ORDER BY id`);
    const applied = new Set(rows.map((row) => row.name));
    return { recorded: [...applied], isApplied: (name) => applied.has(name), earlierImplied: false };
  },
};

/** A held lock: a run is under way (its rows not all there yet), or one stopped half-way. */
async function refuseLocked(client: pg.Client, lockTable: string): Promise<void> {
  const columns = await tableColumns(client, lockTable);
  if (!columns?.includes('is_locked')) return;
  const { rows } = await client.query<{ locked: boolean }>(`SELECT bool_or(is_locked = 1) AS locked FROM ${lockTable}`);
  if (rows[0].locked !== true) return;
  throw new ValidationError(
    `${lockTable}.is_locked is 1: a knex migrate run is going on now, or one stopped without freeing its lock (some of its changes may be in place). ` +
      `Wait for the run to finish; if none is running, check that the database holds what ${lockTable.replace(/_lock$/, '')} records, ` +
      'free the lock with knex migrate:unlock, and baseline again',
  );
}
