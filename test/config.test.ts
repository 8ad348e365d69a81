/** Configuration parsing: no database needed, so these stay plain unit tests. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CONFIG_VARIABLES, loadConfig, secretsOf } from '../src/config';
import { LIBPQ_VARIABLES } from '../src/config/connection-settings';
import { environment } from '../src/cli/env';
import { ConfigError } from '../src/errors';
import { createRedactor, redactValues } from '../src/redact';

const dir = mkdtempSync(path.join(os.tmpdir(), 'migrator-config-'));
const base = { MIGRATIONS_DIR: dir };

describe('loadConfig', () => {
  test('defaults', () => {
    const config = loadConfig({ ...base }, { cwd: dir });
    expect(config).toMatchObject({
      connection: {
        host: 'localhost',
        port: 5432,
        user: 'postgres',
        database: 'postgres',
        ssl: false,
        applicationName: 'pg-init-migrator',
      },
      migrationsDir: dir,
      waitTimeoutMs: 60_000,
      lockWaitMs: 300_000,
      onAhead: 'warn',
      onDrift: 'ignore',
      log: { level: 'info', format: 'json', color: true },
    });
  });

  test('NO_COLOR (any value but an empty one) turns colours off', () => {
    expect(loadConfig({ ...base, NO_COLOR: '1' }).log.color).toBe(false);
    expect(loadConfig({ ...base, NO_COLOR: '' }).log.color).toBe(true);
  });

  test('pretty logs by default on a terminal', () => {
    expect(loadConfig(base, { logsToTerminal: true }).log.format).toBe('pretty');
    expect(loadConfig({ ...base, LOG_FORMAT: 'json' }, { logsToTerminal: true }).log.format).toBe('json');
  });

  test('DATABASE_URL parts, percent-decoded; libpq variables fill what it leaves out', () => {
    const config = loadConfig({ ...base, DATABASE_URL: 'postgresql://app:p%40ss%3Aw0rd@db.internal:6543/shop', PGAPPNAME: 'x' });
    expect(config.connection).toMatchObject({
      host: 'db.internal',
      port: 6543,
      user: 'app',
      password: 'p@ss:w0rd',
      database: 'shop',
      applicationName: 'x',
    });
    const partial = loadConfig({ ...base, DATABASE_URL: 'postgres://db.internal/shop', PGUSER: 'svc', PGPASSWORD: 'pw' });
    expect(partial.connection).toMatchObject({ user: 'svc', password: 'pw', port: 5432 });
  });

  test('a socket folder in ?host= and sslmode in the URL', () => {
    const config = loadConfig({ ...base, DATABASE_URL: 'postgres://app@/shop?host=/var/run/postgresql&sslmode=require' });
    expect(config.connection).toMatchObject({ host: '/var/run/postgresql', sslMode: 'require', ssl: { rejectUnauthorized: false } });
  });

  test('libpq variables alone', () => {
    const config = loadConfig({ ...base, PGHOST: 'pg', PGPORT: '5433', PGUSER: 'me', PGPASSWORD: 'pw', PGDATABASE: 'app' });
    expect(config.connection).toMatchObject({ host: 'pg', port: 5433, user: 'me', password: 'pw', database: 'app' });
  });

  test('secrets from files, without their trailing newline', () => {
    const urlFile = path.join(dir, 'url');
    const passwordFile = path.join(dir, 'password');
    writeFileSync(urlFile, 'postgres://app:from-file@db/app\n');
    writeFileSync(passwordFile, 'pw-from-file\n');
    expect(loadConfig({ ...base, DATABASE_URL_FILE: urlFile }).connection.password).toBe('from-file');
    expect(loadConfig({ ...base, PGPASSWORD_FILE: passwordFile }).connection.password).toBe('pw-from-file');
    expect(secretsOf(loadConfig({ ...base, PGPASSWORD_FILE: passwordFile }))).toEqual(['pw-from-file']);
  });

  test.each([
    [{ DATABASE_URL: 'postgres://a@b/c', DATABASE_URL_FILE: '/x' }, 'DATABASE_URL_FILE'],
    [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL'],
    [{ MIGRATOR_WAIT_TIMEOUT: '1e3' }, 'MIGRATOR_WAIT_TIMEOUT'],
    [{ MIGRATOR_ON_AHEAD: 'ignore' }, 'MIGRATOR_ON_AHEAD'],
    [{ PGSSLMODE: 'verify-full', PGSSLROOTCERT: '/no/ca.pem' }, 'PGSSLROOTCERT'],
    [{ MIGRATOR_IGNORE_TABLES: 'a.b.c' }, 'MIGRATOR_IGNORE_TABLES'],
  ])('rejects %o naming %s', (env, variable) => {
    expect(() => loadConfig({ ...base, ...env })).toThrow(ConfigError);
    try {
      loadConfig({ ...base, ...env });
    } catch (error) {
      expect((error as ConfigError).variable).toBe(variable);
    }
  });

  test('an invalid DATABASE_URL is reported without echoing it', () => {
    expect(() => loadConfig({ ...base, DATABASE_URL: 'postgres://u:hunter2@host:port/db' })).toThrow(/^DATABASE_URL must be a URL/);
    try {
      loadConfig({ ...base, DATABASE_URL: 'postgres://u:hunter2@host:port/db' });
    } catch (error) {
      expect((error as Error).message).not.toContain('hunter2');
    }
  });

  test('MIGRATOR_IGNORE_TABLES: table or schema.table, comma-separated, blanks ignored', () => {
    expect(loadConfig(base).ignoreTables).toEqual([]);
    expect(loadConfig({ ...base, MIGRATOR_IGNORE_TABLES: ' spatial_ref_sys , audit.Log Entries ,' }).ignoreTables).toEqual([
      'spatial_ref_sys',
      'audit.Log Entries',
    ]);
  });

  test('options, application_name ("+" stays a plus) and connect_timeout in the URL win over PGOPTIONS, PGAPPNAME, PGCONNECT_TIMEOUT', () => {
    const fromUrl = loadConfig({
      ...base,
      DATABASE_URL: 'postgres://db/app?options=-c%20search_path%3Dapp&application_name=a+b&connect_timeout=1',
      PGOPTIONS: '-c x=y',
      PGAPPNAME: 'env',
    });
    expect(fromUrl.connection).toMatchObject({ options: '-c search_path=app', applicationName: 'a+b', connectTimeoutMs: 2000 });
    const fromEnv = loadConfig({ ...base, PGOPTIONS: '-c x=y', PGAPPNAME: 'env', PGCONNECT_TIMEOUT: '0' });
    expect(fromEnv.connection).toMatchObject({ options: '-c x=y', applicationName: 'env', connectTimeoutMs: undefined });
  });

  test('sslmode=require checks the chain when ~/.postgresql/root.crt is there, and takes the client certificate beside it', () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'migrator-home-'));
    const env = { ...base, HOME: home, PGSSLMODE: 'require' };
    expect(loadConfig(env).connection.ssl).toEqual({ rejectUnauthorized: false });
    mkdirSync(path.join(home, '.postgresql'));
    for (const name of ['root.crt', 'postgresql.crt', 'postgresql.key']) writeFileSync(path.join(home, '.postgresql', name), name);
    const { ssl, sslFiles } = loadConfig(env).connection;
    expect(ssl).toMatchObject({ ca: 'root.crt', cert: 'postgresql.crt', key: 'postgresql.key', rejectUnauthorized: true });
    expect((ssl as { checkServerIdentity: () => unknown }).checkServerIdentity()).toBeUndefined();
    expect(sslFiles).toEqual({
      rootCert: path.join(home, '.postgresql', 'root.crt'),
      cert: path.join(home, '.postgresql', 'postgresql.crt'),
      key: path.join(home, '.postgresql', 'postgresql.key'),
    });
  });

  test('a password file is read only when no password is given, and only its matching line counts', () => {
    const file = path.join(dir, 'pgpass');
    writeFileSync(file, '#db:5432:app:me:commented\ndb:5432:other:me:not-this\ndb:*:app:me:p\\:w\n*:*:*:*:fallback\n', { mode: 0o600 });
    expect(loadConfig({ ...base, DATABASE_URL: 'postgres://me@db/app', PGPASSFILE: file }).connection.password).toBe('p:w');
    expect(loadConfig({ ...base, DATABASE_URL: 'postgres://you@db/app', PGPASSFILE: file }).connection.password).toBe('fallback');
    expect(loadConfig({ ...base, DATABASE_URL: 'postgres://me:given@db/app', PGPASSFILE: file }).connection.password).toBe('given');
    expect(secretsOf(loadConfig({ ...base, DATABASE_URL: 'postgres://me@db/app', PGPASSFILE: file }))).toEqual(['p:w']);
  });

  test('fractional seconds are allowed', () => {
    expect(loadConfig({ ...base, MIGRATOR_WAIT_TIMEOUT: '0.5', MIGRATOR_LOCK_WAIT: '0' })).toMatchObject({
      waitTimeoutMs: 500,
      lockWaitMs: 0,
    });
  });
});

describe('CONFIG_VARIABLES', () => {
  test('documents every libpq variable the connection settings read, once', () => {
    expect(CONFIG_VARIABLES).toEqual(expect.arrayContaining(Object.values(LIBPQ_VARIABLES)));
    expect(new Set(CONFIG_VARIABLES).size).toBe(CONFIG_VARIABLES.length);
  });
});

describe('environment', () => {
  test('.env fills in, the real environment wins', () => {
    const project = mkdtempSync(path.join(os.tmpdir(), 'migrator-dotenv-'));
    writeFileSync(path.join(project, '.env'), 'PGHOST=from-file\nPGUSER=file-user\n');
    expect(environment(project, { PGHOST: 'from-env' })).toMatchObject({ PGHOST: 'from-env', PGUSER: 'file-user' });
    expect(environment(dir, { PGHOST: 'only-env' })).toEqual({ PGHOST: 'only-env' });
  });
});

describe('createRedactor', () => {
  test('masks a secret in plain, JSON-escaped and URL-encoded form, and any URL password', () => {
    const redact = createRedactor(['pa"ss word']);
    expect(redact('pa"ss word')).toBe('[REDACTED]');
    expect(redact(JSON.stringify({ e: 'pa"ss word' }))).toBe('{"e":"[REDACTED]"}');
    expect(redact('pa%22ss%20word')).toBe('[REDACTED]');
    expect(redact('see postgres://me:other-secret@db:5432/app')).toBe('see postgres://me:[REDACTED]@db:5432/app');
  });

  test('a long or non-word password is masked even inside a word', () => {
    expect(createRedactor(['Zq8rTw2mVx7pLk'])('xZq8rTw2mVx7pLky')).toBe('x[REDACTED]y');
    expect(createRedactor(['p@ss'])('top@ssecret')).toBe('to[REDACTED]ecret');
  });

  test('a short word password is masked where it stands as a word, not inside longer words', () => {
    const redact = createRedactor(['app']);
    expect(redact('applied, apps, app_x, my-app-db, app.example.com, 1.app')).toBe(
      'applied, apps, app_x, my-app-db, app.example.com, 1.app',
    );
    expect(redact(`invalid input syntax for type integer: "app"; pw=app. (app) 'app'`)).toBe(
      `invalid input syntax for type integer: "[REDACTED]"; pw=[REDACTED]. ([REDACTED]) '[REDACTED]'`,
    );
    expect(createRedactor(['postgres'])('-- postgres-migrations disable-transaction; see postgres://u:postgres@h')).toBe(
      '-- postgres-migrations disable-transaction; see postgres://u:[REDACTED]@h',
    );
  });

  test('public text (names the migrator prints anyway, its own examples) is left as it is', () => {
    const redact = createRedactor(['postgres', 'password'], { publicText: ['postgres', 'postgres://user:password@host:5432/database'] });
    expect(redact('postgres@127.0.0.1:5432/postgres, a URL like postgres://user:password@host:5432/database')).toBe(
      'postgres@127.0.0.1:5432/postgres, a URL like postgres://user:password@host:5432/database',
    );
    expect(redact('password authentication failed, got "password"')).toBe('[REDACTED] authentication failed, got "[REDACTED]"');
  });
});

describe('redactValues', () => {
  test('masks string values at any depth; keys, numbers, dates and kept fields stay', () => {
    const redact = createRedactor(['x']);
    const when = new Date(0);
    expect(redactValues({ x: 'x', exitCode: 2, list: ['x', { x: 'a x b' }], when, outcome: 'x' }, redact, new Set(['outcome']))).toEqual({
      x: '[REDACTED]',
      exitCode: 2,
      list: ['[REDACTED]', { x: 'a [REDACTED] b' }],
      when,
      outcome: 'x',
    });
  });
});
