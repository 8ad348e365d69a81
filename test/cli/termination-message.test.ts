/** On failure a one-paragraph summary goes to the Kubernetes termination-message file. */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runMigrator } from '../support/cli';
import { docker, ROOT } from '../support/docker';
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
    expect(message).toMatch(
      /^pg-init-migrator up failed with exit code 1 \(a migration failed\): versioned\/3_broken\.sql:2:15 failed: relation "nowhere" does not exist/,
    );
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

  test('MIGRATOR_TERMINATION_LOG from .env is honoured like every other variable', async () => {
    const file = path.join(dir, 'termination-log');
    writeFileSync(path.join(dir, '.env'), `MIGRATOR_TERMINATION_LOG=${file}\nMIGRATOR_ON_AHEAD=never\n`);

    const result = await runMigrator(['up'], { env, cwd: dir });

    expect(result.code).toBe(2);
    expect(readFileSync(file, 'utf8')).toMatch(
      /^pg-init-migrator up failed with exit code 2 \(usage or configuration error\): MIGRATOR_ON_AHEAD must be one of/,
    );
  });

  test('names the command typed after leading global options, even when it is not one, never the option', async () => {
    const file = path.join(dir, 'termination-log');

    const unknown = await runMigrator(['--url', db.url, 'statsu'], { env: { MIGRATOR_TERMINATION_LOG: file } });
    const unknownMessage = readFileSync(file, 'utf8');
    const badFlag = await runMigrator(['-d', db.url, 'check', '--wiat'], { env: { MIGRATOR_TERMINATION_LOG: file } });

    expect([unknown.code, badFlag.code]).toEqual([2, 2]);
    expect(unknownMessage).toMatch(
      /^pg-init-migrator statsu failed with exit code 2 \(usage or configuration error\): unknown command "statsu"/,
    );
    expect(readFileSync(file, 'utf8')).toMatch(/^pg-init-migrator check failed with exit code 2 /);
    expect(unknownMessage + readFileSync(file, 'utf8')).not.toContain(db.password);
  });

  test('MIGRATOR_IMAGE and MIGRATIONS_IMAGE, which compose and the example pipelines set beside the migrator, are left alone; a near miss of ours is not', async () => {
    writeFileSync(path.join(dir, '.env'), 'MIGRATOR_IMAGE=pg-init-migrator:local\nMIGRATIONS_IMAGE=registry.example.com/app-migrations\n');

    const up = await runMigrator(['up'], { env, cwd: dir });
    const misspelled = await runMigrator(['up'], { env: { ...env, MIGRATOR_IMAGES: 'x' }, cwd: dir });

    expect(up.code).toBe(0);
    expect(misspelled.code).toBe(2);
    expect(misspelled.stdout + misspelled.stderr).toContain('MIGRATOR_IMAGES is not a variable the migrator reads');
  });

  test('outside Kubernetes the default /dev/termination-log is not created, even where /dev is writable; an existing one is written', async () => {
    // A container as root: /dev is writable there, as it is in any container without the kubelet's mount.
    const script =
      'node /app/migrator.js up; ls /dev/termination-log; touch /dev/termination-log; node /app/migrator.js up; cat /dev/termination-log';
    const result = await docker([
      'run',
      '--rm',
      '-v',
      `${path.join(ROOT, 'dist')}:/app:ro`,
      '-e',
      'MIGRATIONS_DIR=/tmp',
      '-e',
      'MIGRATOR_ON_AHEAD=never',
      'node:24-bookworm-slim',
      'sh',
      '-c',
      script,
    ]);

    expect(result.stderr).toMatch(/cannot access '\/dev\/termination-log': No such file or directory/);
    expect(result.stdout).toMatch(
      /pg-init-migrator up failed with exit code 2 \(usage or configuration error\): MIGRATOR_ON_AHEAD must be one of warn, fail \(got "never"\)$/,
    );
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
