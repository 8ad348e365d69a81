/**
 * The npm package as users get it: `npm pack`, the tarball installed into a fresh project outside
 * this checkout (its dependencies from the registry), then its bins run, the library imported as
 * ES module and as CommonJS, and its declarations type-checked by the project with skipLibCheck
 * off, under module nodenext and under moduleResolution bundler. Bins and imports run on this
 * Node and on the oldest major package.json's engines allows.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseLines } from '../support/cli';
import { appliedVersions, createDatabase } from '../support/database';
import { fixturePath } from '../support/fixtures';
import { nodeOfMajor } from '../support/node-release';

const ROOT = path.resolve(__dirname, '..', '..');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const OPTIONAL_PEERS = ['libpg-query', 'squawk-cli', '@pgkit/migra', '@pgkit/schemainspect', '@testcontainers/postgresql'];
const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string; engines: { node: string } };
/** The oldest Node the package claims to run on: the tests below run there too. */
const OLDEST_MAJOR = Number(/^>=(\d+)$/.exec(manifest.engines.node)?.[1]);

const exec = promisify(execFile);

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end with only the environment given (and PATH), never throwing on its exit code. */
function runProgram(file: string, args: string[], options: { cwd: string; env: Record<string, string> }): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** What a project's code does with the library: each script prints one JSON line of what it saw. */
const ESM_SCRIPT = `
import { createMigrator, loadConfig, SchemaNotCurrentError, MIGRATION_LOCK_KEY } from 'pg-init-migrator';
import manifest from 'pg-init-migrator/package.json' with { type: 'json' };

const migrator = createMigrator(loadConfig({ ...process.env, LOG_LEVEL: 'warn' }));
const seen = await migrator.check().then(
  (plan) => ({ current: true, steps: plan.steps.length }),
  (error) => ({ current: false, notCurrent: error instanceof SchemaNotCurrentError, steps: error.plan?.steps.length }),
);
console.log(JSON.stringify({ ...seen, version: manifest.version, lockKey: MIGRATION_LOCK_KEY }));
`;
const CJS_SCRIPT = `
const { createMigrator, loadConfig } = require('pg-init-migrator');
const deepImport = (() => { try { require('pg-init-migrator/dist/db/lock'); return 'loaded'; } catch (error) { return error.code; } })();
createMigrator(loadConfig({ ...process.env, LOG_LEVEL: 'warn' })).history().then((applied) => {
  console.log(JSON.stringify({ applied: applied.map((row) => row.name), deepImport }));
});
`;
/** Uses the API's types; the @ts-expect-error proves the declarations are read (were they `any`, it would be unused: an error). */
const CONSUMER_TS = `
import { assertSchemaCurrent, createMigrator, loadConfig, SchemaNotCurrentError, type AppConnection, type MigrationReport, type Plan } from 'pg-init-migrator';

export async function migrate(env: Record<string, string | undefined>): Promise<MigrationReport> {
  const migrator = createMigrator(loadConfig(env), { onEvent: (event) => console.log(event.type, event.type === 'planned' ? event.pending.versioned : event.index) });
  // @ts-expect-error up takes options, not a file name
  await migrator.up('versioned/1_first.sql');
  return migrator.up({ postDeploy: true });
}

export const gate = (db: AppConnection): Promise<Plan> => assertSchemaCurrent(db, { migrationsDir: 'migrations' });
export const stale = (error: unknown): boolean => error instanceof SchemaNotCurrentError && error.plan.steps.length > 0;
`;
const TYPE_CHECKS = {
  'module nodenext': { module: 'nodenext' },
  'moduleResolution bundler': { module: 'esnext', moduleResolution: 'bundler' },
};

describe('the npm package', () => {
  let work: string;
  let project: string;
  let files: string[];
  /** Node binaries by label: this suite's, and the oldest major engines allows. */
  const runtimes: Record<string, string> = {};

  beforeAll(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'migrator-package-'));
    project = path.join(work, 'project');
    // dist/ is built by `npm test` (npm run build) before jest: the pack must not rebuild it under the other tests.
    const packed = JSON.parse(
      (await exec('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: ROOT })).stdout,
    ) as Array<{
      filename: string;
      files: Array<{ path: string }>;
    }>;
    files = packed[0].files.map((file) => file.path).sort();

    const typesNode = JSON.parse(readFileSync(path.join(ROOT, 'node_modules', '@types', 'node', 'package.json'), 'utf8')).version as string;
    mkdirSync(project);
    writeFileSync(
      path.join(project, 'package.json'),
      `${JSON.stringify({ name: 'a-project', version: '1.0.0', private: true }, null, 2)}\n`,
    );
    await exec(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund', path.join(work, packed[0].filename), `@types/node@${typesNode}`],
      {
        cwd: project,
      },
    );
    writeFileSync(path.join(project, 'esm.mjs'), ESM_SCRIPT);
    writeFileSync(path.join(project, 'cjs.cjs'), CJS_SCRIPT);
    writeFileSync(path.join(project, 'consumer.mts'), CONSUMER_TS);

    runtimes['this suite'] = process.execPath;
    runtimes[`the oldest engines allows (${OLDEST_MAJOR})`] = await nodeOfMajor(OLDEST_MAJOR, work);
  }, 5 * 60_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test('holds the compiled library and CLI, the licence and the README, and nothing of the build, the tests or the image', () => {
    expect(files.filter((file) => !file.startsWith('dist/'))).toEqual(['LICENSE', 'README.md', 'package.json']);
    expect(files).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js']));
    // The single-file CLI and its copied migration are the runtime image's; the example app is examples/compose/app/.
    expect(files.filter((file) => /^dist\/(migrator\.js|migrations\/|example\/)/.test(file))).toEqual([]);
  });

  test('its package.json names the licence, repository, homepage, bugs and keywords, both bins, the exports, the Node it runs on and the optional peers', () => {
    const installed = JSON.parse(readFileSync(path.join(project, 'node_modules', 'pg-init-migrator', 'package.json'), 'utf8'));
    expect(installed).toMatchObject({
      license: 'MIT',
      repository: { type: 'git', url: expect.stringMatching(/^git\+https:\/\/github\.com\/.+\.git$/) },
      homepage: expect.stringMatching(/^https:\/\//),
      bugs: { url: expect.stringMatching(/^https:\/\/.+\/issues$/) },
      keywords: expect.arrayContaining(['postgresql', 'migrations']),
      bin: { 'pg-init-migrator': 'dist/cli/main.js', migrator: 'dist/cli/main.js' },
      exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' }, './package.json': './package.json' },
      engines: { node: `>=${OLDEST_MAJOR}` },
    });
    expect(Object.keys(installed.peerDependencies).sort()).toEqual([...OPTIONAL_PEERS].sort());
    for (const name of OPTIONAL_PEERS)
      expect({ name, meta: installed.peerDependenciesMeta[name] }).toEqual({ name, meta: { optional: true } });
    expect(Object.keys(installed.dependencies).filter((name) => OPTIONAL_PEERS.includes(name))).toEqual([]);
    expect(readFileSync(path.join(project, 'node_modules', 'pg-init-migrator', 'LICENSE'), 'utf8')).toMatch(/^MIT License\n/);
  });

  test('installs its dependencies and none of the optional peers, and links both bins', () => {
    expect(OPTIONAL_PEERS.filter((name) => existsSync(path.join(project, 'node_modules', name)))).toEqual([]);
    expect(existsSync(path.join(project, 'node_modules', 'pg'))).toBe(true);
    for (const bin of ['pg-init-migrator', 'migrator']) expect(existsSync(path.join(project, 'node_modules', '.bin', bin))).toBe(true);
  });

  test.each(Object.keys(TYPE_CHECKS))('its declarations type-check in a project, skipLibCheck off, under %s', async (label) => {
    const config = path.join(project, `tsconfig.${label.replace(/\W+/g, '-')}.json`);
    const compilerOptions = {
      ...TYPE_CHECKS[label as keyof typeof TYPE_CHECKS],
      target: 'es2023',
      strict: true,
      skipLibCheck: false,
      noEmit: true,
      types: ['node'],
    };
    writeFileSync(config, JSON.stringify({ compilerOptions, files: ['consumer.mts'] }));

    const check = await runProgram(process.execPath, [TSC, '-p', config], { cwd: project, env: { PATH: process.env.PATH! } });

    expect(check.stdout + check.stderr).toBe('');
    expect(check.code).toBe(0);
  });

  describe.each([['this suite'], [`the oldest engines allows (${OLDEST_MAJOR})`]])('on the Node of %s', (label) => {
    const inProject = (file: string, args: string[], env: Record<string, string> = {}) =>
      runProgram(file, args, {
        cwd: project,
        env: { PATH: `${path.dirname(runtimes[label])}${path.delimiter}${process.env.PATH}`, ...env },
      });

    test('the bins print the version; up migrates; the library imports as ES module and CommonJS; lint names the peer it lacks', async () => {
      const version = await inProject('node', ['--version']);
      expect(version.stdout.trim()).toEqual(
        label === 'this suite' ? process.version : expect.stringMatching(new RegExp(`^v${OLDEST_MAJOR}\\.`)),
      );
      for (const bin of ['pg-init-migrator', 'migrator']) {
        expect(await inProject(path.join('node_modules', '.bin', bin), ['--version'])).toMatchObject({
          code: 0,
          stdout: `${manifest.version}\n`,
        });
      }

      const db = await createDatabase();
      try {
        const env = { DATABASE_URL: db.url, MIGRATIONS_DIR: fixturePath('basic') };
        const before = await inProject('node', ['esm.mjs'], env);
        expect(before.code).toBe(0);
        expect(JSON.parse(before.stdout)).toEqual({
          current: false,
          notCurrent: true,
          steps: 4,
          version: manifest.version,
          lockKey: [0x6d696772, 0x61746f72],
        });

        const up = await inProject(path.join('node_modules', '.bin', 'pg-init-migrator'), ['up'], env);
        expect(up.code).toBe(0);
        expect(parseLines(up.stdout).at(-1)).toMatchObject({ outcome: 'applied', tables: 2, versioned: 2, exitCode: 0 });
        expect((await appliedVersions(db)).map((row) => row.id)).toEqual([1, 2]);

        const after = await inProject('node', ['esm.mjs'], env);
        expect(JSON.parse(after.stdout)).toMatchObject({ current: true, steps: 0 });
        const cjs = await inProject('node', ['cjs.cjs'], env);
        expect(cjs.code).toBe(0);
        expect(JSON.parse(cjs.stdout)).toEqual({
          applied: ['orders_customer_index', 'customers_display_name'],
          deepImport: 'ERR_PACKAGE_PATH_NOT_EXPORTED',
        });

        const lint = await inProject(path.join('node_modules', '.bin', 'pg-init-migrator'), ['lint'], env);
        expect(lint.code).toBe(2);
        expect(JSON.parse(lint.stderr.trim().split('\n').at(-1)!).msg).toMatch(/^migrator lint needs the package libpg-query, /);
      } finally {
        await db.drop();
      }
    });
  });
});
