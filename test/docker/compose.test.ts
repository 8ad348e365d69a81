/**
 * compose.yml brought up for real with Compose v2, as `docker compose up --wait` (the CI gate
 * README.md describes) does it, under a project name of its own: the app starts only after the
 * migrator exited 0, never after it failed, `up --wait` exits 0 or 1 with Compose's message, and
 * `down -v` leaves nothing of the project behind.
 */
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseLines } from '../support/cli';
import {
  BUILD_TIMEOUT_MS,
  ComposeProject,
  ROOT,
  containerState,
  copyOfProjectMigrations,
  docker,
  dockerOk,
  everStarted,
  httpGetInside,
  removeImage,
  uniqueImageTag,
  waitUntilHealthy,
} from '../support/docker';

const COMPOSE_FILE = path.join(ROOT, 'compose.yml');
/** Built by `up --build` from compose.yml's migrator and app services. */
const image = uniqueImageTag();
const appImage = uniqueImageTag('pg-init-migrator-example-app');
afterAll(() => Promise.all([removeImage(image), removeImage(appImage)]));

function project(files: string[] = [COMPOSE_FILE], env: Record<string, string> = {}): ComposeProject {
  // JSON logs, which these tests read; the app on a free port (compose.yml's 8080 may be taken).
  return new ComposeProject(`pgim_test_${randomBytes(4).toString('hex')}`, files, {
    MIGRATOR_IMAGE: image,
    APP_IMAGE: appImage,
    LOG_FORMAT: 'json',
    APP_PORT: '0',
    ...env,
  });
}

/**
 * A project whose migrator mounts a copy of the project's migrations with one more versioned file;
 * `finish` takes the stack down (checking nothing is left) and removes the copy.
 */
function projectWithExtraMigration(slug: string, sql: string) {
  const migrations = copyOfProjectMigrations();
  const file = `${migrations.nextVersionedId}_${slug}.sql`;
  migrations.write(`versioned/${file}`, sql);
  const override = `${migrations.dir}.compose.yml`;
  writeFileSync(override, `services:\n  migrator:\n    volumes:\n      - ${JSON.stringify(`${migrations.dir}:/app/migrations:ro`)}\n`);
  const stack = project([COMPOSE_FILE, override]);
  const finish = async () => {
    try {
      await downAndCheckNothingLeft(stack);
    } finally {
      migrations.remove();
      rmSync(override, { force: true });
    }
  };
  return { stack, file, finish };
}

/** `down -v`, then nothing of the project may remain. */
async function downAndCheckNothingLeft(stack: ComposeProject): Promise<void> {
  const down = await stack.down();
  expect(down.code).toBe(0);
  expect(await stack.leftovers()).toEqual({ containers: [], volumes: [], networks: [] });
}

async function lastLogLine(id: string): Promise<Record<string, unknown>> {
  const logs = parseLines((await docker(['logs', id])).stdout);
  return logs[logs.length - 1];
}

describe('docker compose up', () => {
  beforeAll(async () => {
    // What these tests and README.md's "Compose versions" say is Compose v2's behaviour.
    expect((await dockerOk(['compose', 'version', '--short'])).trim()).toMatch(/^v?2\./);
  });

  test(
    'up --wait: postgres becomes healthy, the migrator exits 0, then the app starts, is healthy when up returns 0 and sees the migrated schema; a second up changes nothing',
    async () => {
      const stack = project();
      try {
        const up = await stack.run(['up', '--wait', '--build']);
        expect(up.code).toBe(0);

        const [postgres, migrator, app] = await Promise.all(['postgres', 'migrator', 'app'].map((s) => stack.container(s)));
        expect([postgres, migrator, app].every(Boolean)).toBe(true);
        expect((await containerState(app!)).Health?.Status).toBe('healthy');

        const migratorState = await containerState(migrator!);
        const appState = await containerState(app!);
        expect(migratorState).toMatchObject({ Status: 'exited', ExitCode: 0 });
        expect(Date.parse(appState.StartedAt)).toBeGreaterThanOrEqual(Date.parse(migratorState.FinishedAt));
        expect(await lastLogLine(migrator!)).toMatchObject({ outcome: 'applied', exitCode: 0 });
        expect(await httpGetInside(app!, 'http://127.0.0.1:8080/healthz')).toMatchObject({ status: 200, body: { status: 'ok' } });

        // What `up` does on every later start: the migrator runs again and finds nothing to do.
        const again = await stack.run(['up', '-d']);
        expect(again.code).toBe(0);
        expect(await containerState(migrator!)).toMatchObject({ Status: 'exited', ExitCode: 0 });
        expect(await lastLogLine(migrator!)).toMatchObject({ outcome: 'up-to-date', exitCode: 0 });
      } finally {
        await downAndCheckNothingLeft(stack);
      }
    },
    BUILD_TIMEOUT_MS,
  );

  test(
    'with a failing migration mounted, up --wait exits 1 saying the migrator did not complete, the migrator exits 1 and the app never starts',
    async () => {
      const { stack, file: brokenFile, finish } = projectWithExtraMigration('broken', 'SELECT * FROM no_such_table;\n');
      try {
        const up = await stack.run(['up', '--wait', '--build']);
        expect(up.code).toBe(1);
        expect(up.stderr).toContain('service "migrator" didn\'t complete successfully: exit 1');

        const migrator = await stack.container('migrator');
        expect(await containerState(migrator!)).toMatchObject({ Status: 'exited', ExitCode: 1 });
        expect(await lastLogLine(migrator!)).toMatchObject({ outcome: 'failed', exitCode: 1, file: brokenFile });
        // Compose v1 never creates the app's container; v2 creates it but never starts it.
        const app = await stack.container('app');
        const appStarted = app !== undefined && everStarted(await containerState(app));
        expect(appStarted).toBe(false);
      } finally {
        await finish();
      }
    },
    BUILD_TIMEOUT_MS,
  );

  test(
    'a configuration error: the migrator exits 2, up --wait still exits 1, its message carries the 2',
    async () => {
      const stack = project([COMPOSE_FILE], { LOG_LEVEL: 'loud' });
      try {
        const up = await stack.run(['up', '--wait', '--build']);
        expect(up.code).toBe(1);
        expect(up.stderr).toContain('service "migrator" didn\'t complete successfully: exit 2');
        expect(await containerState((await stack.container('migrator'))!)).toMatchObject({ Status: 'exited', ExitCode: 2 });
      } finally {
        await downAndCheckNothingLeft(stack);
      }
    },
    BUILD_TIMEOUT_MS,
  );

  test(
    'least privilege: the migrator owns the schema without being a superuser; the app may change rows, never the schema',
    async () => {
      // A table made by a later migration: default privileges must cover it for the app too.
      const { stack, finish } = projectWithExtraMigration(
        'labels',
        'CREATE TABLE IF NOT EXISTS labels (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);\n',
      );
      try {
        expect((await stack.run(['up', '-d', '--build'])).code).toBe(0);
        const [postgres, migrator, app] = await Promise.all(['postgres', 'migrator', 'app'].map((s) => stack.container(s)));
        await waitUntilHealthy(app!);
        const asApp = (sql: string) =>
          docker([
            'exec',
            '-e',
            'PGPASSWORD=dev-only-app-password',
            postgres!,
            'psql',
            '-h',
            '127.0.0.1',
            '-U',
            'app_user',
            '-d',
            'app',
            '-v',
            'ON_ERROR_STOP=1',
            '-c',
            sql,
          ]);

        const migratorLogs = parseLines((await docker(['logs', migrator!])).stdout);
        expect(migratorLogs.some((line) => String(line.msg).startsWith('running as a superuser'))).toBe(false);
        expect(await lastLogLine(migrator!)).toMatchObject({ outcome: 'applied', exitCode: 0 });

        expect((await asApp("INSERT INTO accounts (email) VALUES ('a@example.com')")).code).toBe(0);
        expect((await asApp("INSERT INTO labels (name) VALUES ('later table')")).code).toBe(0);
        expect((await asApp('SELECT count(*) FROM labels')).stdout).toContain('1');
        for (const ddl of ['DROP TABLE labels', 'ALTER TABLE notes ADD COLUMN sneaky text', 'CREATE TABLE sneaky (id int)']) {
          const refused = await asApp(ddl);
          expect(refused.code).not.toBe(0);
          expect(refused.stderr).toMatch(/must be owner|permission denied/);
        }

        for (const id of [migrator!, app!]) {
          const hostConfig = JSON.parse(await dockerOk(['inspect', '--format', '{{json .HostConfig}}', id]));
          expect(hostConfig).toMatchObject({ ReadonlyRootfs: true, CapDrop: ['ALL'], SecurityOpt: ['no-new-privileges:true'] });
        }
      } finally {
        await finish();
      }
    },
    BUILD_TIMEOUT_MS,
  );
});
