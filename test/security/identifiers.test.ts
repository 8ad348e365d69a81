/** Identifiers from file names and catalogs are quoted: awkward table names go through all three phases. */
import { runMigrator, summaryLine } from '../support/cli';
import { tableNames, type TestDatabase } from '../support/database';
import type { TempMigrations } from '../support/fixtures';
import { withFreshDatabase } from '../support/fresh';

const AWKWARD = ['Order Items', 'select', 'we"ird', 'MixedCase', 'semi;colon'];
const quoted = (name: string) => `"${name.replace(/"/g, '""')}"`;
const literal = (name: string) => `'${name.replace(/'/g, "''")}'`;

describe('awkward identifiers', () => {
  let db: TestDatabase;
  let migrations: TempMigrations;
  let env: Record<string, string>;
  withFreshDatabase(undefined, (fresh) => ({ db, migrations, env } = fresh));

  test('tables with spaces, quotes, capitals and reserved words go through legacy, tables and versioned', async () => {
    AWKWARD.forEach((name, index) => {
      migrations.write(`tables/0${index + 1}0_${name}.sql`, `CREATE TABLE ${quoted(name)} (id int PRIMARY KEY);`);
      migrations.write(
        `versioned/${index + 1}_add_note_${index + 1}.sql`,
        `ALTER TABLE ${quoted(name)} ADD COLUMN IF NOT EXISTS note text;`,
      );
    });
    migrations.write(
      'legacy/001_seed_awkward.sql',
      `DO $$ BEGIN IF to_regclass(${literal(quoted('we"ird'))}) IS NOT NULL THEN
         INSERT INTO ${quoted('we"ird')} (id) SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM ${quoted('we"ird')});
       END IF; END $$;`,
    );

    const first = await runMigrator(['up'], { env });
    const second = await runMigrator(['up'], { env });
    const status = await runMigrator(['status', '--json'], { env });

    expect(first.code).toBe(0);
    expect(summaryLine(first)).toMatchObject({ tables: 5, versioned: 5 });
    expect(await tableNames(db)).toEqual([...AWKWARD, 'migrations', 'migrator_declared_columns', 'migrator_schema_fingerprint'].sort());
    for (const name of AWKWARD) {
      const columns = await db.query(`SELECT column_name FROM information_schema.columns WHERE table_name = $1 ORDER BY 1`, [name]);
      expect(columns).toEqual([{ column_name: 'id' }, { column_name: 'note' }]);
    }
    // The legacy script found the table on the second run and seeded it once.
    expect(summaryLine(second)).toMatchObject({ legacy: 1, tables: 0, versioned: 0 });
    expect(await db.query(`SELECT id FROM ${quoted('we"ird')}`)).toEqual([{ id: 1 }]);
    expect(JSON.parse(status.stdout).steps).toEqual([]);
  });
});
