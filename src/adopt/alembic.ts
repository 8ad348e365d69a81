/**
 * Alembic: revisions are Python files (`revision = 'ae1027a6acf'`, `down_revision = ...`), so
 * there is nothing to convert: their SQL (from `alembic upgrade --sql`, or written by hand) goes
 * into versioned files in revision order, each with a header line `-- migrator: from alembic <rev>`.
 * Its table `alembic_version(version_num)` holds one row, the head: the file of that revision and
 * every file before it (by id) count as applied. The files' ids give the order, not down_revision.
 */
import { ValidationError } from '../errors';
import { columnsOf } from './history-table';
import type { SourceTool } from './tool';

const TABLE = 'alembic_version';

export const alembic: SourceTool = {
  name: 'alembic',
  table: TABLE,
  layout: 'Python revision files',
  recognizes: (fileNames) => fileNames.some((name) => name.endsWith('.py')),

  async readHistory(client) {
    await columnsOf(client, TABLE, 'Alembic');
    const { rows } = await client.query<{ version_num: string }>(`SELECT version_num FROM ${TABLE}`);
    if (rows.length === 0) throw new ValidationError(`${TABLE} is empty: Alembic applied nothing here`);
    if (rows.length > 1) {
      throw new ValidationError(
        `${TABLE} has ${rows.length} heads (${rows.map((row) => row.version_num).join(', ')}): versioned migrations are one line, so merge the branches with alembic merge and upgrade first`,
      );
    }
    const head = rows[0].version_num;
    return { recorded: [head], isApplied: (version) => version === head, earlierImplied: true };
  },
};
