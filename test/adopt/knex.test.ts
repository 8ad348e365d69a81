/**
 * Adopting from Knex: the shared suite over knex_migrations as Knex writes it (several batches, a
 * failed run, a batch rolled back and run again), then what is Knex's own: its lock, names with
 * their extension, and its tables moved by the tableName and schemaName options.
 */
import { runMigrator, summaryLine } from '../support/cli';
import { KNEX, realisticHistory } from '../support/code-tools';
import { appliedVersions } from '../support/database';
import { describeMappedAdoption, escaped, FILE_COUNT, mappedFixture } from '../support/mapped-adoption';

describeMappedAdoption(KNEX);

describe('adopting from Knex', () => {
  const fixture = mappedFixture(KNEX);

  test('a held knex_migrations_lock, and a name without its extension, are refused, writing nothing', async () => {
    await realisticHistory(fixture.db, KNEX);
    fixture.writeFiles();
    const lines = fixture.mappingLines();
    lines[0][0] = lines[0][0].replace(/\.js$/, '');
    await fixture.expectRefused(
      { mapping: fixture.writeMapping(lines) },
      new RegExp(
        `records knex migration ${escaped(KNEX.nameOf(0))} as applied, but .* has no line for it \\(line 2 names ${lines[0][0]}: the name must be as knex_migrations records it\\)`,
      ),
    );
    // A run going on, or one that stopped half-way (without transactions) and never freed it.
    await fixture.db.query('update "knex_migrations_lock" set "is_locked" = 1');
    await fixture.expectRefused(
      { mapping: fixture.writeMapping() },
      /knex_migrations_lock\.is_locked is 1: a knex migrate run is going on now, or one stopped without freeing its lock .* free the lock with knex migrate:unlock, and baseline again/,
    );
  });

  test('--table schema.name reads the tables where schemaName and tableName put them', async () => {
    await realisticHistory(fixture.db, KNEX);
    await fixture.db.query(
      'CREATE SCHEMA ops; ALTER TABLE knex_migrations SET SCHEMA ops; ALTER TABLE knex_migrations_lock SET SCHEMA ops',
    );
    await fixture.db.query(
      'ALTER TABLE ops.knex_migrations RENAME TO history; ALTER TABLE ops.knex_migrations_lock RENAME TO history_lock',
    );
    fixture.writeFiles();
    const mapping = fixture.writeMapping();
    await fixture.expectRefused({ mapping }, /there is no table knex_migrations on the search_path/);
    await fixture.expectRefused({ mapping, table: 'Ops.History' }, /--table takes the tool's history table as name or schema\.name/);
    await fixture.db.query('UPDATE ops.history_lock SET is_locked = 1');
    await fixture.expectRefused({ mapping, table: 'ops.history' }, /ops\.history_lock\.is_locked is 1/);
    await fixture.db.query('UPDATE ops.history_lock SET is_locked = 0');

    const result = await fixture.baseline('--mapping', mapping, '--table', 'ops.history');

    expect(summaryLine(result)).toMatchObject({ outcome: 'ok', recorded: FILE_COUNT });
  });

  test('--mapping, --up-to and --table with another tool or without --from, and import --from knex, are refused', async () => {
    const refusals: Array<[string[], RegExp]> = [
      [
        ['baseline', '--from', 'flyway', '--up-to', '2'],
        /^--mapping, --up-to and --table are for --from knex, typeorm or kysely, whose migrations are code/,
      ],
      [['baseline', '2', '--table', 'ops.history'], /^--mapping, --up-to and --table go with --from knex\|typeorm\|kysely/],
      [
        ['import', '--from', 'knex', fixture.migrations.dir],
        /\(got "knex"\) \(knex migrations are code: write their SQL in versioned files, then baseline --from knex with --mapping or --up-to/,
      ],
    ];
    for (const [args, message] of refusals) {
      const result = await runMigrator(args, { env: fixture.env });
      expect({ args, code: result.code, msg: summaryLine(result).msg }).toEqual({ args, code: 2, msg: expect.stringMatching(message) });
    }
    expect(await appliedVersions(fixture.db)).toEqual([]);
  });
});
