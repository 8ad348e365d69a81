/**
 * TLS against a PostgreSQL container that only accepts TLS, with a CA made in the test:
 * verify-full succeeds with the right CA and host name, and fails clearly otherwise.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PostgreSqlContainer, type StartedPostgreSqlContainer } from '@testcontainers/postgresql';
import pg from 'pg';
import { TEST_IMAGE } from '../support/global-setup';
import { runMigrator, summaryLine } from '../support/cli';
import { tempMigrations, type TempMigrations } from '../support/fixtures';
import { makeCertificateAuthority } from '../support/tls';

// Runs as the postgres user during the image's first start: the key must belong to that user.
const ENABLE_TLS = `#!/bin/sh
set -e
cp /tls/server.crt /tls/server.key /tls/ca.crt "$PGDATA"/
chmod 600 "$PGDATA/server.key"
printf "ssl = on\\nssl_cert_file = 'server.crt'\\nssl_key_file = 'server.key'\\nssl_ca_file = 'ca.crt'\\n" >> "$PGDATA/postgresql.conf"
printf "hostssl all cert_user all cert\\nhostnossl all all all reject\\n" | cat - "$PGDATA/pg_hba.conf" > "$PGDATA/pg_hba.tmp" && mv "$PGDATA/pg_hba.tmp" "$PGDATA/pg_hba.conf"
psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -c "CREATE ROLE cert_user LOGIN" -c "CREATE DATABASE cert_db OWNER cert_user"
`;

describe('TLS', () => {
  const ca = makeCertificateAuthority('pg-init-migrator test CA');
  const otherCa = makeCertificateAuthority('some other CA');
  const server = ca.issue('localhost');
  // A client certificate's common name is the role it logs in as (pg_hba "cert").
  const client = ca.issue('cert_user');
  let container: StartedPostgreSqlContainer;
  let files: string;
  let migrations: TempMigrations;
  let url: (host: string) => string;

  beforeAll(async () => {
    files = mkdtempSync(path.join(os.tmpdir(), 'migrator-tls-'));
    writeFileSync(path.join(files, 'ca.crt'), ca.pem.cert);
    writeFileSync(path.join(files, 'other-ca.crt'), otherCa.pem.cert);
    writeFileSync(path.join(files, 'client.crt'), client.cert);
    writeFileSync(path.join(files, 'client.key'), client.key, { mode: 0o600 });
    container = await new PostgreSqlContainer(TEST_IMAGE)
      .withPassword('tls-secret')
      .withCopyContentToContainer([
        { content: server.cert, target: '/tls/server.crt', mode: 0o644 },
        { content: server.key, target: '/tls/server.key', mode: 0o644 },
        { content: ca.pem.cert, target: '/tls/ca.crt', mode: 0o644 },
        { content: ENABLE_TLS, target: '/docker-entrypoint-initdb.d/tls.sh', mode: 0o755 },
      ])
      .start();
    url = (host) => `postgres://${container.getUsername()}:tls-secret@${host}:${container.getPort()}/${container.getDatabase()}`;
    migrations = tempMigrations();
    migrations.write('tables/010_session_tls.sql', 'CREATE TABLE session_tls AS SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid();');
  });
  afterAll(async () => {
    await container?.stop();
    migrations?.remove();
    rmSync(files, { recursive: true, force: true });
  });

  // HOME without ~/.postgresql, so that no certificate of this machine's user takes part.
  const run = (env: Record<string, string>) =>
    runMigrator(['up'], { env: { MIGRATIONS_DIR: migrations.dir, MIGRATOR_WAIT_TIMEOUT: '5', HOME: files, ...env } });

  test('without TLS the server refuses the connection, at once: exit 4', async () => {
    const result = await run({ DATABASE_URL: url('localhost'), PGSSLMODE: 'disable' });
    expect(result.code).toBe(4);
    expect(summaryLine(result).msg).toMatch(/refused the connection: .*(no encryption|pg_hba)/);
  });

  test('verify-full with the right CA and host name succeeds, over TLS', async () => {
    const result = await run({ DATABASE_URL: url('localhost'), PGSSLMODE: 'verify-full', PGSSLROOTCERT: path.join(files, 'ca.crt') });

    expect(result.code).toBe(0);
    expect(summaryLine(result)).toMatchObject({ tables: 1 });
    // The migration recorded whether its own session was encrypted.
    const client = new pg.Client({ connectionString: url('localhost'), ssl: { ca: ca.pem.cert } });
    await client.connect();
    try {
      expect((await client.query('SELECT ssl FROM session_tls')).rows).toEqual([{ ssl: true }]);
    } finally {
      await client.end();
    }
    const check = await run({ DATABASE_URL: `${url('localhost')}?sslmode=verify-full&sslrootcert=${path.join(files, 'ca.crt')}` });
    expect(check.code).toBe(0);
  });

  test('verify-full with a certificate from another CA fails clearly: exit 4', async () => {
    const result = await run({ DATABASE_URL: url('localhost'), PGSSLMODE: 'verify-full', PGSSLROOTCERT: path.join(files, 'other-ca.crt') });
    expect(result.code).toBe(4);
    expect(summaryLine(result).msg).toMatch(/refused the connection: .*certificate.*\(PGSSLMODE=verify-full: check PGSSLROOTCERT/);
  });

  test('verify-full to a host name the certificate does not name fails clearly: exit 4', async () => {
    const result = await run({ DATABASE_URL: url('127.0.0.1'), PGSSLMODE: 'verify-full', PGSSLROOTCERT: path.join(files, 'ca.crt') });
    expect(result.code).toBe(4);
    expect(summaryLine(result).msg).toMatch(/Hostname\/IP does not match certificate's altnames/);
  });

  test('verify-ca accepts that host name (it checks the chain only); require without a root certificate skips verification', async () => {
    expect((await run({ DATABASE_URL: url('127.0.0.1'), PGSSLMODE: 'verify-ca', PGSSLROOTCERT: path.join(files, 'ca.crt') })).code).toBe(0);
    expect(
      (await run({ DATABASE_URL: url('127.0.0.1'), PGSSLMODE: 'verify-ca', PGSSLROOTCERT: path.join(files, 'other-ca.crt') })).code,
    ).toBe(4);
    expect((await run({ DATABASE_URL: url('127.0.0.1'), PGSSLMODE: 'require' })).code).toBe(0);
  });

  test('require with a root certificate checks the chain, as libpq does: PGSSLROOTCERT, or ~/.postgresql/root.crt', async () => {
    const other = await run({ DATABASE_URL: url('127.0.0.1'), PGSSLMODE: 'require', PGSSLROOTCERT: path.join(files, 'other-ca.crt') });
    expect(other.code).toBe(4);
    expect(summaryLine(other).msg).toMatch(/refused the connection: .*certificate/);
    expect((await run({ DATABASE_URL: `${url('127.0.0.1')}?sslmode=require&sslrootcert=${path.join(files, 'ca.crt')}` })).code).toBe(0);

    const home = path.join(files, 'home');
    mkdirSync(path.join(home, '.postgresql'), { recursive: true });
    writeFileSync(path.join(home, '.postgresql', 'root.crt'), otherCa.pem.cert);
    expect((await run({ DATABASE_URL: url('127.0.0.1'), PGSSLMODE: 'require', HOME: home })).code).toBe(4);
    writeFileSync(path.join(home, '.postgresql', 'root.crt'), ca.pem.cert);
    expect((await run({ DATABASE_URL: url('127.0.0.1'), PGSSLMODE: 'require', HOME: home })).code).toBe(0);
  });

  test('verify-ca and verify-full without a root certificate are refused at start, as libpq refuses them: exit 2', async () => {
    const result = await run({ DATABASE_URL: url('localhost'), PGSSLMODE: 'verify-full' });
    expect(result.code).toBe(2);
    expect(summaryLine(result)).toMatchObject({
      variable: 'PGSSLMODE',
      msg: expect.stringMatching(/^PGSSLMODE verify-full needs a root certificate .*or to system/),
    });
  });

  test("sslrootcert=system: the system's trusted roots, verify-full; a weaker sslmode with it is refused", async () => {
    // OpenSSL's default store, which node reads for "system", is what SSL_CERT_FILE and SSL_CERT_DIR name.
    const emptyDir = mkdtempSync(path.join(files, 'certs-'));
    const system = (caFile: string) => ({ SSL_CERT_FILE: path.join(files, caFile), SSL_CERT_DIR: emptyDir });

    expect((await run({ DATABASE_URL: `${url('localhost')}?sslrootcert=system`, ...system('ca.crt') })).code).toBe(0);
    expect((await run({ DATABASE_URL: `${url('localhost')}?sslrootcert=system`, ...system('other-ca.crt') })).code).toBe(4);
    const weaker = await run({ DATABASE_URL: `${url('localhost')}?sslrootcert=system&sslmode=require`, ...system('ca.crt') });
    expect(weaker.code).toBe(2);
    expect(summaryLine(weaker).msg).toBe('DATABASE_URL: sslmode must be verify-full with sslrootcert=system (got "require")');
  });

  test('the backup command connects with the same TLS settings (PGSSLMODE, PGSSLROOTCERT)', async () => {
    migrations.write('versioned/1_after_backup.sql', 'SELECT 1;\n');
    const result = await run({
      DATABASE_URL: url('localhost'),
      PGSSLMODE: 'verify-full',
      PGSSLROOTCERT: path.join(files, 'ca.crt'),
      MIGRATOR_BACKUP_COMMAND: `psql -XAtc 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()' >&2`,
    });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('t\n');
  });

  test('a client certificate (PGSSLCERT, PGSSLKEY) logs in without a password; without it the login is refused', async () => {
    const asCertUser = {
      DATABASE_URL: `postgres://cert_user@localhost:${container.getPort()}/cert_db`,
      PGSSLMODE: 'verify-full',
      PGSSLROOTCERT: path.join(files, 'ca.crt'),
    };
    const withCertificate = await run({
      ...asCertUser,
      PGSSLCERT: path.join(files, 'client.crt'),
      PGSSLKEY: path.join(files, 'client.key'),
    });
    const without = await run(asCertUser);

    expect(summaryLine(withCertificate)).toMatchObject({ exitCode: 0, tables: 1 });
    expect(without.code).toBe(4);
    expect(summaryLine(without).msg).toMatch(/refused the connection/);
  });
});
