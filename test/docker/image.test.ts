/**
 * The image as users run it: built from the Dockerfile, run with `docker run --read-only` against
 * the suite's PostgreSQL container. The migrator joins that container's network namespace, so it
 * reaches PostgreSQL on loopback, as a sidecar would.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { appliedVersions, createDatabase, tableNames, type TestDatabase } from '../support/database';
import { summaryLine } from '../support/cli';
import { tempMigrations } from '../support/fixtures';
import { LARGE_TABLE_SQL, writeLargeMigration, type LargeMigrationOptions } from '../support/large-migration';
import {
  BUILD_TIMEOUT_MS,
  ROOT,
  buildExampleAppImage,
  buildImage,
  containerState,
  copyOfProjectMigrations,
  docker,
  dockerOk,
  httpGetInside,
  removeImage,
  uniqueImageTag,
  waitForLogLine,
  type CommandResult,
} from '../support/docker';

const image = uniqueImageTag();
const postgresContainer = () => process.env.TEST_PG_CONTAINER!;

beforeAll(() => buildImage(image), BUILD_TIMEOUT_MS);
afterAll(() => removeImage(image));

/** libpq settings for a container in PostgreSQL's network namespace. */
function databaseEnv(db: TestDatabase): Record<string, string> {
  return { PGHOST: '127.0.0.1', PGPORT: '5432', PGUSER: db.user, PGPASSWORD: db.password, PGDATABASE: db.name };
}

/** `docker run --rm --read-only` of the image, with the environment passed by name (values stay off the command line). */
function runImage(
  env: Record<string, string>,
  volumes: string[] = [],
  args: string[] = [],
  runOptions: string[] = [],
): Promise<CommandResult> {
  return docker(
    [
      'run',
      '--rm',
      '--read-only',
      ...runOptions,
      '--network',
      `container:${postgresContainer()}`,
      ...Object.keys(env).flatMap((name) => ['-e', name]),
      ...volumes.flatMap((volume) => ['-v', volume]),
      image,
      ...args,
    ],
    env,
  );
}

describe('the image', () => {
  test('runs as a non-root user that cannot change its own files, with production dependencies only', async () => {
    expect((await dockerOk(['image', 'inspect', '--format', '{{.Config.User}}', image])).trim()).toBe('1000:1000');

    const probe = `
      const fs = require('node:fs');
      const canWrite = (file) => { try { fs.accessSync(file, fs.constants.W_OK); return true; } catch { return false; } };
      const resolves = (name) => { try { require.resolve(name); return true; } catch { return false; } };
      console.log(JSON.stringify({
        uid: process.getuid(),
        canWriteApp: canWrite('/app') || canWrite('/app/dist/migrator.js') || canWrite('/app/.node-compile-cache') || canWrite('/app/migrations'),
        runtime: ['pg', 'postgres-migrations', 'pino', 'pino-pretty', 'dotenv'].filter(resolves),
        dev: ['typescript', 'jest', 'testcontainers', '@swc/core'].filter(resolves),
        optionalPeers: ['libpg-query', 'squawk-cli', '@pgkit/migra', '@pgkit/schemainspect', '@testcontainers/postgresql'].filter(resolves),
        files: ['/app/test', '/app/src', '/app/.git', '/app/tsconfig.json', '/app/dist/example', '/app/migrations/tables/010_accounts.sql',
          '/app/node_modules/postgres-migrations/dist/migrations/0_create-migrations-table.sql'].filter((f) => fs.existsSync(f)),
      }));`;
    const result = await docker(['run', '--rm', '--entrypoint', 'node', image, '-e', probe]);

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      uid: 1000,
      canWriteApp: false,
      runtime: ['pg', 'postgres-migrations', 'pino', 'pino-pretty', 'dotenv'],
      dev: [],
      optionalPeers: [],
      files: [
        '/app/migrations/tables/010_accounts.sql',
        '/app/node_modules/postgres-migrations/dist/migrations/0_create-migrations-table.sql',
      ],
    });
  });

  test('--version and --help work on a read-only root filesystem', async () => {
    const version = await docker(['run', '--rm', '--read-only', image, '--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
    const help = await docker(['run', '--rm', '--read-only', image, '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: migrator/);
  });
});

describe('the image against PostgreSQL', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createDatabase();
  });
  afterEach(async () => {
    await db.drop();
  });

  test('up with its own migrations: exit 0 and the schema exists; again: exit 0 and no changes', async () => {
    const first = await runImage(databaseEnv(db));

    expect(first.code).toBe(0);
    expect(summaryLine(first)).toMatchObject({ outcome: 'applied', exitCode: 0 });
    expect(await tableNames(db)).toEqual(expect.arrayContaining(['accounts', 'notes']));

    const second = await runImage(databaseEnv(db));

    expect(second.code).toBe(0);
    expect(summaryLine(second)).toMatchObject({ outcome: 'up-to-date', legacy: 0, tables: 0, versioned: 0, exitCode: 0 });
  });

  test('rollback and baseline write the history on a read-only root filesystem, as a non-root user', async () => {
    expect((await runImage(databaseEnv(db))).code).toBe(0);

    const rolledBack = await runImage(databaseEnv(db), [], ['rollback', '--steps', '1', '--yes']);

    expect(rolledBack.code).toBe(0);
    // The image's plain up stopped before the post-deploy migrations: 5 is the newest applied.
    expect(summaryLine(rolledBack)).toMatchObject({ outcome: 'ok', rolledBack: ['5_note_status_archived.sql'] });
    expect((await appliedVersions(db)).map((row) => row.id)).toEqual([1, 2, 3, 4]);

    // A database whose schema came from elsewhere: the history table is created by the image itself.
    const adopted = await createDatabase();
    try {
      const recorded = await runImage(databaseEnv(adopted), [], ['baseline', '6']);
      expect(recorded.code).toBe(0);
      expect(summaryLine(recorded)).toMatchObject({ outcome: 'ok', recorded: 6 });
      expect((await appliedVersions(adopted)).map((row) => row.id)).toEqual([1, 2, 3, 4, 5, 6]);
    } finally {
      await adopted.drop();
    }
  });

  test('a broken migration mounted at /app/migrations exits 1 naming the file; earlier steps are kept', async () => {
    const migrations = copyOfProjectMigrations();
    const brokenId = migrations.nextVersionedId;
    migrations.write(`versioned/${brokenId}_broken.sql`, 'CREATE TABLE broken_half (id int);\nSELECT * FROM no_such_table;\n');
    try {
      const result = await runImage(databaseEnv(db), [`${migrations.dir}:/app/migrations:ro`], ['up', '--post-deploy']);

      expect(result.code).toBe(1);
      expect(summaryLine(result)).toMatchObject({
        outcome: 'failed',
        exitCode: 1,
        phase: 'versioned',
        file: `${brokenId}_broken.sql`,
        pgCode: '42P01',
      });
      const tables = await tableNames(db);
      expect(tables).toEqual(expect.arrayContaining(['accounts', 'notes']));
      expect(tables).not.toContain('broken_half');
      expect((await appliedVersions(db)).map((row) => row.id)).not.toContain(brokenId);
    } finally {
      migrations.remove();
    }
  });

  test.each<[string, LargeMigrationOptions]>([
    ['its last line', { lastLine: 'SELEC broken;' }],
    ['line 2', { secondLine: 'SELEC broken;' }],
  ])(
    'a 50 MB migration with a syntax error on %s, in 512 MiB: exit 1 at file:line:column, and the termination message',
    async (_where, options) => {
      const migrations = tempMigrations();
      chmodSync(migrations.dir, 0o755);
      // Where Kubernetes mounts it: a file the container's user may write.
      const terminationDir = mkdtempSync(path.join(os.tmpdir(), 'migrator-termination-'));
      const terminationLog = path.join(terminationDir, 'termination-log');
      writeFileSync(terminationLog, '');
      chmodSync(terminationDir, 0o755);
      chmodSync(terminationLog, 0o666);
      try {
        migrations.write('tables/010_big.sql', LARGE_TABLE_SQL);
        migrations.write('versioned/1_placeholder.sql', 'SELECT 1;');
        const { lines } = await writeLargeMigration(path.join(migrations.dir, 'versioned', '2_fill_big.sql'), 50 * 1024 * 1024, options);
        const line = options.secondLine === undefined ? lines : 2;

        const result = await runImage(
          databaseEnv(db),
          [`${migrations.dir}:/app/migrations:ro`, `${terminationLog}:/dev/termination-log`],
          [],
          ['--memory', '512m', '--memory-swap', '512m'],
        );

        expect(result.code).toBe(1);
        expect(summaryLine(result)).toMatchObject({
          outcome: 'failed',
          exitCode: 1,
          file: '2_fill_big.sql',
          pgCode: '42601',
          line,
          column: 1,
        });
        expect(String(summaryLine(result).msg)).toContain(`versioned/2_fill_big.sql:${line}:1 failed: syntax error`);
        expect(readFileSync(terminationLog, 'utf8')).toMatch(
          new RegExp(
            `^pg-init-migrator up failed with exit code 1 \\(a migration failed\\): versioned/2_fill_big\\.sql:${line}:1 failed: syntax error`,
          ),
        );
        expect((await appliedVersions(db)).map((row) => row.id)).toEqual([1]);
      } finally {
        migrations.remove();
        rmSync(terminationDir, { recursive: true, force: true });
      }
    },
  );

  test('MIGRATIONS_DIR points at a folder mounted elsewhere; a badly named migration there exits 6', async () => {
    const migrations = copyOfProjectMigrations();
    migrations.write('versioned/add_something.sql', 'SELECT 1;\n');
    try {
      const result = await runImage({ ...databaseEnv(db), MIGRATIONS_DIR: '/srv/migrations' }, [`${migrations.dir}:/srv/migrations:ro`]);

      expect(result.code).toBe(6);
      expect(summaryLine(result)).toMatchObject({ outcome: 'failed', exitCode: 6 });
      expect(String(summaryLine(result).msg)).toContain('versioned/add_something.sql');
    } finally {
      migrations.remove();
    }
  });

  test('docker stop while it waits for the database: SIGTERM is handled, exit 143', async () => {
    const name = `migrator-sigterm-${randomBytes(4).toString('hex')}`;
    const env = { DATABASE_URL: 'postgres://app:pw@127.0.0.1:1/app', MIGRATOR_WAIT_TIMEOUT: '300', LOG_LEVEL: 'debug' };
    try {
      await dockerOk(
        ['run', '-d', '--read-only', '--network', 'none', '--name', name, ...Object.keys(env).flatMap((n) => ['-e', n]), image],
        env,
      );
      await waitForLogLine(name, (line) => line.msg === 'database not reachable yet, retrying');

      // Far longer than a handled SIGTERM needs: were it ignored, docker would SIGKILL (137).
      await dockerOk(['stop', '-t', '60', name]);

      expect((await containerState(name)).ExitCode).toBe(143);
      const logs = await docker(['logs', name]);
      expect(logs.lines[logs.lines.length - 1]).toMatchObject({ outcome: 'failed', exitCode: 143, signal: 'SIGTERM' });
    } finally {
      await docker(['rm', '-f', name]);
    }
  }, 180_000);

  test(
    "compose's example app, an image of its own using the library: /healthz answers 503 before the migration and 200 after it",
    async () => {
      const appImage = uniqueImageTag('pg-init-migrator-example-app');
      const name = `example-app-${randomBytes(4).toString('hex')}`;
      const env = { ...databaseEnv(db), PORT: '18080' };
      try {
        await buildExampleAppImage(appImage);
        expect((await dockerOk(['image', 'inspect', '--format', '{{.Config.User}}', appImage])).trim()).toBe('1000:1000');
        await dockerOk(
          [
            'run',
            '-d',
            '--read-only',
            '--network',
            `container:${postgresContainer()}`,
            '--name',
            name,
            ...Object.keys(env).flatMap((n) => ['-e', n]),
            appImage,
          ],
          env,
        );

        const before = await httpGetInside(name, 'http://127.0.0.1:18080/healthz');
        expect(before.status).toBe(503);
        expect(String(before.body.error)).toMatch(/^the schema is not current: /);

        expect((await runImage(databaseEnv(db))).code).toBe(0);

        const after = await httpGetInside(name, 'http://127.0.0.1:18080/healthz');
        expect(after).toEqual({ status: 200, body: { status: 'ok', accounts: 0, notes: 0 } });
      } finally {
        await docker(['rm', '-f', name]);
        await removeImage(appImage);
      }
    },
    BUILD_TIMEOUT_MS,
  );
});
