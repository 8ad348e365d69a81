/**
 * TypeORM: migrations are classes (`CreateUsers1680000000000` with up and down methods), so there
 * is nothing to import; their SQL goes into versioned files by hand, which baseline maps to
 * TypeORM's history by a mapping file or --up-to. Its table `migrations(id, timestamp, name)` (as
 * TypeORM's MigrationExecutor.ts creates it) has one row per applied migration, named by its
 * class; a failed migration leaves no row. Its default name is the one this migrator's history
 * table has, and both cannot live in one database: TypeORM's is read once renamed,
 * `typeorm_migrations` by default here, another name (its migrationsTableName) with --table.
 */
import type pg from 'pg';
import { ValidationError } from '../errors';
import { HISTORY_TABLE } from '../history';
import { columnsOf, requireColumns, tableColumns } from './history-table';
import type { SourceTool } from './tool';

const TABLE = 'typeorm_migrations';
const COLUMNS = ['id', 'timestamp', 'name'];

export const typeorm: SourceTool = {
  name: 'typeorm',
  table: TABLE,
  layout: 'TypeScript/JavaScript migration classes',
  mapped: true,

  async readHistory(client, table = TABLE) {
    const columns = (await tableColumns(client, table)) ?? (await columnsOrRefusal(client, table));
    // This migrator's history has id and name too: its hash tells it apart, never read as TypeORM's.
    if (columns.includes('hash')) {
      throw new ValidationError(
        `${table} is this migrator's own history (columns id, name, hash), not TypeORM's (id, timestamp, name): name TypeORM's table with --table`,
      );
    }
    requireColumns(table, 'TypeORM', columns, COLUMNS);
    if (table.split('.').at(-1) === HISTORY_TABLE) throw sharedName(table, '');
    const { rows } = await client.query<{ name: string }>(`SELECT name FROM ${table} ORDER BY id`);
    const applied = new Set(rows.map((row) => row.name));
    return { recorded: [...applied], isApplied: (name) => applied.has(name), earlierImplied: false };
  },
};

/** No such table: refused, saying so when TypeORM's is there under its own default name. */
async function columnsOrRefusal(client: pg.Client, table: string): Promise<string[]> {
  const typeormDefault = table === TABLE ? await tableColumns(client, HISTORY_TABLE) : undefined;
  if (typeormDefault && COLUMNS.every((column) => typeormDefault.includes(column)) && !typeormDefault.includes('hash')) {
    throw sharedName(HISTORY_TABLE, `there is no table ${TABLE} on the search_path, and `);
  }
  return columnsOf(client, table, 'TypeORM');
}

/** TypeORM's table under the name this migrator's history takes: renamed first, as the history refuses it. */
function sharedName(table: string, lead: string): ValidationError {
  const renamed = table.replace(new RegExp(`${HISTORY_TABLE}$`), TABLE);
  return new ValidationError(
    `${lead}${table} is TypeORM's migration history (columns id, timestamp, name), under the name this migrator's history table has, ` +
      `which the two cannot share: rename it (ALTER TABLE ${table} RENAME TO ${TABLE}; where TypeORM still runs, set its migrationsTableName ` +
      `to ${TABLE}), then baseline --from typeorm${renamed === TABLE ? '' : ` --table ${renamed}`} again`,
  );
}
