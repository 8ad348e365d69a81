/** On failure a one-paragraph summary goes to the Kubernetes termination-message file. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runMigrator } from '../support/cli';
import type { TestDatabase } from '../support/database';
import type { TempMigrations } from '../support/fixtures';
import { withFreshDatabase } from '../support/fresh';

describe('termination message', () => {
  let db: TestDatabase;
  let migrations: TempMigrations;
  let env: Record<string, string>;
  let dir: string;
  withFreshDatabase('basic', (fresh) => ({ db, migrations, env } = fresh));
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'migrator-termination-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('a failed run writes what failed, where, and what the exit code means, without the password', async () => {
    const file = path.join(dir, 'termination-log');
    migrations.write('versioned/3_broken.sql', 'SELECT 1;\nSELECT * FROM nowhere;\n');

    const result = await runMigrator(['up'], { env: { ...env, MIGRATOR_TERMINATION_LOG: file } });

    expect(result.code).toBe(1);
    const message = readFileSync(file, 'utf8');
    expect(message).toMatch(/^pg-init-migrator up failed with exit code 1 \(a migration failed\): versioned\/3_broken\.sql:2:15 failed: relation "nowhere" does not exist/);
    expect(message).not.toContain(db.password);
  });

  test('a refused login: the message names the database, never the password', async () => {
    const file = path.join(dir, 'termination-log');
    const result = await runMigrator(['up'], {
      env: { ...env, DATABASE_URL: db.url.replace(encodeURIComponent(db.password), 'wrong-secret'), MIGRATOR_TERMINATION_LOG: file },
    });
    expect(result.code).toBe(4);
    const message = readFileSync(file, 'utf8');
    expect(message).toContain('(the database was unavailable)');
    expect(message).not.toContain('wrong-secret');
  });

  test('a successful run writes nothing; an unwritable path changes nothing about the outcome', async () => {
    const file = path.join(dir, 'termination-log');
    expect((await runMigrator(['up'], { env: { ...env, MIGRATOR_TERMINATION_LOG: file } })).code).toBe(0);
    expect(existsSync(file)).toBe(false);

    migrations.write('versioned/3_broken.sql', 'SELECT 1/0;');
    const result = await runMigrator(['up'], { env: { ...env, MIGRATOR_TERMINATION_LOG: path.join(dir, 'no', 'such', 'folder') } });
    expect(result.code).toBe(1);
  });
});
