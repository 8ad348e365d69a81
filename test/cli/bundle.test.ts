/**
 * The single-file build, dist/migrator.js, run the way an image holds it: the bundle, the library's
 * own migration copied next to it and package.json, with no node_modules anywhere above.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { appliedVersions, createDatabase, tableNames, type TestDatabase } from '../support/database';
import { runMigrator, summaryLine } from '../support/cli';
import { fixturePath } from '../support/fixtures';

const ROOT = path.resolve(__dirname, '..', '..');

describe('dist/migrator.js, the single-file build', () => {
  let image: string;
  let entry: string;
  let db: TestDatabase;
  beforeAll(() => {
    image = mkdtempSync(path.join(os.tmpdir(), 'migrator-bundle-'));
    cpSync(path.join(ROOT, 'dist', 'migrator.js'), path.join(image, 'dist', 'migrator.js'));
    cpSync(path.join(ROOT, 'dist', 'migrations'), path.join(image, 'dist', 'migrations'), { recursive: true });
    cpSync(path.join(ROOT, 'package.json'), path.join(image, 'package.json'));
    entry = path.join(image, 'dist', 'migrator.js');
  });
  afterAll(() => rmSync(image, { recursive: true, force: true }));
  beforeEach(async () => {
    db = await createDatabase();
  });
  afterEach(async () => {
    await db.drop();
  });

  test('applies everything, then finds nothing to do', async () => {
    const env = { ...db.env, MIGRATIONS_DIR: fixturePath('basic') };
    const first = await runMigrator(['up'], { env, cli: entry, cwd: image });
    const second = await runMigrator(['up'], { env, cli: entry, cwd: image });

    expect(first.code).toBe(0);
    expect(summaryLine(first)).toMatchObject({ outcome: 'applied', legacy: 0, tables: 2, versioned: 2, currentVersion: 2 });
    expect(await tableNames(db)).toEqual(['customers', 'migrations', 'migrator_declared_columns', 'migrator_schema_fingerprint', 'orders']);
    expect((await appliedVersions(db)).map((row) => row.id)).toEqual([1, 2]);
    expect(second.code).toBe(0);
    expect(summaryLine(second)).toMatchObject({ outcome: 'up-to-date', versioned: 0, currentVersion: 2 });
  });

  test('logs pretty lines when asked, without the parts of pino it leaves out', async () => {
    const env = { ...db.env, MIGRATIONS_DIR: fixturePath('basic'), LOG_FORMAT: 'pretty' };
    const result = await runMigrator(['up'], { env, cli: entry, cwd: image });

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/INFO: migrator finished/);
    expect(result.stderr).toBe('');
  });

  test('a no-op start leaves out the Node modules only rare paths need', async () => {
    const env = { ...db.env, MIGRATIONS_DIR: fixturePath('basic') };
    expect((await runMigrator(['up'], { env, cli: entry, cwd: image })).code).toBe(0);
    // Node's own record of the built-in modules it loaded, written as the process exits.
    const probe = path.join(image, 'module-probe.cjs');
    const loaded = path.join(image, 'loaded.json');
    writeFileSync(
      probe,
      `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(loaded)}, JSON.stringify(process.moduleLoadList)));\n`,
    );

    // stdin as an init container has it: /dev/null, not a terminal.
    const run = spawnSync(process.execPath, ['-r', probe, entry, 'up'], {
      cwd: image,
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });

    expect(run.status).toBe(0);
    const modules = (JSON.parse(readFileSync(loaded, 'utf8')) as string[]).map((entry) => entry.replace(/^NativeModule /, ''));
    expect(modules).toContain('net');
    // Programs (backup, restore, squawk), file writes (new, renumber), prompts, stdin, pino's worker.
    expect(
      modules.filter((name) =>
        /^(child_process|internal\/fs\/promises|readline|internal\/readline\/.*|internal\/fs\/streams|worker_threads)$/.test(name),
      ),
    ).toEqual([]);
  });

  test('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const result = await runMigrator(['--version'], { cli: entry, cwd: image });
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(version);
  });
});
