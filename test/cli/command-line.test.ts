/**
 * The CLI as people type it: the connection and the folder as flags (--url/-d, --migrations-dir)
 * winning over the environment; what happens with no connection set at all (which address is
 * tried and why, and read commands that do not wait unless --wait); typos answered with the
 * name meant; help that points where the documentation is.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runMigrator, summaryLine } from '../support/cli';
import { appliedVersions, type TestDatabase } from '../support/database';
import { tempMigrations, type TempMigrations } from '../support/fixtures';
import { withFreshDatabase } from '../support/fresh';

const NOWHERE = 'postgres://nobody:pw@127.0.0.1:1/none';
const DEFAULTS_SAID = "no DATABASE_URL or PG* variable set: trying postgres@localhost:5432/postgres (libpq's defaults)";

describe('--url, -d and --migrations-dir', () => {
  let db: TestDatabase;
  let migrations: TempMigrations;
  withFreshDatabase('basic', (fresh) => ({ db, migrations } = fresh));

  test('they stand for DATABASE_URL and MIGRATIONS_DIR, before or after the command', async () => {
    const up = await runMigrator(['--url', db.url, '--migrations-dir', migrations.dir, 'up']);
    expect(up.code).toBe(0);
    expect(await appliedVersions(db)).toHaveLength(2);

    const status = await runMigrator(['status', '-d', db.url, `--migrations-dir=${migrations.dir}`, '--json']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ steps: [] });
  });

  test('a flag wins over its variable: DATABASE_URL, DATABASE_URL_FILE and MIGRATIONS_DIR are not read', async () => {
    const secret = `${migrations.dir}.url`;
    writeFileSync(secret, `${NOWHERE}\n`);
    const env = { DATABASE_URL_FILE: secret, MIGRATIONS_DIR: '/no/such/folder', MIGRATOR_WAIT_TIMEOUT: '1' };

    const result = await runMigrator(['up', '-d', db.url, '--migrations-dir', migrations.dir], { env }).finally(() => rmSync(secret));
    const overEnv = await runMigrator(['history', '--url', db.url, '--json', '--migrations-dir', migrations.dir], {
      env: { DATABASE_URL: NOWHERE, MIGRATOR_WAIT_TIMEOUT: '1' },
    });

    expect(result.code).toBe(0);
    expect(await appliedVersions(db)).toHaveLength(2);
    expect(overEnv.code).toBe(0);
    expect(JSON.parse(overEnv.stdout)).toHaveLength(2);
  });

  test('a bad value is named by its flag (exit 2), and the database is not touched', async () => {
    const url = await runMigrator(['up', '--url', 'mysql://root:pw@localhost/db', '--migrations-dir', migrations.dir]);
    const folder = await runMigrator(['up', '--url', db.url, '--migrations-dir', '/no/such/folder']);
    const blank = await runMigrator(['up', '--url', ' ', '--migrations-dir', migrations.dir]);
    const missing = await runMigrator(['status', '-d']);

    expect([url.code, folder.code, blank.code, missing.code]).toEqual([2, 2, 2, 2]);
    expect(summaryLine(url)).toMatchObject({ variable: '--url', msg: expect.stringMatching(/^--url must be a URL like /) });
    expect(summaryLine(folder)).toMatchObject({
      variable: '--migrations-dir',
      msg: '--migrations-dir /no/such/folder is not a readable directory',
    });
    expect(summaryLine(blank)).toMatchObject({ variable: '--url', msg: '--url needs a value' });
    expect(missing.stderr).toMatch(/^migrator: option --url needs a value\n/);
    expect(await appliedVersions(db)).toEqual([]);
  });

  test('a misspelled flag or command is answered with the one meant', async () => {
    const flag = await runMigrator(['status', '--urll', db.url]);
    const help = await runMigrator(['help', 'stauts']);
    const dryRun = await runMigrator(['up', '--dryrun', '--url', db.url]);

    expect([flag.code, help.code, dryRun.code]).toEqual([2, 2, 2]);
    expect(flag.stderr).toMatch(/^migrator: unknown option --urll for status \(did you mean --url\?\)\n\nUsage: migrator status /);
    expect(help.stderr).toMatch(/^migrator: help takes one command name \(did you mean "status"\?\)\n\nUsage: migrator \[command\]/);
    expect(dryRun.stderr).toMatch(/^migrator: unknown option --dryrun for up \(did you mean --dry-run\?\)/);
    expect(`${flag.stdout}${help.stdout}${dryRun.stdout}`).toBe('');
    expect(await appliedVersions(db)).toEqual([]);
  });
});

describe('no connection set at all', () => {
  // runMigrator's environment has no DATABASE_URL and no PG* variable: libpq's defaults, where nothing listens here.
  const folder = { MIGRATIONS_DIR: path.resolve(__dirname, '..', 'fixtures', 'basic') };

  test.each([['status'], ['check'], ['plan'], ['history'], ['verify']])(
    '%s says which address it tries and why, tries it once and exits 4 at once',
    async (command) => {
      const result = await runMigrator([command], { env: { ...folder, MIGRATOR_WAIT_TIMEOUT: '60' } });

      expect(result.code).toBe(4);
      expect(result.durationMs).toBeLessThan(15_000);
      expect(result.stderr).toContain(`${DEFAULTS_SAID}, once (${command} --wait waits for it)`);
      expect(result.stderr).not.toContain('retrying');
      expect(summaryLine(result).msg).toMatch(/^database postgres@localhost:5432\/postgres not reachable: /);
    },
  );

  test('fleet status says so too and tries once; with --wait it waits up to MIGRATOR_WAIT_TIMEOUT', async () => {
    const migrations = tempMigrations('basic');
    try {
      migrations.write('targets.txt', 'schema:tenant_a\nschema:tenant_b\n');
      const args = ['fleet', 'status', '--targets-file', path.join(migrations.dir, 'targets.txt')];
      // Long enough that a process start on a loaded machine stays well inside it.
      const env = { ...folder, MIGRATOR_WAIT_TIMEOUT: '6' };

      const once = await runMigrator(args, { env });
      const waiting = await runMigrator([...args, '--wait'], { env });

      expect([once.code, waiting.code]).toEqual([4, 4]);
      expect(once.stderr).toContain(`${DEFAULTS_SAID}, once (fleet --wait waits for it)`);
      expect(once.durationMs).toBeLessThan(6000);
      expect(waiting.stderr).toContain(`${DEFAULTS_SAID}"`);
      expect(waiting.durationMs).toBeGreaterThanOrEqual(6000);
    } finally {
      migrations.remove();
    }
  });

  test.each([
    ['status --wait', ['status', '--wait']],
    ['up, as an init container started before its database', ['up']],
  ])('%s: says so too, and waits up to MIGRATOR_WAIT_TIMEOUT', async (_case, args) => {
    const result = await runMigrator(args, { env: { ...folder, MIGRATOR_WAIT_TIMEOUT: '2' } });

    expect(result.code).toBe(4);
    expect(result.durationMs).toBeGreaterThanOrEqual(2000);
    expect(`${result.stdout}${result.stderr}`).toContain(`${DEFAULTS_SAID}"`);
    expect(summaryLine(result).msg).toMatch(/not reachable within 2s \(\d+ attempts\)/);
  });

  test('with any connection setting (a PG* variable, DATABASE_URL or --url) nothing is said and reads wait as before', async () => {
    const env = { ...folder, MIGRATOR_WAIT_TIMEOUT: '2' };
    const results = await Promise.all([
      runMigrator(['status'], { env: { ...env, PGPORT: '1' } }),
      runMigrator(['check'], { env: { ...env, DATABASE_URL: NOWHERE } }),
      runMigrator(['history', '--url', NOWHERE], { env }),
    ]);

    for (const result of results) {
      expect(result.code).toBe(4);
      expect(result.stderr).not.toContain('PG* variable set');
      expect(summaryLine(result).msg).toMatch(/not reachable within 2s/);
    }
  });

  test('a command that does not use the database says nothing of it', async () => {
    const migrations = tempMigrations('basic');
    try {
      const result = await runMigrator(['new', 'add_notes'], { env: { MIGRATIONS_DIR: migrations.dir } });

      expect(result.code).toBe(0);
      expect(summaryLine(result)).toMatchObject({ msg: 'migration created' });
      expect(`${result.stdout}${result.stderr}`).not.toContain('PG* variable set');
    } finally {
      migrations.remove();
    }
  });
});

describe('help', () => {
  const manifest = JSON.parse(readFileSync(path.resolve(__dirname, '..', '..', 'package.json'), 'utf8')) as {
    repository: { url: string };
    files: string[];
  };
  const repository = manifest.repository.url.replace(/^git\+/, '').replace(/\.git$/, '');

  test("points to the repository's documentation, not to a docs/ folder the package does not ship", async () => {
    const texts = [(await runMigrator(['--help'])).stdout];
    for (const command of ['up', 'status', 'check', 'baseline', 'import', 'fleet', 'rollback']) {
      texts.push((await runMigrator(['help', command])).stdout);
    }

    expect(manifest.files).not.toContain('docs');
    expect(texts[0]).toContain(`${repository}/blob/main/docs/configuration.md`);
    expect(texts[0]).toMatch(/-d, --url URL +the database, as DATABASE_URL/);
    expect(texts[0]).toMatch(/--migrations-dir DIR +the folder holding/);
    for (const text of texts) {
      expect(text).not.toMatch(/(^|[\s(])docs\//);
      expect(text).toContain('Usage: migrator');
    }
    expect(texts.join('\n')).toContain(`${repository}/blob/main/docs/adopting.md`);
  });
});
