/**
 * DATABASE_URL and the PG* variables, through the CLI against a real server: each setting libpq
 * honours is either honoured the same way or refused with exit 2 naming it, never ignored.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { runMigrator, summaryLine } from '../support/cli';
import type { TestDatabase } from '../support/database';
import type { TempMigrations } from '../support/fixtures';
import { withFreshDatabase } from '../support/fresh';

describe('connection settings', () => {
  let db: TestDatabase;
  let migrations: TempMigrations;
  let env: Record<string, string>;
  let home: string;
  withFreshDatabase(undefined, (fresh) => ({ db, migrations, env } = fresh));
  beforeEach(() => {
    home = mkdtempSync(path.join(os.tmpdir(), 'migrator-home-'));
    // A folder with nothing in it is refused; these tests are about connecting.
    migrations.write('legacy/000_nothing.sql', 'SELECT 1;\n');
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  const run = (extra: Record<string, string | undefined>, args = ['up']) => runMigrator(args, { env: { ...env, HOME: home, ...extra } });
  /** DATABASE_URL without its password, for the tests that give it another way. */
  const urlWithoutPassword = () => db.url.replace(`:${encodeURIComponent(db.password)}@`, '@');

  describe('refused, with exit 2 naming the setting', () => {
    test.each([
      [
        'a misspelled URL parameter',
        { DATABASE_URL: '?sslmod=require' },
        /^DATABASE_URL: parameter sslmod is not a libpq connection parameter \(did you mean sslmode\?\)$/,
      ],
      [
        'an unknown sslmode',
        { DATABASE_URL: '?sslmode=requre' },
        /^DATABASE_URL: sslmode must be one of disable, allow, prefer, require, verify-ca, verify-full \(got "requre"\)$/,
      ],
      ['node-postgres only ssl=true', { DATABASE_URL: '?ssl=true' }, /^DATABASE_URL: parameter ssl is not a libpq connection parameter$/],
      [
        'a service in the URL',
        { DATABASE_URL: '?service=prod' },
        /^DATABASE_URL: parameter service is not supported: connection service files \(pg_service\.conf\)/,
      ],
      ['PGSERVICE', { PGSERVICE: 'prod' }, /^PGSERVICE is not supported: connection service files/],
      ['PGTZ', { PGTZ: 'UTC' }, /^PGTZ is not supported: set server settings with PGOPTIONS instead/],
      ['an unknown PGSSLMODE', { PGSSLMODE: 'no-verify' }, /^PGSSLMODE must be one of/],
      [
        'a misspelled PGSSLMODE',
        { PGSSLMOD: 'require' },
        /^PGSSLMOD is not a libpq variable the migrator reads \(did you mean PGSSLMODE\?\): a misspelled setting is refused/,
      ],
      ['a PGSSL* variable libpq does not have', { PGSSLVERIFY: '1' }, /^PGSSLVERIFY is not a libpq variable the migrator reads: /],
      ['a misspelled PGHOST', { PG_HOST: 'elsewhere' }, /^PG_HOST is not a libpq variable the migrator reads \(did you mean PGHOST\?\)/],
      ['two hosts', { DATABASE_URL: '?host=a,b' }, /^DATABASE_URL: host lists several hosts: the migrator connects to one$/],
      [
        'a misspelled MIGRATOR_ variable',
        { MIGRATOR_LOCK_TIMOUT: '5' },
        /^MIGRATOR_LOCK_TIMOUT is not a variable the migrator reads \(did you mean MIGRATOR_LOCK_TIMEOUT\?\)$/,
      ],
      [
        'a misspelled MIGRATIONS_DIR',
        { MIGRATION_DIR: 'migrations' },
        /^MIGRATION_DIR is not a variable the migrator reads \(did you mean MIGRATIONS_DIR\?\)$/,
      ],
      [
        'a lock timeout PostgreSQL cannot take',
        { MIGRATOR_LOCK_TIMEOUT: '2147484' },
        /^MIGRATOR_LOCK_TIMEOUT must be at most 2147483\.647 seconds/,
      ],
      [
        'a statement timeout PostgreSQL cannot take',
        { MIGRATOR_STATEMENT_TIMEOUT: '9999999999' },
        /^MIGRATOR_STATEMENT_TIMEOUT must be at most 2147483\.647 seconds/,
      ],
    ])('%s', async (_label, settings, message) => {
      const { DATABASE_URL: query, ...variables } = settings as Record<string, string>;
      const result = await run({ ...variables, ...(query === undefined ? {} : { DATABASE_URL: `${db.url}${query}` }) });

      expect(result.code).toBe(2);
      const summary = summaryLine(result);
      expect(summary.msg).toMatch(message);
      expect(summary.variable).toBe(Object.keys(settings)[0]);
    });
  });

  test("PG* variables other tools set (the postgres image's, pg_upgrade's) and libpq's harmless ones are accepted", async () => {
    const result = await run({
      PGDATA: '/var/lib/postgresql/data',
      PG_MAJOR: '17',
      PG_VERSION: '17.6-1.pgdg12+1',
      PGPORTOLD: '5433',
      PGDATANEW: '/var/lib/postgresql/18/data',
      PGCTLTIMEOUT: '60',
      PGSYSCONFDIR: '/etc/postgresql-common',
      PGLOCALEDIR: '/usr/share/locale',
    });

    expect(result.code).toBe(0);
  });

  describe('a password that is not percent-encoded in DATABASE_URL', () => {
    const everything = (result: { stdout: string; stderr: string }, terminationLog: string) =>
      `${result.stdout}${result.stderr}${readFileSync(terminationLog, 'utf8')}`;

    test('with ? and #, it is read as libpq reads it (up to the first @ before any /): connected, never printed', async () => {
      const role = `url_${db.name}`;
      const password = 'zq7?secretpart#tailpiece';
      await db.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'; GRANT ALL ON SCHEMA public TO ${role}`);
      migrations.write('versioned/1_fail.sql', 'SELECT 1/0;\n');
      const terminationLog = path.join(home, 'termination-log');

      const result = await run({
        DATABASE_URL: `postgres://${role}:${password}@${db.host}:${db.port}/${db.name}`,
        MIGRATOR_TERMINATION_LOG: terminationLog,
        LOG_LEVEL: 'trace',
      });

      expect(result.code).toBe(1);
      expect(summaryLine(result).msg).toMatch(/division by zero/);
      expect(result.lines.some((line) => line.msg === 'connected to database')).toBe(true);
      for (const part of ['zq7', 'secretpart', 'tailpiece']) expect(everything(result, terminationLog)).not.toContain(part);
    });

    test.each([
      ['a /', 'postgres://app:zq7/sekrit@HOST/DB'],
      ['a / and a ?', 'postgres://app:zq7/sekrit?xyzzy@HOST/DB'],
      ['an @', 'postgres://app:zq7@sekrit@HOST/DB'],
      ['a ? and an @', 'postgres://app:zq7?sekrit@xyzzy@HOST/DB'],
    ])('with %s, it is refused with exit 2, echoing no part of it', async (_label, url) => {
      const terminationLog = path.join(home, 'termination-log');

      const result = await run({
        DATABASE_URL: url.replace('HOST', db.host).replace('DB', db.name),
        MIGRATOR_TERMINATION_LOG: terminationLog,
      });

      expect(result.code).toBe(2);
      expect(summaryLine(result).msg).toMatch(/^DATABASE_URL has an @ after its user:password@ part.*percent-encode the password/);
      for (const part of ['zq7', 'sekrit', 'xyzzy']) expect(everything(result, terminationLog)).not.toContain(part);
    });
  });

  test('the largest timeouts PostgreSQL takes are accepted and in force', async () => {
    migrations.write(
      'versioned/1_timeouts.sql',
      `CREATE TABLE timeouts AS SELECT current_setting('lock_timeout') AS lock_timeout, current_setting('statement_timeout') AS statement_timeout;\n`,
    );

    const result = await run({ MIGRATOR_LOCK_TIMEOUT: '2147483.647', MIGRATOR_STATEMENT_TIMEOUT: '2147483.647' });

    expect(result.code).toBe(0);
    expect(await db.query('SELECT * FROM timeouts')).toEqual([{ lock_timeout: '2147483647ms', statement_timeout: '2147483647ms' }]);
  });

  test('options and application_name in the URL, as libpq reads them ("+" stays a plus)', async () => {
    await db.query('CREATE SCHEMA app');
    migrations.write(
      'versioned/1_settings.sql',
      `CREATE TABLE session_settings AS SELECT current_setting('search_path') AS search_path, current_setting('application_name') AS application_name;\n`,
    );

    const result = await run({ DATABASE_URL: `${db.url}?options=-c%20search_path%3Dapp&application_name=deploy+7` });

    expect(result.code).toBe(0);
    expect(await db.query('SELECT * FROM app.session_settings')).toEqual([{ search_path: 'app', application_name: 'deploy+7' }]);
  });

  test('PGOPTIONS, PGAPPNAME and PGCONNECT_TIMEOUT, in the session and handed to the backup command', async () => {
    await db.query('CREATE SCHEMA app');
    migrations.write(
      'versioned/1_settings.sql',
      `CREATE TABLE session_settings AS SELECT current_setting('search_path') AS search_path, current_setting('application_name') AS application_name;\n`,
    );

    const result = await run({
      PGOPTIONS: '-c search_path=app',
      PGAPPNAME: 'deploy',
      PGCONNECT_TIMEOUT: '7',
      MIGRATOR_BACKUP_COMMAND: `env | grep -E '^PG(OPTIONS|APPNAME|CONNECT_TIMEOUT)=' | sort`,
    });

    expect(result.code).toBe(0);
    expect(await db.query('SELECT * FROM app.session_settings')).toEqual([{ search_path: 'app', application_name: 'deploy' }]);
    expect(result.stderr).toBe('PGAPPNAME=deploy-backup\nPGCONNECT_TIMEOUT=7\nPGOPTIONS=-c search_path=app\n');
  });

  test('connect_timeout bounds each connection attempt', async () => {
    // A server that accepts connections and never answers: each attempt waits until its timeout.
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const attempts = async (query: string) => {
        const result = await run({ DATABASE_URL: `postgres://someone@127.0.0.1:${port}/db${query}`, MIGRATOR_WAIT_TIMEOUT: '4.5' });
        expect(result.code).toBe(4);
        return Number(/\((\d+) attempts\)/.exec(String(summaryLine(result).msg))?.[1]);
      };
      // Without it, one attempt may take the whole wait; with 2 s, there is time for more.
      expect(await attempts('')).toBe(1);
      expect(await attempts('?connect_timeout=2')).toBeGreaterThanOrEqual(2);
    } finally {
      silent.close();
    }
  });

  describe('password files', () => {
    const entry = () => `${db.host}:${db.port}:${db.name}:${db.user}:${db.password.replace(/([:\\])/g, '\\$1')}\n`;
    const printsPassword = { MIGRATOR_BACKUP_COMMAND: 'echo "pw=$PGPASSWORD" >&2' };

    test('PGPASSFILE: the password is used, handed on masked, and nothing is printed about it', async () => {
      const file = path.join(home, 'pgpass');
      writeFileSync(file, `# the migrator's\nother:5432:*:*:wrong\n${entry()}`, { mode: 0o600 });
      migrations.write('versioned/1_a.sql', 'CREATE TABLE a (id int);\n');

      const result = await run({ DATABASE_URL: urlWithoutPassword(), PGPASSFILE: file, ...printsPassword });

      expect(result.code).toBe(0);
      // node-postgres' own lookup would print a deprecation warning here.
      expect(result.stderr).toBe('pw=[REDACTED]\n');
      expect(result.stdout).not.toContain(db.password);
    });

    test('escapes and wildcards as libpq reads them: \\: and \\\\ in any field, * only unescaped', async () => {
      const role = `pass_${db.name}`;
      const password = 'a:b\\c:d';
      await db.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'; GRANT ALL ON SCHEMA public TO ${role}`);
      const file = path.join(home, 'pgpass');
      const escaped = (text: string) => text.replace(/([:\\])/g, '\\$1');
      writeFileSync(
        file,
        [
          // A literal \* is not a wildcard; a user field with an escaped : is one field.
          `\\*:*:*:*:wrong-1`,
          `*:*:*:${role}\\:x:wrong-2`,
          `*:${db.port}:${db.name}:${escaped(role)}:${escaped(password)}:ignored after the next colon`,
        ].join('\n'),
        { mode: 0o600 },
      );

      const result = await run({ DATABASE_URL: urlWithoutPassword().replace(`//${db.user}@`, `//${role}@`), PGPASSFILE: file }, ['status']);

      expect(result.code).toBe(0);
    });

    test('the passfile parameter, and ~/.pgpass by default', async () => {
      mkdirSync(path.join(home, 'elsewhere'));
      writeFileSync(path.join(home, 'elsewhere', 'pgpass'), entry(), { mode: 0o600 });
      expect(
        (await run({ DATABASE_URL: `${urlWithoutPassword()}?passfile=${path.join(home, 'elsewhere', 'pgpass')}` }, ['status'])).code,
      ).toBe(0);

      writeFileSync(path.join(home, '.pgpass'), entry(), { mode: 0o600 });
      expect((await run({ DATABASE_URL: urlWithoutPassword() }, ['status'])).code).toBe(0);
    });

    test('a password file others can read is refused, as libpq refuses it; a missing PGPASSFILE too', async () => {
      const file = path.join(home, 'pgpass');
      writeFileSync(file, entry());
      chmodSync(file, 0o644);

      const open = await run({ DATABASE_URL: urlWithoutPassword(), PGPASSFILE: file });
      const missing = await run({ DATABASE_URL: urlWithoutPassword(), PGPASSFILE: path.join(home, 'missing') });

      expect(open.code).toBe(2);
      expect(summaryLine(open)).toMatchObject({
        variable: 'PGPASSFILE',
        msg: expect.stringMatching(/has group or world access, which libpq refuses: make it u=rw \(0600\) or less$/),
      });
      expect(missing.code).toBe(2);
      expect(summaryLine(missing)).toMatchObject({
        variable: 'PGPASSFILE',
        msg: expect.stringMatching(/cannot read .*missing \(ENOENT\)$/),
      });
    });

    test('no password anywhere: exit 4 at once, saying so', async () => {
      const result = await run({ DATABASE_URL: urlWithoutPassword(), MIGRATOR_WAIT_TIMEOUT: '30' });

      expect(result.code).toBe(4);
      expect(summaryLine(result).msg).toMatch(/refused the connection: the server asks for a password and none is set/);
      expect(result.durationMs).toBeLessThan(10_000);
    });
  });
});
