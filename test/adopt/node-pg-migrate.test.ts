/**
 * Adopting from node-pg-migrate: 20 migrations (19 .sql files with up and down sections, one
 * JavaScript file) applied as `node-pg-migrate up` applies them. Import refuses the JavaScript file,
 * writing nothing; with it replaced by a .sql file of the same name, import and baseline, then `up`
 * applies nothing, the data stays and a new migration applies. A missing table is refused.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runMigrator, summaryLine } from '../support/cli';
import { appliedVersions, type TestDatabase } from '../support/database';
import { fixturePath, tempMigrations, type TempMigrations } from '../support/fixtures';
import { withFreshDatabase } from '../support/fresh';
import { nodePgMigrateFiles, nodePgMigrateUp } from '../support/node-pg-migrate';

const NPM = fixturePath('adopt/node-pg-migrate');
const FILES = nodePgMigrateFiles(NPM);
const JS = FILES.find((name) => name.endsWith('.js'))!;

describe('adopting from node-pg-migrate', () => {
  let db: TestDatabase;
  let migrations: TempMigrations;
  let env: Record<string, string>;
  withFreshDatabase(undefined, (fresh) => ({ db, migrations, env } = fresh));

  const importFrom = (folder: string) => runMigrator(['import', '--from', 'node-pg-migrate', folder], { env });
  const versioned = (name = '') => path.join(migrations.dir, 'versioned', name);

  /** The folder with its JavaScript migration replaced by the SQL it runs, as docs/adopting.md says. */
  function withSqlForJs(): TempMigrations {
    const copy = tempMigrations(NPM);
    rmSync(path.join(copy.dir, JS));
    copy.write(
      JS.replace(/\.js$/, '.sql'),
      "-- Up Migration\nINSERT INTO roles (name, description) VALUES ('member', 'Writes posts'), ('admin', 'Runs the site');\n\n-- Down Migration\nDELETE FROM roles;\n",
    );
    return copy;
  }

  test('import refuses the JavaScript file; the folder with its SQL instead imports, baselines, and up applies nothing', async () => {
    await nodePgMigrateUp(db, NPM);
    await db.query("INSERT INTO users (email) VALUES ('kept@example.com')");

    const refused = await importFrom(NPM);
    expect(refused.code).toBe(6);
    expect(summaryLine(refused).msg).toMatch(
      new RegExp(
        `^${JS.replace('.', '\\.')} is a JavaScript/TypeScript migration: node-pg-migrate runs its code, which import cannot turn into SQL`,
      ),
    );
    expect(readdirSync(migrations.dir)).toEqual([]);

    const copy = withSqlForJs();
    try {
      const imported = await importFrom(copy.dir);
      expect(imported.code).toBe(0);
      expect(summaryLine(imported)).toMatchObject({ imported: FILES.length });
    } finally {
      copy.remove();
    }
    const first = FILES[0].replace(/\.sql$/, '');
    expect(readFileSync(versioned(`1_${first}.sql`), 'utf8')).toBe(
      `-- migrator: from node-pg-migrate ${first} (${FILES[0]})\n\n` +
        'CREATE TABLE users (\n  id serial PRIMARY KEY,\n  email text NOT NULL UNIQUE,\n  created_at timestamptz NOT NULL DEFAULT now()\n);\n',
    );
    expect(readFileSync(versioned(`down/1_${first}.sql`), 'utf8')).toBe(
      `-- migrator: from node-pg-migrate ${first} (${FILES[0]})\n\nDROP TABLE users;\n`,
    );
    // The last one has an empty down section: no down file.
    expect(readdirSync(versioned('down')).length).toBe(FILES.length - 1);

    const baseline = await runMigrator(['baseline', '--from', 'node-pg-migrate'], { env });
    expect(baseline.code).toBe(0);
    expect(summaryLine(baseline)).toMatchObject({ recorded: FILES.length });
    const up = await runMigrator(['up'], { env });
    expect(up.code).toBe(0);
    expect(summaryLine(up)).toMatchObject({ versioned: 0, currentVersion: FILES.length });
    expect(await db.query('SELECT email, role FROM users')).toEqual([{ email: 'kept@example.com', role: 'member' }]);

    const created = await runMigrator(['new', 'add_users_name'], { env });
    const file = String(summaryLine(created).file);
    writeFileSync(file, `${readFileSync(file, 'utf8')}ALTER TABLE users ADD COLUMN name text;\n`);
    const next = await runMigrator(['up'], { env });
    expect(next.code).toBe(0);
    expect(summaryLine(next)).toMatchObject({ versioned: 1, currentVersion: FILES.length + 1 });
  });

  test('refuses a database without pgmigrations, writing nothing', async () => {
    const copy = withSqlForJs();
    try {
      expect((await importFrom(copy.dir)).code).toBe(0);
    } finally {
      copy.remove();
    }

    const result = await runMigrator(['baseline', '--from', 'node-pg-migrate'], { env });

    expect(result.code).toBe(6);
    expect(summaryLine(result).msg).toMatch(
      /there is no table pgmigrations on the search_path: this database has no node-pg-migrate history/,
    );
    expect(await appliedVersions(db)).toEqual([]);
  });
});
