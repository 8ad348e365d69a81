/**
 * The password never leaves the process: not in logs, errors, command results or stack traces,
 * whether it came from DATABASE_URL or a secret file, on success or failure.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { runMigrator, type CliResult } from '../support/cli';
import type { TestDatabase } from '../support/database';
import type { TempMigrations } from '../support/fixtures';
import { withFreshDatabase } from '../support/fresh';

// Characters that need escaping in URLs and JSON, so every encoded form is exercised.
const PASSWORD = `s3cr"et p@ss/w:rd%'`;
const FORMS = [PASSWORD, encodeURIComponent(PASSWORD), JSON.stringify(PASSWORD).slice(1, -1), 's3cr'];

describe('secrets', () => {
  let db: TestDatabase;
  let migrations: TempMigrations;
  withFreshDatabase('basic', (fresh) => ({ db, migrations } = fresh));

  test('no output of any command, successful or failing, contains the password in any form', async () => {
    const role = `owner_${db.name}`;
    await db.query(`CREATE ROLE ${role} LOGIN PASSWORD '${PASSWORD.replace(/'/g, "''")}'; ALTER DATABASE ${db.name} OWNER TO ${role};
                    GRANT ALL ON SCHEMA public TO ${role}`);
    const url = `postgres://${role}:${encodeURIComponent(PASSWORD)}@${db.host}:${db.port}/${db.name}`;
    const passwordFile = path.join(migrations.dir, 'password');
    writeFileSync(passwordFile, `${PASSWORD}\n`);
    const fromUrl = { DATABASE_URL: url, MIGRATIONS_DIR: migrations.dir, LOG_LEVEL: 'trace' };
    const fromFile = {
      PGHOST: db.host,
      PGPORT: String(db.port),
      PGUSER: role,
      PGDATABASE: db.name,
      PGPASSWORD_FILE: passwordFile,
      MIGRATIONS_DIR: migrations.dir,
      LOG_LEVEL: 'trace',
    };

    migrations.write('versioned/3_broken.sql', 'SELECT 1/0;');
    const results: CliResult[] = [];
    for (const env of [fromUrl, fromFile]) {
      results.push(await runMigrator(['up'], { env }));
      results.push(await runMigrator(['status', '--json'], { env }));
      results.push(await runMigrator(['plan', '--sql'], { env }));
      results.push(await runMigrator(['check'], { env }));
      results.push(await runMigrator(['rollback', '--yes'], { env }));
      results.push(await runMigrator(['up'], { env: { ...env, LOG_FORMAT: 'pretty' } }));
    }
    results.push(await runMigrator(['up'], { env: { ...fromUrl, DATABASE_URL: url.replace(`/${db.name}`, '/missing') } }));
    results.push(
      await runMigrator(['up'], { env: { ...fromUrl, DATABASE_URL: url.replace(`:${db.port}/`, ':1/'), MIGRATOR_WAIT_TIMEOUT: '0.5' } }),
    );
    results.push(await runMigrator(['up'], { env: { ...fromUrl, DATABASE_URL: url.replace(`:${db.port}/`, ':port/') } }));
    migrations.write('versioned/3_broken.sql', 'SELECT 1;');
    results.push(await runMigrator(['up'], { env: fromUrl }));
    results.push(await runMigrator(['history', '--json'], { env: fromUrl }));

    expect(results.map((result) => result.code)).toEqual([1, 0, 0, 3, 0, 1, 1, 0, 0, 3, 0, 1, 4, 4, 2, 0, 0]);
    for (const result of results) {
      expect(result.stdout.length + result.stderr.length).toBeGreaterThan(0);
      for (const form of FORMS) {
        expect(result.stdout).not.toContain(form);
        expect(result.stderr).not.toContain(form);
      }
    }
  });
});
