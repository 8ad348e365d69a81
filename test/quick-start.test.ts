/**
 * README.md's quick start, run as written, in a copy of the repository: `docker compose up` brings
 * the stack up (stopped with Ctrl-C, as a person would), the "add a migration" commands create a
 * table and apply version 8, after which the `generate --check` README names passes, and the test
 * command is the one .ci/run runs.
 */
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  BUILD_TIMEOUT_MS,
  ComposeProject,
  ROOT,
  containerState,
  docker,
  removeImage,
  uniqueImageTag,
  waitUntilHealthy,
} from './support/docker';

/** The shell blocks of README.md's "Quick start" section, as written, without their comments. */
function quickStartBlocks(): string[][] {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Quick start\n');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) =>
    match[1]
      .split('\n')
      .map((line) => line.replace(/\s+# .*$/, ''))
      .filter(Boolean),
  );
}

/** The repository as a clean clone has it (tracked files and those not ignored), in a folder of its own. */
function copyOfRepository(): string {
  const copy = mkdtempSync(path.join(os.tmpdir(), 'migrator-quick-start-'));
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' })
    .split('\0')
    .filter(Boolean);
  for (const file of files) {
    mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
    cpSync(path.join(ROOT, file), path.join(copy, file));
  }
  // The image runs as uid 1000 and compose mounts migrations/postgres-init: readable, as a checkout is.
  chmodSync(copy, 0o755);
  return copy;
}

const [[mainJob, testCommand], addMigration, generateCheck, existingDatabase] = quickStartBlocks();
const image = uniqueImageTag();
const appImage = uniqueImageTag('pg-init-migrator-example-app');
const name = `pgim_quick_${randomBytes(4).toString('hex')}`;
// APP_PORT 0: the app on a free port of 127.0.0.1, so that stacks of other tests and people's 8080 do not collide.
const env = { ...process.env, COMPOSE_PROJECT_NAME: name, MIGRATOR_IMAGE: image, APP_IMAGE: appImage, APP_PORT: '0' };
let copy: string;
let stack: ComposeProject;

beforeAll(() => {
  copy = copyOfRepository();
  stack = new ComposeProject(name, [path.join(copy, 'compose.yml')], { MIGRATOR_IMAGE: image, APP_IMAGE: appImage, APP_PORT: '0' });
});
afterAll(async () => {
  await stack.down();
  await Promise.all([removeImage(image), removeImage(appImage)]);
  rmSync(copy, { recursive: true, force: true });
});

describe("README's quick start", () => {
  test('has the two commands, the second being the one .ci/run runs', () => {
    expect(mainJob).toBe('docker compose up');
    const ci = readFileSync(path.join(ROOT, '.ci', 'run'), 'utf8')
      .trim()
      .split('\n');
    expect(ci.at(-1)).toBe(testCommand);
    expect(existingDatabase.join('\n')).toMatch(/docker run --rm --read-only/);
  });

  test(
    'docker compose up runs the main job: the migrator exits 0 and the example app becomes healthy; Ctrl-C stops it',
    async () => {
      const up = spawn('bash', ['-c', mainJob], { cwd: copy, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      up.stdout.on('data', (chunk) => (output += chunk));
      up.stderr.on('data', (chunk) => (output += chunk));
      const exited = new Promise<number | null>((resolve) => up.on('close', resolve));

      let migrator: string;
      let healthz: { status: number; body: unknown };
      try {
        for (let app = await stack.container('app'); ; app = await stack.container('app')) {
          if (app) {
            await waitUntilHealthy(app);
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }
        migrator = (await docker(['inspect', '--format', '{{.State.ExitCode}}', (await stack.container('migrator'))!])).stdout.trim();
        // What README says to open, on the port compose published (APP_PORT=0: a free one).
        const published = (await stack.run(['port', 'app', '8080'])).stdout.trim();
        expect(published).toMatch(/^127\.0\.0\.1:\d+$/);
        const response = await fetch(`http://${published}/healthz`);
        healthz = { status: response.status, body: await response.json() };
      } finally {
        up.kill('SIGINT');
        await exited;
      }

      expect(migrator).toBe('0');
      expect(healthz).toMatchObject({ status: 200, body: { status: 'ok' } });
      expect(readFileSync(path.join(ROOT, 'README.md'), 'utf8')).toContain('Open http://127.0.0.1:8080/healthz');
      // Readable at a glance: the migrator's and the app's lines are pretty, none is raw JSON.
      expect(output).toMatch(/INFO: migrator finished/);
      expect(output).toMatch(/INFO: example app listening/);
      expect(output.split('\n').filter((line) => line.includes('{"level":'))).toEqual([]);
      const app = await stack.container('app');
      expect((await containerState(app!)).Running).toBe(false);
    },
    BUILD_TIMEOUT_MS,
  );

  test(
    'the "add a migration" commands, as written, create the table and apply version 8',
    async () => {
      const run = spawn('bash', ['-e', '-c', addMigration.join('\n')], { cwd: copy, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      run.stdout.on('data', (chunk) => (output += chunk));
      run.stderr.on('data', (chunk) => (output += chunk));
      const code = await new Promise<number | null>((resolve) => run.on('close', resolve));

      expect({ code, output }).toMatchObject({ code: 0 });
      // The pretty line's fields: `[time] INFO: migrator finished {...}`.
      const summary = output
        .split('\n')
        .filter((line) => line.includes('INFO: migrator finished {'))
        .at(-1);
      expect(JSON.parse(summary!.slice(summary!.indexOf('{')))).toMatchObject({
        outcome: 'applied',
        tables: 1,
        versioned: 1,
        currentVersion: 8,
      });
      const schema = await stack.run([
        'exec',
        '-T',
        'postgres',
        'psql',
        '-U',
        'postgres',
        '-d',
        'app',
        '-Atc',
        "SELECT to_regclass('bookmarks') IS NOT NULL, count(*) FROM information_schema.columns WHERE table_name = 'tags' AND column_name = 'color'",
      ]);
      expect(schema.stdout.trim()).toBe('t|1');
      // The app's image was rebuilt too: it checks the schema against the same migrations.
      const appMigrations = await docker(['run', '--rm', '--entrypoint', 'ls', appImage, '/app/migrations/versioned']);
      expect(appMigrations.stdout.split('\n')).toContain('8_tags_color.sql');
    },
    BUILD_TIMEOUT_MS,
  );

  test(
    'then the generate --check README names passes; without the versioned migration it exits 6',
    async () => {
      expect(generateCheck).toEqual(['node dist/cli/main.js generate --check --scratch docker --from test/fixtures/releases/v2.sql']);
      // What `npm ci && npm run build` gives the copy, linked from this checkout rather than installed again.
      for (const folder of ['node_modules', 'dist']) symlinkSync(path.join(ROOT, folder), path.join(copy, folder));
      const check = () =>
        new Promise<{ code: number | null; stdout: string }>((resolve) => {
          // The shell that ran the stack: its compose variables (MIGRATOR_IMAGE, which the migrator leaves alone) still set.
          const run = spawn('bash', ['-e', '-c', generateCheck.join('\n')], { cwd: copy, env, stdio: ['ignore', 'pipe', 'pipe'] });
          let stdout = '';
          let stderr = '';
          run.stdout.on('data', (chunk) => (stdout += chunk));
          run.stderr.on('data', (chunk) => (stderr += chunk));
          run.on('close', (code) => resolve({ code, stdout: stdout + stderr }));
        });

      const agreed = await check();
      expect({ code: agreed.code, output: agreed.code === 0 ? '' : agreed.stdout }).toEqual({ code: 0, output: '' });

      rmSync(path.join(copy, 'migrations/versioned/8_tags_color.sql'));
      const without = await check();
      expect(without.code).toBe(6);
      // --check prints migra's statements as they are (unguarded): the column the history lacks.
      expect(without.stdout).toContain('alter table "public"."tags" add column "color" text not null default \'grey\'::text;');
    },
    BUILD_TIMEOUT_MS,
  );
});
