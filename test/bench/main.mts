/**
 * `npm run bench`: times the built migrator as a process against a real PostgreSQL and prints, per
 * scenario, median and min wall time and peak RSS, each as a ratio to a floor measured in the same
 * run, interleaved with it (README.md, "Performance"). Run `npm run build` first (`npm run bench` does).
 *
 * - no-op: a database already current with 200 versioned migrations, 20 declared tables and
 *   3 legacy scripts; floor: starting Node with nothing to run (`node -e ""`).
 * - apply: 1000 small versioned migrations onto an empty database; floor: one psql session running
 *   the same files, each between BEGIN and COMMIT.
 *
 * Rows: the migrator as dist/cli/main.js (tsc), as dist/migrator.js (the bundle) and as the bundle
 * with Node's compile cache written beforehand (as an image build would); for reference,
 * postgres-migrations' own migrate() on the same sets; in the no-op, a Node script that only loads
 * node-postgres, connects and asks one question; in the apply, a reference runner that sends each
 * file with its history row and COMMIT as one query (what replacing the library's runner could give).
 * - image (container.mts): the image's size against its base's; the no-op in a container against
 *   the same run outside one (needs a Linux Docker engine: the containers use the host network).
 *
 * Environment: BENCH_DATABASE_URL (use that server instead of a container; the role must be able to
 * create databases), BENCH_NOOP_ROUNDS, BENCH_APPLY_ROUNDS, BENCH_APPLY_COUNT, BENCH_CONTAINER_ROUNDS,
 * BENCH_CONTAINER=0 (skip the image), BENCH_PSQL, and
 * BENCH_COMPARE_CLI: another build's CLI script (e.g. an older commit's dist/cli/main.js), timed as
 * one more row for a before/after in the same run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BASE_IMAGE, dockerContext, outsideSubject, prepareImage, type ImageUnderTest } from './container.mts';
import { interleave, nodeSubject, runOnce, stats, type Context, type Run, type Subject } from './measure.mts';
import { writeSets, type Sets } from './migration-sets.mts';
import { startServer, type BenchServer } from './postgres.mts';
import { formatScenario } from './table.mts';

function count(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number above 0`);
  return value;
}

const NOOP_ROUNDS = count('BENCH_NOOP_ROUNDS', 60);
const APPLY_ROUNDS = count('BENCH_APPLY_ROUNDS', 7);
const APPLY_COUNT = count('BENCH_APPLY_COUNT', 1000);
const CONTAINER_ROUNDS = count('BENCH_CONTAINER_ROUNDS', 20);
const WITH_CONTAINER = process.env.BENCH_CONTAINER !== '0';
const NOOP_SHAPE = { legacy: 3, tables: 20, versioned: 200 };
const PSQL = process.env.BENCH_PSQL ?? debianPsql() ?? 'psql';

const here = path.resolve('test/bench');
const CLI = path.resolve('dist/cli/main.js');
const BUNDLE = path.resolve('dist/migrator.js');
const PG_ONE_QUERY = path.join(here, 'subjects/pg-one-query.cjs');
const LIBRARY_MIGRATE = path.join(here, 'subjects/library-migrate.cjs');
const ONE_ROUND_TRIP = path.join(here, 'subjects/one-round-trip-runner.cjs');

interface MigratorCommand {
  name: string;
  args: string[];
  env?: Record<string, string>;
}

/** `migrator check` as an image runs it: a readiness probe or gate, timed in the no-op only (elsewhere it exits 3). */
function checkCommand(compileCache: string): MigratorCommand {
  return { name: 'migrator check (dist/migrator.js, NODE_COMPILE_CACHE)', args: [BUNDLE, 'check'], env: { NODE_COMPILE_CACHE: compileCache } };
}

/** The migrator commands timed in every scenario. */
function migratorCommands(compileCache: string): MigratorCommand[] {
  const compare = process.env.BENCH_COMPARE_CLI;
  return [
    ...(compare ? [{ name: `migrator up (BENCH_COMPARE_CLI)`, args: [path.resolve(compare), 'up'] }] : []),
    { name: 'migrator up (dist/cli/main.js)', args: [CLI, 'up'] },
    { name: 'migrator up (dist/migrator.js)', args: [BUNDLE, 'up'] },
    { name: 'migrator up (dist/migrator.js, NODE_COMPILE_CACHE)', args: [BUNDLE, 'up'], env: { NODE_COMPILE_CACHE: compileCache } },
  ];
}

/**
 * Debian's psql is a Perl wrapper that costs some 25 ms per start before the real client runs; the
 * floor should be the client itself.
 */
function debianPsql(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((version) => existsSync(path.join(root, version, 'bin', 'psql')));
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  return newest && path.join(root, newest, 'bin', 'psql');
}

const progress = (text: string) => process.stderr.write(`${text}\n`);

function lastLine(run: Run): Record<string, unknown> {
  const lines = run.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
}

async function upToDate(run: Run): Promise<void> {
  const summary = lastLine(run);
  if (summary.outcome !== 'up-to-date') throw new Error(`expected a no-op, got ${JSON.stringify(summary)}`);
}

function psqlVersion(): string {
  const result = spawnSync(PSQL, ['--version'], { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`${PSQL} not found: the apply floor runs psql (Debian: apt-get install postgresql-client), or set BENCH_PSQL`);
  }
  return result.stdout.trim();
}

/** Connection settings both as DATABASE_URL (the migrator, the library) and as libpq variables (psql). */
function connectionEnv(url: string): Record<string, string> {
  const parsed = new URL(url);
  return {
    DATABASE_URL: url,
    PGHOST: parsed.hostname,
    PGPORT: parsed.port,
    PGUSER: decodeURIComponent(parsed.username),
    PGPASSWORD: decodeURIComponent(parsed.password),
    PGDATABASE: parsed.pathname.slice(1),
  };
}

async function noopScenario(server: BenchServer, sets: Sets, base: Context, commands: MigratorCommand[]) {
  const url = await server.createDatabase('bench_noop');
  try {
    const context = { ...base, env: { ...base.env, ...connectionEnv(url), MIGRATIONS_DIR: sets.noop.dir } };
    const floor = nodeSubject('node -e ""', ['-e', '']);
    const subjects: Subject[] = [
      floor,
      nodeSubject('node: load pg, connect, one query', [PG_ONE_QUERY]),
      nodeSubject("postgres-migrations' migrate()", [LIBRARY_MIGRATE]),
      ...commands.map(({ name, args, env }) => nodeSubject(name, args, { env, after: upToDate })),
    ];
    progress(`no-op: applying the set once, then ${NOOP_ROUNDS} rounds`);
    await runOnce(process.execPath, [CLI, 'up'], context);
    // One untimed round first, so that no subject pays for cold file caches.
    await interleave(subjects, 1, context);
    const samples = await interleave(subjects, NOOP_ROUNDS, context, (round) => {
      if (round % 10 === 0) progress(`no-op: ${round}/${NOOP_ROUNDS}`);
    });
    const [floorStats, ...rows] = samples.map(stats);
    return formatScenario({
      title: `no-op: ${NOOP_SHAPE.versioned} versioned migrations, ${NOOP_SHAPE.tables} declared tables, ${NOOP_SHAPE.legacy} legacy scripts, all current`,
      floor: floorStats,
      rows,
      targeted: commands.map((command) => command.name),
      targets: { wallRatio: 1.6, rssMB: 60 },
      runs: NOOP_ROUNDS,
    });
  } finally {
    await server.dropDatabase(url);
  }
}

async function containerScenario(server: BenchServer, sets: Sets, base: Context, compileCache: string) {
  const url = await server.createDatabase('bench_container');
  const context = dockerContext({ ...base, env: { ...base.env, ...connectionEnv(url), MIGRATIONS_DIR: sets.noop.dir } });
  let image: ImageUnderTest | undefined;
  try {
    await runOnce(process.execPath, [CLI, 'up'], context);
    progress('container: building the image');
    image = prepareImage(process.cwd(), url, sets.noop.dir, outsideSubject(BUNDLE, compileCache, upToDate), upToDate);
    progress(`container: ${CONTAINER_ROUNDS} rounds`);
    await interleave(image.subjects, 1, context);
    const samples = await interleave(image.subjects, CONTAINER_ROUNDS, context);
    const [floorStats, ...rows] = samples.map(stats);
    const { imageMB, baseMB } = image.sizes;
    return [
      `### image: size, and the no-op in a container`,
      '',
      `Image ${imageMB.toFixed(1)} MB, its base ${BASE_IMAGE} ${baseMB.toFixed(1)} MB: ${(imageMB - baseMB).toFixed(1)} MB added ` +
        `(target ≤ 20: ${imageMB - baseMB <= 20 ? 'met' : 'missed'}).`,
      '',
      formatScenario({
        title: 'no-op in a container, against the same no-op outside one',
        floor: floorStats,
        rows,
        targeted: image.targeted,
        targets: { wallRatio: 1.5 },
        runs: CONTAINER_ROUNDS,
        heading: 4,
      }),
    ].join('\n');
  } finally {
    image?.remove();
    await server.dropDatabase(url);
  }
}

async function applyScenario(server: BenchServer, sets: Sets, base: Context, commands: MigratorCommand[]) {
  const context = { ...base, env: { ...base.env, MIGRATIONS_DIR: sets.apply.dir } };
  const freshDatabase = async () => connectionEnv(await server.createDatabase('bench_apply'));
  /** Checks the run (beyond its exit code 0, which every run must have), then drops its database. */
  const checkAndDrop = (check?: (run: Run) => void) => async (run: Run, runEnv: Record<string, string>) => {
    try {
      check?.(run);
    } finally {
      await server.dropDatabase(runEnv.DATABASE_URL);
    }
  };
  const appliedAll = (run: Run) => {
    const summary = lastLine(run);
    if (summary.versioned !== APPLY_COUNT) throw new Error(`expected ${APPLY_COUNT} applied, got ${JSON.stringify(summary)}`);
  };
  const subjects: Subject[] = [
    {
      name: `psql -f (${APPLY_COUNT} × BEGIN; file; COMMIT)`,
      command: PSQL,
      args: ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', sets.applyScript],
      before: freshDatabase,
      after: checkAndDrop(),
    },
    nodeSubject("postgres-migrations' migrate()", [LIBRARY_MIGRATE], { before: freshDatabase, after: checkAndDrop() }),
    nodeSubject('one round trip per migration (reference runner)', [ONE_ROUND_TRIP], { before: freshDatabase, after: checkAndDrop() }),
    ...commands.map(({ name, args, env }) =>
      nodeSubject(name, args, { env, before: freshDatabase, after: checkAndDrop(appliedAll) }),
    ),
  ];
  progress(`apply: ${APPLY_ROUNDS} rounds of ${APPLY_COUNT} migrations`);
  const samples = await interleave(subjects, APPLY_ROUNDS, context, (round) => progress(`apply: ${round}/${APPLY_ROUNDS}`));
  const [floorStats, ...rows] = samples.map(stats);
  return formatScenario({
    title: `apply: ${APPLY_COUNT} small versioned migrations onto an empty database`,
    floor: floorStats,
    rows,
    targeted: commands.map((command) => command.name),
    targets: { wallRatio: 1.2, rssMB: 100 },
    runs: APPLY_ROUNDS,
  });
}

async function main(): Promise<void> {
  const psql = psqlVersion();
  const sets = writeSets(NOOP_SHAPE, APPLY_COUNT);
  // A minimal environment, and a working folder without a .env file: nothing from this shell leaks in.
  const base: Context = { env: { PATH: process.env.PATH ?? '' }, cwd: sets.root };
  try {
    progress('starting PostgreSQL');
    await runScenarios(await startServer(), sets, base, psql);
  } finally {
    sets.remove();
  }
}

/** Both scenarios and the report, on a started server that is stopped whatever happens. */
async function runScenarios(server: BenchServer, sets: Sets, base: Context, psql: string): Promise<void> {
  try {
    const loadBefore = os.loadavg()[0];
    // The compile cache as an image would hold it: written once at build time by --version.
    const compileCache = path.join(sets.root, 'node-compile-cache');
    await runOnce(process.execPath, [BUNDLE, '--version'], { ...base, env: { ...base.env, NODE_COMPILE_CACHE: compileCache } });
    const commands = migratorCommands(compileCache);
    const noop = await noopScenario(server, sets, base, [...commands, checkCommand(compileCache)]);
    const apply = await applyScenario(server, sets, base, commands);
    const container = WITH_CONTAINER ? await containerScenario(server, sets, base, compileCache) : 'container scenario skipped (BENCH_CONTAINER=0)';
    const cpus = os.cpus();
    process.stdout.write(
      [
        `Machine: ${os.availableParallelism()} cores (${cpus[0]?.model ?? 'unknown CPU'}), Node ${process.version}, ` +
          `PostgreSQL ${server.version} (${server.origin}), ${psql}; ` +
          `load average ${loadBefore.toFixed(2)} at start, ${os.loadavg()[0].toFixed(2)} at end.`,
        '',
        noop,
        '',
        apply,
        '',
        container,
        '',
      ].join('\n'),
    );
  } finally {
    await server.stop();
  }
}

await main();
