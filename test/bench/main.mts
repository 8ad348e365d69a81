/**
 * `npm run bench`: times the built migrator as a process against a real PostgreSQL and writes, per
 * scenario, median and min wall time and peak RSS, each against a floor measured in the same run,
 * interleaved with it, into docs/performance.md (below its marker line; the method described above
 * it) and to stdout. Run `npm run build` first (`npm run bench` does).
 *
 * - no-op, with 200 and with 5,000 versioned migrations applied (20 declared tables, 3 legacy
 *   scripts): `up` and `check`; floor: a Node script that loads node-postgres, connects and asks
 *   one question, the least any Node migrator does on a start. Then the growth from 200 to 5,000.
 * - apply: 1,000 and 10,000 small versioned migrations onto an empty database; floor: one psql
 *   session running the same files, each between BEGIN and COMMIT.
 * - large: a 50 MB migration applied; its peak RSS above the no-op's, as a multiple of its size.
 * - image (container.mts): the image's size against its base's; the no-op in a container against
 *   the same run outside one (needs a Linux Docker engine: the containers use the host network).
 * - fleet (fleet.mts): `fleet up --parallel 8` on 100 and 1,000 schema tenants all up to date, and
 *   on 1,000 with one new migration each; written into its own part of docs/performance.md.
 * - drift (drift.mts): the no-op with 200 tables of their own, with MIGRATOR_ON_DRIFT=ignore and
 *   =warn: what the fingerprint costs a start, which decides that variable's default; its own part too.
 *
 * The migrator's rows are the bundle with Node's compile cache written beforehand, as the image
 * runs it (the targets apply to it), in the no-op with and without the versioned files' manifest
 * (the image's own migrations, and a folder mounted into the image); for reference, dist/cli/main.js (tsc) and the bundle without
 * the cache, postgres-migrations' own migrate() on the same sets, `node -e ""`, and in the apply a
 * reference runner that sends each file with its history row and COMMIT as one query.
 *
 * Environment: BENCH_DATABASE_URL (use that server instead of a container; the role must be able to
 * create databases), BENCH_NOOP_ROUNDS, BENCH_NOOP_LARGE_COUNT, BENCH_APPLY_ROUNDS, BENCH_APPLY_COUNT,
 * BENCH_APPLY_LARGE_ROUNDS, BENCH_APPLY_LARGE_COUNT, BENCH_LARGE_ROUNDS, BENCH_LARGE_MB,
 * BENCH_CONTAINER_ROUNDS, BENCH_CONTAINER=0 (skip the image), BENCH_FLEET=0 (skip the fleet) or
 * BENCH_FLEET=only (the fleet alone), BENCH_FLEET_TENANTS, BENCH_FLEET_ROUNDS,
 * BENCH_FLEET_APPLY_ROUNDS, BENCH_DRIFT=0 (skip the drift) or BENCH_DRIFT=only (the drift alone),
 * BENCH_DRIFT_ROUNDS, BENCH_DOCS=0 (leave
 * docs/performance.md alone), BENCH_PSQL, and BENCH_COMPARE_CLI: another build's CLI script (e.g. an
 * older commit's dist/migrator.js), timed as more rows (with its own compile cache) for a
 * before/after in the same run.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BASE_IMAGE, dockerContext, outsideSubject, prepareImage, type ImageUnderTest } from './container.mts';
import { interleave, nodeSubject, runOnce, stats, type Context, type Run, type Stats, type Subject } from './measure.mts';
import { driftSection } from './drift.mts';
import { fleetSection } from './fleet.mts';
import { writeSets, type MigrationSet, type NoopShape, type Sets } from './migration-sets.mts';
import { startServer, type BenchServer } from './postgres.mts';
import { formatGrowth, formatScenario, verdict } from './table.mts';

function count(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number above 0`);
  return value;
}

const NOOP_ROUNDS = count('BENCH_NOOP_ROUNDS', 40);
const NOOP_SMALL: NoopShape = { legacy: 3, tables: 20, versioned: 200 };
const NOOP_LARGE: NoopShape = { ...NOOP_SMALL, versioned: count('BENCH_NOOP_LARGE_COUNT', 5000) };
const APPLY_ROUNDS = count('BENCH_APPLY_ROUNDS', 7);
const APPLY_COUNT = count('BENCH_APPLY_COUNT', 1000);
const APPLY_LARGE_ROUNDS = count('BENCH_APPLY_LARGE_ROUNDS', 3);
const APPLY_LARGE_COUNT = count('BENCH_APPLY_LARGE_COUNT', 10000);
const LARGE_ROUNDS = count('BENCH_LARGE_ROUNDS', 3);
const LARGE_MB = count('BENCH_LARGE_MB', 50);
const CONTAINER_ROUNDS = count('BENCH_CONTAINER_ROUNDS', 20);
const WITH_CONTAINER = process.env.BENCH_CONTAINER !== '0';
const FLEET = process.env.BENCH_FLEET === '0' ? 'skip' : process.env.BENCH_FLEET === 'only' ? 'only' : 'with';
const FLEET_TENANTS = count('BENCH_FLEET_TENANTS', 1000);
const FLEET_ROUNDS = count('BENCH_FLEET_ROUNDS', 5);
const FLEET_APPLY_ROUNDS = count('BENCH_FLEET_APPLY_ROUNDS', 3);
const DRIFT = process.env.BENCH_DRIFT === '0' ? 'skip' : process.env.BENCH_DRIFT === 'only' ? 'only' : 'with';
const DRIFT_ROUNDS = count('BENCH_DRIFT_ROUNDS', 30);
const WRITE_DOCS = process.env.BENCH_DOCS !== '0';
const PSQL = process.env.BENCH_PSQL ?? debianPsql() ?? 'psql';

/** The issue's targets (issue 19), each checked by the row it names. */
const TARGETS = {
  noop: {
    small: { wallRatio: 1.15, rssAboveFloorMB: 8 },
    large: { wallRatio: 1.3, rssAboveFloorMB: 20 },
    growthMsPer1000: 10,
  },
  apply: { small: { wallRatio: 1.0 }, large: { wallRatio: 1.1 } },
  /** Peak RSS applying the large migration, above the no-op's, at most this many times its size. */
  largeRssPerSize: 4,
  container: { wallRatio: 1.5 },
  imageAddedMB: 20,
};

const here = path.resolve('test/bench');
const CLI = path.resolve('dist/cli/main.js');
const BUNDLE = path.resolve('dist/migrator.js');
const DOCS = path.resolve('docs/performance.md');
/** docs/performance.md: everything after this line is the last run's results. */
const DOCS_MARKER = '<!-- Written by npm run bench (test/bench/main.mts): everything below this line is replaced by each run. -->';
/** docs/performance.md: the fleet's results, between these two lines. */
const FLEET_MARKERS = ['<!-- Fleet results: written by npm run bench (test/bench/fleet.mts) from here -->', '<!-- to here. -->'] as const;
/** docs/performance.md: the drift's results, between these two lines. */
const DRIFT_MARKERS = ['<!-- Drift results: written by npm run bench (test/bench/drift.mts) from here -->', '<!-- to here. -->'] as const;
const PG_ONE_QUERY = path.join(here, 'subjects/pg-one-query.cjs');
const LIBRARY_MIGRATE = path.join(here, 'subjects/library-migrate.cjs');
const ONE_ROUND_TRIP = path.join(here, 'subjects/one-round-trip-runner.cjs');

interface MigratorCommand {
  name: string;
  args: string[];
  env?: Record<string, string>;
  /** Whether the targets apply (the form the image runs, and BENCH_COMPARE_CLI's, for a before/after). */
  targeted: boolean;
}

/** Where each build's compile cache is written beforehand, as an image build writes it. */
interface CompileCaches {
  bundle: string;
  compare?: string;
}

const IMAGE_FORM = 'dist/migrator.js, NODE_COMPILE_CACHE';

/**
 * The migrator's command (`up` or `check`) in the form the image runs, BENCH_COMPARE_CLI's, and
 * with `all`, the forms without the bundle or the cache, for reference. With manifestDir (a copy
 * of the set with its manifest written, as the image holds its own migrations), the image's form
 * twice: on that copy, and on the set without a manifest (as a folder mounted into the image).
 */
function migratorCommands(command: 'up' | 'check', caches: CompileCaches, all: boolean, manifestDir?: string): MigratorCommand[] {
  const compare = process.env.BENCH_COMPARE_CLI;
  return [
    ...(compare && caches.compare
      ? [
          {
            name: `migrator ${command} (BENCH_COMPARE_CLI, NODE_COMPILE_CACHE)`,
            args: [path.resolve(compare), command],
            env: { NODE_COMPILE_CACHE: caches.compare },
            targeted: true,
          },
        ]
      : []),
    ...(all
      ? [
          { name: `migrator ${command} (dist/cli/main.js)`, args: [CLI, command], targeted: false },
          { name: `migrator ${command} (dist/migrator.js)`, args: [BUNDLE, command], targeted: false },
        ]
      : []),
    ...(manifestDir
      ? [
          {
            name: `migrator ${command} (${IMAGE_FORM}, manifest)`,
            args: [BUNDLE, command],
            env: { NODE_COMPILE_CACHE: caches.bundle, MIGRATIONS_DIR: manifestDir },
            targeted: true,
          },
        ]
      : []),
    {
      name: `migrator ${command} (${IMAGE_FORM}${manifestDir ? ', no manifest' : ''})`,
      args: [BUNDLE, command],
      env: { NODE_COMPILE_CACHE: caches.bundle },
      targeted: true,
    },
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
const progressEvery = (label: string, total: number, every: number) => (round: number) => {
  if (round % every === 0 || round === total) progress(`${label}: ${round}/${total}`);
};

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

interface NoopResult {
  table: string;
  /** Every row's figures by name, the floor's among them. */
  byName: Map<string, Stats>;
  floorName: string;
  targeted: string[];
}

const FLOOR_NOOP = 'node: load pg, connect, one query';

async function noopScenario(
  server: BenchServer,
  set: MigrationSet,
  shape: NoopShape,
  base: Context,
  caches: CompileCaches,
  small: boolean,
): Promise<NoopResult> {
  const url = await server.createDatabase('bench_noop');
  try {
    const context = { ...base, env: { ...base.env, ...connectionEnv(url), MIGRATIONS_DIR: set.dir } };
    const manifestDir = `${set.dir}-manifest`;
    cpSync(set.dir, manifestDir, { recursive: true });
    await runOnce(process.execPath, [BUNDLE, 'manifest'], { ...context, env: { ...context.env, MIGRATIONS_DIR: manifestDir } });
    const commands = [...migratorCommands('up', caches, small, manifestDir), ...migratorCommands('check', caches, false, manifestDir)];
    const subjects: Subject[] = [
      nodeSubject(FLOOR_NOOP, [PG_ONE_QUERY]),
      nodeSubject('node -e ""', ['-e', '']),
      // The library reads and hashes every file as we do; at 200 applied it shows where it starts.
      ...(small ? [nodeSubject("postgres-migrations' migrate()", [LIBRARY_MIGRATE])] : []),
      // What loading the bundle costs, which is all a startup snapshot could save.
      ...(small
        ? [nodeSubject(`migrator --version (${IMAGE_FORM})`, [BUNDLE, '--version'], { env: { NODE_COMPILE_CACHE: caches.bundle } })]
        : []),
      ...commands.map(({ name, args, env }) =>
        nodeSubject(name, args, { env, after: name.startsWith('migrator up') ? upToDate : undefined }),
      ),
    ];
    const label = `no-op ${shape.versioned}`;
    progress(`${label}: applying the set once, then ${NOOP_ROUNDS} rounds`);
    await runOnce(process.execPath, [BUNDLE, 'up'], context);
    // One untimed round first, so that no subject pays for cold file caches.
    await interleave(subjects, 1, context);
    const samples = await interleave(subjects, NOOP_ROUNDS, context, progressEvery(label, NOOP_ROUNDS, 10));
    const [floorStats, ...rows] = samples.map(stats);
    const targeted = commands.filter((command) => command.targeted).map((command) => command.name);
    const table = formatScenario({
      title: `no-op: ${shape.versioned.toLocaleString('en')} versioned migrations applied, ${shape.tables} declared tables, ${shape.legacy} legacy scripts, all current`,
      note: 'Floor: a Node script that loads node-postgres, connects and asks one question (`SELECT 1`), the least any Node migrator does on every start.',
      floor: floorStats,
      rows,
      targeted,
      targets: small ? TARGETS.noop.small : TARGETS.noop.large,
      runs: NOOP_ROUNDS,
    });
    return { table, byName: new Map([floorStats, ...rows].map((row) => [row.name, row])), floorName: floorStats.name, targeted };
  } finally {
    rmSync(`${set.dir}-manifest`, { recursive: true, force: true });
    await server.dropDatabase(url);
  }
}

function growthTable(small: NoopResult, large: NoopResult): string {
  const names = [small.floorName, ...small.targeted].filter((name) => large.byName.has(name));
  return formatGrowth(
    `no-op: growth from ${NOOP_SMALL.versioned} to ${NOOP_LARGE.versioned.toLocaleString('en')} applied`,
    { small: NOOP_SMALL.versioned, large: NOOP_LARGE.versioned },
    names.map((name) => ({
      name: name === small.floorName ? `floor: ${name}` : name,
      small: small.byName.get(name)!,
      large: large.byName.get(name)!,
      targeted: name !== small.floorName,
    })),
    TARGETS.noop.growthMsPer1000,
  );
}

async function containerScenario(server: BenchServer, set: MigrationSet, base: Context, caches: CompileCaches) {
  const url = await server.createDatabase('bench_container');
  const context = dockerContext({ ...base, env: { ...base.env, ...connectionEnv(url), MIGRATIONS_DIR: set.dir } });
  let image: ImageUnderTest | undefined;
  try {
    await runOnce(process.execPath, [BUNDLE, 'up'], context);
    progress('container: building the image');
    image = prepareImage(process.cwd(), url, set.dir, outsideSubject(BUNDLE, caches.bundle, upToDate), upToDate);
    progress(`container: ${CONTAINER_ROUNDS} rounds`);
    await interleave(image.subjects, 1, context);
    const samples = await interleave(image.subjects, CONTAINER_ROUNDS, context, progressEvery('container', CONTAINER_ROUNDS, 10));
    const [floorStats, ...rows] = samples.map(stats);
    const { imageMB, baseMB } = image.sizes;
    return [
      `### image: size, and the no-op in a container`,
      '',
      `Image ${imageMB.toFixed(1)} MB, its base ${BASE_IMAGE} ${baseMB.toFixed(1)} MB: ${(imageMB - baseMB).toFixed(1)} MB added ` +
        `(target ≤ ${TARGETS.imageAddedMB}: ${verdict([['size', imageMB - baseMB <= TARGETS.imageAddedMB]])}).`,
      '',
      formatScenario({
        title: `no-op in a container, against the same no-op outside one (${NOOP_SMALL.versioned} applied)`,
        floor: floorStats,
        rows,
        targeted: image.targeted,
        targets: TARGETS.container,
        runs: CONTAINER_ROUNDS,
        heading: 4,
      }),
    ].join('\n');
  } finally {
    image?.remove();
    await server.dropDatabase(url);
  }
}

/** Subjects that each apply `set` onto a fresh database, checked and dropped after each run; the psql floor first. */
function applySubjects(server: BenchServer, set: MigrationSet, commands: MigratorCommand[], references: boolean): Subject[] {
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
    if (summary.versioned !== set.versioned) throw new Error(`expected ${set.versioned} applied, got ${JSON.stringify(summary)}`);
  };
  return [
    {
      name: `psql -f (${set.versioned.toLocaleString('en')} × BEGIN; file; COMMIT)`,
      command: PSQL,
      args: ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', set.script],
      before: freshDatabase,
      after: checkAndDrop(),
    },
    ...(references
      ? [
          nodeSubject("postgres-migrations' migrate()", [LIBRARY_MIGRATE], { before: freshDatabase, after: checkAndDrop() }),
          nodeSubject('one round trip per migration (reference runner)', [ONE_ROUND_TRIP], {
            before: freshDatabase,
            after: checkAndDrop(),
          }),
        ]
      : []),
    ...commands.map(({ name, args, env }) => nodeSubject(name, args, { env, before: freshDatabase, after: checkAndDrop(appliedAll) })),
  ];
}

async function applyScenario(server: BenchServer, set: MigrationSet, base: Context, caches: CompileCaches, rounds: number, small: boolean) {
  const context = { ...base, env: { ...base.env, MIGRATIONS_DIR: set.dir } };
  const commands = migratorCommands('up', caches, small);
  const label = `apply ${set.versioned}`;
  progress(`${label}: ${rounds} rounds`);
  const samples = await interleave(applySubjects(server, set, commands, small), rounds, context, progressEvery(label, rounds, 1));
  const [floorStats, ...rows] = samples.map(stats);
  return formatScenario({
    title: `apply: ${set.versioned.toLocaleString('en')} small versioned migrations onto an empty database`,
    note: 'Floor: one `psql -f` session running the same files, each between `BEGIN` and `COMMIT`.',
    floor: floorStats,
    rows,
    targeted: commands.filter((command) => command.targeted).map((command) => command.name),
    targets: small ? TARGETS.apply.small : TARGETS.apply.large,
    runs: rounds,
  });
}

/** The large migration applied: time against psql, and peak RSS above the no-op's (200 applied) as a multiple of the file's size. */
async function largeScenario(server: BenchServer, set: MigrationSet, base: Context, caches: CompileCaches, noop: NoopResult) {
  const context = { ...base, env: { ...base.env, MIGRATIONS_DIR: set.dir } };
  const commands = migratorCommands('up', caches, false);
  progress(`large: ${LARGE_ROUNDS} rounds`);
  const samples = await interleave(
    applySubjects(server, set, commands, false),
    LARGE_ROUNDS,
    context,
    progressEvery('large', LARGE_ROUNDS, 1),
  );
  const [floorStats, ...rows] = samples.map(stats);
  const sizeMB = statSync(path.join(set.dir, 'versioned/2_fill_big.sql')).size / 1e6;
  const lines = [
    `### large: one ${sizeMB.toFixed(1)} MB migration of INSERTs onto an empty database`,
    '',
    `${LARGE_ROUNDS} interleaved runs each. Target: peak RSS (median of the runs' peaks) above the same build's no-op with ` +
      `${NOOP_SMALL.versioned} applied at most ${TARGETS.largeRssPerSize}× the file's size. Time against \`psql -f\` for reference.`,
    '',
    '| run | median ms | × psql | peak RSS MB | − no-op MB | × size | target |',
    '|---|--:|--:|--:|--:|--:|---|',
    `| floor: ${floorStats.name} | ${floorStats.medianMs.toFixed(1)} | 1.00× | | | | |`,
  ];
  for (const row of rows) {
    const noopRow = noop.byName.get(row.name) ?? noop.byName.get(row.name.replace(/\)$/, ', no manifest)'));
    const above = row.rssMB !== undefined && noopRow?.rssMB !== undefined ? row.rssMB - noopRow.rssMB : undefined;
    const perSize = above === undefined ? undefined : above / sizeMB;
    lines.push(
      `| ${row.name} | ${row.medianMs.toFixed(1)} | ${(row.medianMs / floorStats.medianMs).toFixed(2)}× | ` +
        `${row.rssMB?.toFixed(1) ?? ''} (${row.rssMaxMB?.toFixed(1) ?? ''}) | ${above?.toFixed(1) ?? ''} | ${perSize === undefined ? '' : `${perSize.toFixed(2)}×`} | ` +
        `${perSize === undefined ? '' : verdict([['RSS', perSize <= TARGETS.largeRssPerSize]])} |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const psql = psqlVersion();
  const sets = writeSets();
  // A minimal environment, and a working folder without a .env file: nothing from this shell leaks in.
  const base: Context = { env: { PATH: process.env.PATH ?? '' }, cwd: sets.root };
  try {
    progress('starting PostgreSQL');
    await runScenarios(await startServer(), sets, base, psql);
  } finally {
    sets.remove();
  }
}

/** Every scenario and the report, on a started server that is stopped whatever happens. */
async function runScenarios(server: BenchServer, sets: Sets, base: Context, psql: string): Promise<void> {
  try {
    const loadBefore = os.loadavg()[0];
    // The compile caches as an image would hold them: written once at build time by --version.
    const caches: CompileCaches = { bundle: path.join(sets.root, 'node-compile-cache') };
    await runOnce(process.execPath, [BUNDLE, '--version'], { ...base, env: { ...base.env, NODE_COMPILE_CACHE: caches.bundle } });
    if (process.env.BENCH_COMPARE_CLI) {
      caches.compare = path.join(sets.root, 'node-compile-cache-compare');
      await runOnce(process.execPath, [path.resolve(process.env.BENCH_COMPARE_CLI), '--version'], {
        ...base,
        env: { ...base.env, NODE_COMPILE_CACHE: caches.compare },
      });
    }
    if (DRIFT !== 'only' && FLEET !== 'only') await mainScenarios(server, sets, base, psql, caches, loadBefore);
    if (DRIFT !== 'skip' && FLEET !== 'only') {
      const driftLoadBefore = os.loadavg()[0];
      const drift = await driftSection(server, sets.noop(NOOP_SMALL), base, {
        rounds: DRIFT_ROUNDS,
        tables: 200,
        bundle: BUNDLE,
        compileCache: caches.bundle,
        connectionEnv,
        progress,
      });
      const results = `${machineLine(server, psql, driftLoadBefore)}\n\n${drift}`;
      process.stdout.write(results);
      if (WRITE_DOCS) writeDocs(DRIFT_MARKERS, results);
    }
    if (FLEET !== 'skip' && DRIFT !== 'only') {
      const fleetLoadBefore = os.loadavg()[0];
      const fleet = await fleetSection(server, sets, base, {
        tenants: FLEET_TENANTS,
        smallTenants: Math.max(1, Math.round(FLEET_TENANTS / 10)),
        parallel: 8,
        upRounds: FLEET_ROUNDS,
        applyRounds: FLEET_APPLY_ROUNDS,
        psql: PSQL,
        cli: CLI,
        bundle: BUNDLE,
        compileCache: caches.bundle,
        connectionEnv,
        progress,
      });
      const results = `${machineLine(server, psql, fleetLoadBefore)}\n\n${fleet}\n`;
      process.stdout.write(results);
      if (WRITE_DOCS) writeDocs(FLEET_MARKERS, results);
    }
  } finally {
    await server.stop();
  }
}

/** The machine, the software and the commit measured, for the top of each part of the report. */
function machineLine(server: BenchServer, psql: string, loadBefore: number): string {
  const cpus = os.cpus();
  const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim() || 'unknown';
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).stdout.trim() !== '';
  return (
    `Machine: ${os.availableParallelism()} cores (${cpus[0]?.model ?? 'unknown CPU'}), Node ${process.version}, ` +
    `PostgreSQL ${server.version} (${server.origin}), ${psql}; commit ${commit}${dirty ? ' with uncommitted changes' : ''}; ` +
    `load average ${loadBefore.toFixed(2)} at the start of the run, ${os.loadavg()[0].toFixed(2)} at its end.`
  );
}

/** The single-database scenarios and their report. */
async function mainScenarios(server: BenchServer, sets: Sets, base: Context, psql: string, caches: CompileCaches, loadBefore: number) {
  const smallSet = sets.noop(NOOP_SMALL);
  const noopSmall = await noopScenario(server, smallSet, NOOP_SMALL, base, caches, true);
  const largeSet = sets.noop(NOOP_LARGE);
  const noopLarge = await noopScenario(server, largeSet, NOOP_LARGE, base, caches, false);
  largeSet.remove();
  const apply = [];
  for (const [applyCount, rounds, small] of [
    [APPLY_COUNT, APPLY_ROUNDS, true],
    [APPLY_LARGE_COUNT, APPLY_LARGE_ROUNDS, false],
  ] as const) {
    const set = sets.apply(applyCount);
    apply.push(await applyScenario(server, set, base, caches, rounds, small));
    set.remove();
  }
  const bigSet = sets.large(LARGE_MB * 1e6);
  const large = await largeScenario(server, bigSet, base, caches, noopSmall);
  bigSet.remove();
  const container = WITH_CONTAINER
    ? await containerScenario(server, smallSet, base, caches)
    : 'Image scenario skipped (BENCH_CONTAINER=0).';
  const results = [
    machineLine(server, psql, loadBefore) +
      (process.env.BENCH_COMPARE_CLI ? ' The `BENCH_COMPARE_CLI` rows are another build, for a before/after in this run.' : ''),
    '',
    noopSmall.table,
    '',
    noopLarge.table,
    '',
    growthTable(noopSmall, noopLarge),
    '',
    ...apply.flatMap((table) => [table, '']),
    large,
    '',
    container,
    '',
  ].join('\n');
  process.stdout.write(results);
  if (WRITE_DOCS) writeDocs([DOCS_MARKER], results);
}

/** Replaces what follows the marker line in docs/performance.md (up to the end marker, when given) with this run's results. */
function writeDocs([marker, endMarker]: readonly [string, string?], results: string): void {
  const text = readFileSync(DOCS, 'utf8');
  const at = text.indexOf(marker);
  const end = endMarker === undefined ? text.length : text.indexOf(endMarker, at);
  if (at === -1 || end === -1) throw new Error(`${DOCS} has no marker line; the results were printed only`);
  writeFileSync(DOCS, `${text.slice(0, at + marker.length)}\n\n${results}${endMarker === undefined ? '' : `\n${text.slice(end)}`}`);
  progress(`wrote the results into ${path.relative(process.cwd(), DOCS)}`);
}

await main();
