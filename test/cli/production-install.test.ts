/**
 * A production install (npm ci --omit=dev, as in the runtime image) has none of the packages that
 * lint, converge and generate use: the CLI still starts, and those commands exit 2 saying what is missing.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runMigrator } from '../support/cli';
import { SAMPLE_MIGRATIONS } from '../support/fixtures';

const ROOT = path.resolve(__dirname, '..', '..');

describe('a production install', () => {
  let dir: string;
  beforeAll(() => {
    // The built CLI with only the runtime dependencies next to it.
    dir = mkdtempSync(path.join(os.tmpdir(), 'migrator-production-'));
    cpSync(path.join(ROOT, 'dist'), path.join(dir, 'dist'), { recursive: true });
    cpSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
    mkdirSync(path.join(dir, 'node_modules'));
    const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    for (const name of Object.keys(manifest.dependencies)) {
      symlinkSync(path.join(ROOT, 'node_modules', name), path.join(dir, 'node_modules', name));
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = (args: string[]) =>
    runMigrator(args, { cli: path.join(dir, 'dist', 'cli', 'main.js'), env: { MIGRATIONS_DIR: SAMPLE_MIGRATIONS } });

  test('starts, and lists lint, converge and generate', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/\n {2}lint {4,}flag versioned migrations/);
    expect(help.stdout).toMatch(/\n {2}converge {2}check that databases/);
    expect(help.stdout).toMatch(/\n {2}generate {2}write the next versioned migration/);
  });

  test.each([
    ['lint', 'libpg-query'],
    ['converge', '@pgkit/schemainspect'],
    ['generate', '@pgkit/schemainspect'],
  ])('%s exits 2 naming the package it needs', async (command, dependency) => {
    const result = await run(command === 'generate' ? [command, '--check'] : [command]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(JSON.parse(result.stderr.trim().split('\n').at(-1)!).msg).toBe(
      `migrator ${command} needs the package ${dependency}, which a production install leaves out: run it from a development checkout (npm ci), or add it with npm install --save-dev ${dependency}`,
    );
  });
});
