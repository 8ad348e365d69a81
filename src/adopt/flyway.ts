/**
 * Flyway: versioned files `V{version}__{description}.sql` (the version's parts joined by . or _),
 * undo files `U{version}__...` (its paid editions), repeatable ones `R__{description}.sql`; its table
 * `flyway_schema_history` has one row per run, in installed_rank order, with success false for a
 * failed one, and a BASELINE row when `flyway baseline` marked everything up to a version applied.
 */
import { ValidationError } from '../errors';
import { columnsOf } from './history-table';
import { readText, refuseDuplicate, refuseUnrecognized, sqlFileNames, titleOf } from './folder';
import type { ConvertedMigration, ConvertedRepeatable, SourceTool } from './tool';

const VERSIONED = /^([VU])(\d+(?:[._]\d+)*)__(.+)\.sql$/i;
const REPEATABLE = /^R__(.+)\.sql$/i;
const TABLE = 'flyway_schema_history';

interface HistoryRow {
  version: string | null;
  type: string;
  script: string;
  success: boolean;
}

export const flyway: SourceTool = {
  name: 'flyway',
  table: TABLE,
  layout: 'V{version}__{description}.sql files',
  recognizes: (fileNames) => fileNames.some((name) => VERSIONED.test(name) || REPEATABLE.test(name)),

  convertFolder(dir) {
    const byVersion = new Map<string, ConvertedMigration & { upFile?: string; downFile?: string }>();
    for (const fileName of sqlFileNames(dir)) {
      // Repeatable files become repeatable/ files: convertRepeatable.
      if (REPEATABLE.test(fileName)) continue;
      const match = VERSIONED.exec(fileName);
      if (!match) refuseUnrecognized('flyway', fileName, 'V{version}__{description}.sql or U{version}__{description}.sql');
      const version = normalizeVersion(match[2]);
      const migration = byVersion.get(version) ?? { version, title: titleOf(match[3]), sources: [], up: '', inTransaction: true };
      const undo = match[1].toUpperCase() === 'U';
      const earlier = undo ? migration.downFile : migration.upFile;
      if (earlier) refuseDuplicate('flyway', version, [earlier, fileName]);
      if (undo) {
        migration.downFile = fileName;
        migration.down = readText(dir, fileName);
      } else {
        migration.upFile = fileName;
        migration.up = readText(dir, fileName);
        migration.title = titleOf(match[3]);
      }
      byVersion.set(version, migration);
    }
    const migrations = [...byVersion.values()].sort((a, b) => compareVersions(a.version, b.version));
    return migrations.map(({ upFile, downFile, ...migration }) => {
      if (!upFile) throw new ValidationError(`${downFile} undoes version ${migration.version}, which has no V file`, downFile);
      // The up file first, as the mapping and the header name them.
      return { ...migration, sources: downFile ? [upFile, downFile] : [upFile] };
    });
  },

  convertRepeatable(dir) {
    // Flyway runs repeatable migrations in the order of their descriptions, the underscores of the
    // name read as spaces, compared as Java strings (UTF-16 code units), as its resolver's
    // comparator does.
    const description = (fileName: string) => REPEATABLE.exec(fileName)![1].replace(/_/g, ' ');
    return sqlFileNames(dir)
      .filter((fileName) => REPEATABLE.test(fileName))
      .sort((a, b) => (description(a) < description(b) ? -1 : description(a) > description(b) ? 1 : 0))
      .map((fileName): ConvertedRepeatable => ({
        title: titleOf(REPEATABLE.exec(fileName)![1]),
        source: fileName,
        sql: readText(dir, fileName),
      }));
  },

  async readHistory(client) {
    await columnsOf(client, TABLE, 'Flyway');
    const { rows } = await client.query<HistoryRow>(`SELECT version, type, script, success FROM ${TABLE} ORDER BY installed_rank`);
    const applied = new Set<string>();
    let baselineVersion: string | undefined;
    for (const row of rows) {
      if (!row.success) {
        throw new ValidationError(
          `Flyway's run of ${row.script} failed (its row in ${TABLE} has success false): repair the database by hand, remove the row with flyway repair, and baseline again`,
        );
      }
      // Repeatable migrations and the row for a schema Flyway created have no version.
      if (row.version === null) continue;
      if (/^UNDO|^DELETE$/i.test(row.type)) {
        throw new ValidationError(
          `${TABLE} has a ${row.type} row for version ${row.version} (${row.script}): only a history of migrations applied forward can be baselined`,
        );
      }
      if (row.type === 'BASELINE') baselineVersion = normalizeVersion(row.version);
      else applied.add(normalizeVersion(row.version));
    }
    return {
      recorded: [...applied],
      isApplied: (version) => applied.has(version) || (baselineVersion !== undefined && compareVersions(version, baselineVersion) <= 0),
      earlierImplied: false,
    };
  },
};

/** Flyway compares versions part by part as numbers: 1_1, 1.1 and 01.1.0 are one version, written 1.1 here. */
function normalizeVersion(version: string): string {
  const parts = version.split(/[._]/).map((part) => BigInt(part).toString());
  while (parts.length > 1 && parts.at(-1) === '0') parts.pop();
  return parts.join('.');
}

function compareVersions(a: string, b: string): number {
  const left = a.split('.').map(BigInt);
  const right = b.split('.').map(BigInt);
  for (let at = 0; at < Math.max(left.length, right.length); at++) {
    const difference = (left[at] ?? 0n) - (right[at] ?? 0n);
    if (difference !== 0n) return difference < 0n ? -1 : 1;
  }
  return 0;
}
