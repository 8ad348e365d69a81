/**
 * golang-migrate: files `{version}_{title}.up.sql` and `.down.sql` (the version often a timestamp,
 * 20230101120000), applied in version order; its postgres driver's table
 * `schema_migrations(version bigint, dirty boolean)` holds one row, the current version: every
 * version up to it is applied, and dirty means its last run failed half-way.
 */
import { ValidationError } from '../errors';
import { columnsOf } from './history-table';
import { readText, refuseDuplicate, refuseUnrecognized, sqlFileNames, titleOf } from './folder';
import type { ConvertedMigration, SourceTool } from './tool';

const FILE = /^(\d+)_(.*)\.(up|down)\.sql$/i;
const TABLE = 'schema_migrations';

export const golangMigrate: SourceTool = {
  name: 'golang-migrate',
  table: TABLE,
  layout: '{version}_{title}.up.sql and .down.sql pairs',
  recognizes: (fileNames) => fileNames.some((name) => FILE.test(name)),

  convertFolder(dir) {
    const byVersion = new Map<string, ConvertedMigration & { upFile?: string; downFile?: string }>();
    for (const fileName of sqlFileNames(dir)) {
      const match = FILE.exec(fileName);
      if (!match) refuseUnrecognized('golang-migrate', fileName, '{version}_{title}.up.sql or .down.sql');
      const version = BigInt(match[1]).toString();
      const migration = byVersion.get(version) ?? { version, title: titleOf(match[2]), sources: [], up: '', inTransaction: true };
      const direction = match[3].toLowerCase() as 'up' | 'down';
      const earlier = direction === 'up' ? migration.upFile : migration.downFile;
      if (earlier) refuseDuplicate('golang-migrate', version, [earlier, fileName]);
      if (direction === 'up') {
        migration.upFile = fileName;
        migration.up = readText(dir, fileName);
      } else {
        migration.downFile = fileName;
        migration.down = readText(dir, fileName);
      }
      byVersion.set(version, migration);
    }
    const migrations = [...byVersion.values()].sort((a, b) => (BigInt(a.version) < BigInt(b.version) ? -1 : 1));
    return migrations.map(({ upFile, downFile, ...migration }) => {
      if (!upFile) throw new ValidationError(`${downFile} has no .up.sql file of version ${migration.version}`, downFile);
      // The up file first, as the mapping and the header name them.
      return { ...migration, sources: downFile ? [upFile, downFile] : [upFile] };
    });
  },

  async readHistory(client) {
    const columns = await columnsOf(client, TABLE, 'golang-migrate');
    if (!columns.includes('dirty')) {
      throw new ValidationError(
        `${TABLE} has no dirty column, so golang-migrate did not write it (dbmate's table has the same name: use --from dbmate)`,
      );
    }
    const { rows } = await client.query<{ version: string; dirty: boolean }>(`SELECT version::text AS version, dirty FROM ${TABLE}`);
    if (rows.length !== 1) {
      throw new ValidationError(
        `golang-migrate keeps one row in ${TABLE}, the current version; it holds ${rows.length}: ${rows.length === 0 ? 'golang-migrate applied nothing here' : 'fix the table first'}`,
      );
    }
    const [{ version, dirty }] = rows;
    if (dirty) {
      throw new ValidationError(
        `golang-migrate's run of version ${version} failed half-way (${TABLE}.dirty is true): repair the database by hand, ` +
          `then record where it stands with migrate force <version>, and baseline again`,
      );
    }
    const current = BigInt(version);
    return { recorded: [current.toString()], isApplied: (candidate) => BigInt(candidate) <= current, earlierImplied: false };
  },
};
