/**
 * Kysely: migrations are TypeScript/JavaScript modules (up and down functions), so there is
 * nothing to import; their SQL goes into versioned files by hand, which baseline maps to Kysely's
 * history by a mapping file or --up-to. Its table `kysely_migration(name, timestamp)` has one row
 * per applied migration, keyed by its name, with the time as an ISO string; Kysely applies them
 * in name order. On PostgreSQL it runs every pending migration in one transaction, so no failed
 * run leaves a row, under an advisory lock (as Kysely's postgres-adapter.ts takes it): while that
 * is held, a run is under way and its rows are not visible yet. The migrationTableName and
 * migrationTableSchema options move the table: --table schema.name.
 */
import type pg from 'pg';
import { ValidationError } from '../errors';
import { columnsOf, requireColumns } from './history-table';
import type { SourceTool } from './tool';

const TABLE = 'kysely_migration';
/** Kysely's LOCK_ID, which pg_locks shows as its high and low 32 bits. */
const LOCK_ID = 3853314791062309107n;

export const kysely: SourceTool = {
  name: 'kysely',
  table: TABLE,
  layout: 'TypeScript/JavaScript migration modules',
  mapped: true,

  async readHistory(client, table = TABLE) {
    requireColumns(table, 'Kysely', await columnsOf(client, table, 'Kysely'), ['name', 'timestamp']);
    await refuseRunning(client);
    // Kysely's own order of executed migrations: by time, then by name.
    const { rows } = await client.query<{ name: string }>(`SELECT name FROM ${table} ORDER BY timestamp, name`);
    const applied = new Set(rows.map((row) => row.name));
    return { recorded: [...applied], isApplied: (name) => applied.has(name), earlierImplied: false };
  },
};

async function refuseRunning(client: pg.Client): Promise<void> {
  const { rows } = await client.query<{ pid: number }>(
    `SELECT pid FROM pg_locks
      WHERE locktype = 'advisory' AND granted AND objsubid = 1
        AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND classid::bigint = $1 AND objid::bigint = $2 AND pid <> pg_backend_pid()`,
    [String(LOCK_ID >> 32n), String(LOCK_ID & 0xffffffffn)],
  );
  if (rows.length === 0) return;
  throw new ValidationError(
    `Kysely is migrating this database now (process ${rows[0].pid} holds its migration lock, pg_advisory_lock(${LOCK_ID})), ` +
      'so what it applies is not visible yet: wait for it to finish, then baseline again',
  );
}
