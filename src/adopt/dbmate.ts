/**
 * dbmate: files `{version}_{name}.sql` (the version a timestamp) holding both directions, after a
 * `-- migrate:up` and a `-- migrate:down` line; `transaction:false` after either runs it without a
 * transaction. Its table `schema_migrations(version varchar)` has one row per applied version: a
 * file that fails leaves no row, so the table records no failed run.
 */
import { ValidationError } from '../errors';
import { columnsOf } from './history-table';
import { readText, refuseDuplicate, refuseUnrecognized, sqlFileNames, titleOf } from './folder';
import type { SourceTool } from './tool';

const FILE = /^(\d+)_?(.*)\.sql$/i;
const SECTION = /^--\s*migrate:(up|down)\b(.*)$/gim;
const TABLE = 'schema_migrations';

export const dbmate: SourceTool = {
  name: 'dbmate',
  table: TABLE,
  layout: '{version}_{name}.sql files with -- migrate:up and -- migrate:down sections',
  recognizes: (fileNames, read) => fileNames.some((name) => FILE.test(name) && /^--\s*migrate:up\b/im.test(read(name))),

  convertFolder(dir) {
    const seen = new Map<string, string>();
    return sqlFileNames(dir).map((fileName) => {
      const match = FILE.exec(fileName);
      if (!match) refuseUnrecognized('dbmate', fileName, '{version}_{name}.sql');
      const version = match[1];
      const earlier = seen.get(version);
      if (earlier) refuseDuplicate('dbmate', version, [earlier, fileName]);
      seen.set(version, fileName);
      const sections = splitSections(fileName, readText(dir, fileName));
      return { version, title: titleOf(match[2]), sources: [fileName], ...sections };
    });
  },

  async readHistory(client) {
    const columns = await columnsOf(client, TABLE, 'dbmate');
    if (columns.includes('dirty')) {
      throw new ValidationError(`${TABLE} has a dirty column, so golang-migrate wrote it, not dbmate: use --from golang-migrate`);
    }
    const { rows } = await client.query<{ version: string }>(`SELECT version::text AS version FROM ${TABLE} ORDER BY version`);
    const applied = new Set(rows.map((row) => row.version));
    return { recorded: [...applied], isApplied: (version) => applied.has(version), earlierImplied: false };
  },
};

/** The up and down sections of a dbmate file, as dbmate splits them. */
function splitSections(fileName: string, text: string): { up: string; down?: string; inTransaction: boolean } {
  const markers = [...text.matchAll(SECTION)];
  const up = markers.find((marker) => marker[1].toLowerCase() === 'up');
  if (!up) throw new ValidationError(`${fileName} has no -- migrate:up line, which dbmate requires`, fileName);
  const down = markers.find((marker) => marker[1].toLowerCase() === 'down');
  if (down && down.index < up.index)
    throw new ValidationError(`${fileName} has its -- migrate:down section before -- migrate:up`, fileName);
  const upEnd = down ? down.index : text.length;
  const downText = down ? text.slice(down.index + down[0].length).replace(/^\r?\n/, '') : '';
  return {
    up: text.slice(up.index + up[0].length, upEnd).replace(/^\r?\n/, ''),
    ...(downText.trim() !== '' && { down: downText }),
    inTransaction: !/\btransaction:false\b/i.test(up[2]),
  };
}
