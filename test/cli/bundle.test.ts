/**
 * The single-file build, dist/migrator.js, run the way an image holds it: the bundle, the library's
 * own migration copied next to it and package.json, with no node_modules anywhere above.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
    expect(await tableNames(db)).toEqual(['customers', 'migrations', 'migrator_declared_columns', 'orders']);
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

  test('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const result = await runMigrator(['--version'], { cli: entry, cwd: image });
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(version);
  });
});
