/**
 * The fleet's figures: 1,000 schema tenants of one database, `fleet up --parallel 8` as a process,
 * each against a floor measured in the same run, interleaved with it.
 *
 * - up to date: 100 and 1,000 tenants; floor: a Node script that loads node-postgres, opens the same
 *   8 connections and reads each tenant's history with one query, 8 at a time. `node -e ""` shows
 *   what starting any Node process costs; the growth from 100 to 1,000 is the cost per tenant. For
 *   reference, the same script running the fleet's quick look per tenant instead: its checks alone.
 * - one new migration each (1,000 tenants, dist/cli/main.js only: a run is long); floor: 8 psql sessions, each applying the file to its
 *   share of the tenants (`SET search_path`, then the file between BEGIN and COMMIT). For
 *   reference, the same psql sessions adding a lock, a history read and the history row per
 *   tenant (what any migrator with a history does), and a Node script that opens a connection per
 *   tenant, as the fleet did before each worker kept its connection.
 * - peak RSS of the up-to-date run at 100 and at 1,000 tenants: KB per target.
 *
 * Every tenant is a schema `tenant_NNNN` holding the same small set (5 declared tables, 20
 * versioned migrations), applied once by `fleet up` before timing. The migrator's rows use a
 * targets file, which the floors read too; the row with `--targets-sql` adds listing the tenants.
 */
import { cpSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { interleave, nodeSubject, runOnce, stats, type Context, type Run, type Stats, type Subject } from './measure.mts';
import type { NoopShape, Sets } from './migration-sets.mts';
import type { BenchServer } from './postgres.mts';
import { formatScenario, verdict } from './table.mts';

export interface FleetSettings {
  tenants: number;
  smallTenants: number;
  parallel: number;
  upRounds: number;
  applyRounds: number;
  psql: string;
  /** The built CLI (dist/cli/main.js) and the bundle with its compile cache, as the image runs it. */
  cli: string;
  bundle: string;
  compileCache: string;
  connectionEnv(url: string): Record<string, string>;
  progress(text: string): void;
}

/** The issue's targets (issue 24). */
export const FLEET_TARGETS = { upToDateRatio: 1.5, applyRatio: 1.3, rssKBPerTarget: 5 };

const SHAPE: NoopShape = { legacy: 0, tables: 5, versioned: 20 };
const NEW_MIGRATION = `${SHAPE.versioned + 1}_add_extra.sql`;
const NEW_SQL = 'CREATE TABLE extra (\n  id bigint PRIMARY KEY,\n  note text NOT NULL\n);\n';
const here = path.resolve('test/bench');
const HISTORY_READS = path.join(here, 'subjects/fleet-history-reads.cjs');
const CONNECT_PER_TENANT = path.join(here, 'subjects/fleet-connect-per-tenant.cjs');
const RETAINED_HEAP = path.join(here, 'subjects/fleet-retained-heap.cjs');
const QUICK_LOOKS = path.join(here, 'subjects/fleet-quick-looks.cjs');

/** A young generation's semi-space of at most 1 MB (V8's default grows it up to 16 MB as it sees fit). */
const SMALL_YOUNG_GENERATION = '--max-semi-space-size=1';

/** The psql reference's lock: a key of its own (the migrator's keys are hashes). */
const BOOKKEEPING_LOCK = 24;

const tenant = (n: number) => `tenant_${String(n).padStart(4, '0')}`;

function lastLine(run: Run): Record<string, unknown> {
  const lines = run.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
}

/** Throws unless the fleet run's summary counts `count` targets, all with `outcome`. */
const expectOutcome = (outcome: string, count: number) => async (run: Run) => {
  const summary = lastLine(run);
  const outcomes = summary.outcomes as Record<string, number> | undefined;
  if (summary.targets !== count || outcomes?.[outcome] !== count) {
    throw new Error(`expected ${count} targets ${outcome}, got ${JSON.stringify(summary)}`);
  }
};

async function query(url: string, sql: string): Promise<pg.QueryResult[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query(sql);
    return Array.isArray(result) ? result : [result];
  } finally {
    await client.end();
  }
}

interface FleetRows {
  floor: Stats;
  rows: Stats[];
}

export async function fleetSection(server: BenchServer, sets: Sets, base: Context, settings: FleetSettings): Promise<string> {
  const { tenants, smallTenants, parallel, progress } = settings;
  const url = await server.createDatabase('bench_fleet');
  const set = sets.noop(SHAPE);
  const next = `${set.dir}-next`;
  try {
    cpSync(set.dir, next, { recursive: true });
    writeFileSync(path.join(next, 'versioned', NEW_MIGRATION), NEW_SQL);
    const newFile = path.join(next, 'versioned', NEW_MIGRATION);
    const targetsFile = (count: number) => {
      const file = path.join(sets.root, `fleet-targets-${count}.txt`);
      writeFileSync(file, Array.from({ length: count }, (_, i) => `schema:${tenant(i + 1)}\n`).join(''));
      return file;
    };
    const allTargets = targetsFile(tenants);
    const smallTargets = targetsFile(smallTenants);
    const env = { ...base.env, ...settings.connectionEnv(url), FLEET_PARALLEL: String(parallel) };
    const context: Context = { ...base, env: { ...env, MIGRATIONS_DIR: set.dir } };

    progress(`fleet: ${tenants} schemas, the set applied to each once`);
    await query(
      url,
      `DO $$ BEGIN FOR i IN 1..${tenants} LOOP EXECUTE format('CREATE SCHEMA %I', 'tenant_' || lpad(i::text, 4, '0')); END LOOP; END $$`,
    );
    await runOnce(process.execPath, [settings.cli, 'fleet', 'up', '--targets-file', allTargets, '--parallel', String(parallel)], context);
    await runOnce(process.execPath, [settings.bundle, '--version'], {
      ...context,
      env: { ...context.env, NODE_COMPILE_CACHE: settings.compileCache },
    });

    const fleetUp = (
      name: string,
      script: string,
      targets: string[],
      count: number,
      outcome: string,
      extra: Partial<Subject> = {},
      nodeOptions: string[] = [],
    ) =>
      nodeSubject(name, [...nodeOptions, script, 'fleet', 'up', ...targets, '--parallel', String(parallel)], {
        ...extra,
        after: async (run, runEnv) => {
          await extra.after?.(run, runEnv);
          await expectOutcome(outcome, count)(run);
        },
      });
    const cacheEnv = { NODE_COMPILE_CACHE: settings.compileCache };
    const upToDate = async (count: number, file: string): Promise<FleetRows> => {
      const subjects: Subject[] = [
        nodeSubject(`node: load pg, ${parallel} connections, one history query per tenant`, [HISTORY_READS], {
          env: { FLEET_TARGETS_FILE: file },
        }),
        nodeSubject('node -e ""', ['-e', '']),
        nodeSubject(`reference: node, the floor's ${parallel} connections, the migrator's quick look per tenant (no CLI)`, [QUICK_LOOKS], {
          env: { FLEET_TARGETS_FILE: file },
        }),
        fleetUp(`migrator fleet up --parallel ${parallel} (dist/cli/main.js)`, settings.cli, ['--targets-file', file], count, 'up-to-date'),
        fleetUp(
          `migrator fleet up --parallel ${parallel} (dist/migrator.js, NODE_COMPILE_CACHE)`,
          settings.bundle,
          ['--targets-file', file],
          count,
          'up-to-date',
          {
            env: cacheEnv,
          },
        ),
        // How much of the peak RSS is V8's young generation growing (to its cap, whatever the fleet's size).
        fleetUp(
          `reference: the same run under node ${SMALL_YOUNG_GENERATION} (dist/cli/main.js)`,
          settings.cli,
          ['--targets-file', file],
          count,
          'up-to-date',
          {},
          [SMALL_YOUNG_GENERATION],
        ),
        ...(count === tenants
          ? [
              fleetUp(
                `migrator fleet up --parallel ${parallel} --targets-sql (dist/cli/main.js)`,
                settings.cli,
                ['--targets-sql', `SELECT nspname AS schema FROM pg_namespace WHERE nspname LIKE 'tenant\\_%'`],
                count,
                'up-to-date',
              ),
            ]
          : []),
      ];
      const label = `fleet up-to-date ${count}`;
      progress(`${label}: ${settings.upRounds} rounds`);
      await interleave(subjects, 1, context);
      const samples = await interleave(subjects, settings.upRounds, context, (round) =>
        progress(`${label}: ${round}/${settings.upRounds}`),
      );
      const [floor, ...rows] = samples.map(stats);
      return { floor, rows };
    };
    const small = await upToDate(smallTenants, smallTargets);
    const large = await upToDate(tenants, allTargets);
    const retainedHeap = async (file: string): Promise<Retained> => {
      const run = await runOnce(process.execPath, ['--expose-gc', RETAINED_HEAP], {
        ...context,
        env: { ...context.env, FLEET_TARGETS_FILE: file },
      });
      return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Retained;
    };
    progress('fleet: heap retained per target');
    const retained = { small: await retainedHeap(smallTargets), large: await retainedHeap(allTargets) };

    // One new migration each: every run starts from the same state (the new table dropped and its history row deleted everywhere).
    const reset = async (run: Run) => {
      const [{ rows }] = await query(
        url,
        `SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'extra' AND schemaname LIKE 'tenant\\_%'`,
      );
      const statements = Array.from({ length: tenants }, (_, i) => {
        const schema = `"${tenant(i + 1)}"`;
        return `DROP TABLE IF EXISTS ${schema}.extra; DELETE FROM ${schema}.migrations WHERE id = ${SHAPE.versioned + 1};`;
      });
      await query(url, statements.join('\n'));
      if (rows[0].n !== tenants)
        throw new Error(`expected the new table in ${tenants} schemas, found it in ${rows[0].n}: ${run.stdout.slice(-500)}`);
    };
    // With `bookkeeping`, each tenant also gets what any migrator that keeps a history under a lock
    // does: take a lock of its own, read its history, write the history row in the file's
    // transaction, release the lock.
    const psqlSubject = (name: string, bookkeeping: boolean): Subject => {
      const scripts = Array.from({ length: parallel }, (_, worker) => {
        const file = path.join(sets.root, `fleet-psql-${bookkeeping ? 'bookkeeping-' : ''}${worker}.sql`);
        const lines: string[] = [];
        for (let n = worker + 1; n <= tenants; n += parallel) {
          const apply = `BEGIN;\n\\i ${newFile}\n`;
          lines.push(
            `SET search_path TO "${tenant(n)}";\n` +
              (bookkeeping
                ? `SELECT pg_advisory_lock(${BOOKKEEPING_LOCK}, ${n});\nSELECT max(id) FROM migrations;\n${apply}` +
                  `INSERT INTO migrations (id, name, hash) VALUES (${SHAPE.versioned + 1}, 'add_extra', 'psql');\nCOMMIT;\n` +
                  `SELECT pg_advisory_unlock(${BOOKKEEPING_LOCK}, ${n});\n`
                : `${apply}COMMIT;\n`),
          );
        }
        writeFileSync(file, lines.join(''));
        return file;
      });
      return {
        name,
        command: 'sh',
        args: [
          '-c',
          'psql="$1"; shift; pids=""; for f in "$@"; do "$psql" -X -q -o /dev/null -v ON_ERROR_STOP=1 -f "$f" & pids="$pids $!"; done; ' +
            'status=0; for p in $pids; do wait "$p" || status=1; done; exit $status',
          'sh',
          settings.psql,
          ...scripts,
        ],
        after: reset,
      };
    };
    const applySubjects: Subject[] = [
      psqlSubject(`psql: ${parallel} sessions, each SET search_path; BEGIN; the file; COMMIT per tenant`, false),
      psqlSubject(
        `psql (reference): the same, with a lock per tenant, one history read and the history row in the file's transaction`,
        true,
      ),
      nodeSubject(`node: a connection per tenant, ${parallel} at a time, BEGIN; the file; COMMIT (reference)`, [CONNECT_PER_TENANT], {
        env: { FLEET_TARGETS_FILE: allTargets, FLEET_FILE: newFile },
        after: reset,
      }),
      fleetUp(
        `migrator fleet up --parallel ${parallel} (dist/cli/main.js)`,
        settings.cli,
        ['--targets-file', allTargets],
        tenants,
        'applied',
        {
          env: { MIGRATIONS_DIR: next },
          after: reset,
        },
      ),
    ];
    progress(`fleet apply ${tenants}: ${settings.applyRounds} rounds`);
    const applySamples = await interleave(applySubjects, settings.applyRounds, context, (round) =>
      progress(`fleet apply ${tenants}: ${round}/${settings.applyRounds}`),
    );
    const [applyFloor, ...applyRows] = applySamples.map(stats);

    return report(settings, { small, large, apply: { floor: applyFloor, rows: applyRows } }, retained);
  } finally {
    set.remove();
    rmSync(next, { recursive: true, force: true });
    await server.dropDatabase(url);
  }
}

const ms = (value: number) => value.toFixed(1);
const isMigrator = (row: Stats) => row.name.startsWith('migrator');

/** What fleet-retained-heap.cjs prints: the heap a run still holds after a full collection. */
interface Retained {
  targets: number;
  retainedBytes: number;
}

function report(
  settings: FleetSettings,
  runs: { small: FleetRows; large: FleetRows; apply: FleetRows },
  retained: { small: Retained; large: Retained },
): string {
  const { tenants, smallTenants, parallel } = settings;
  const { small, large, apply } = runs;
  const upToDate = (count: number, rows: FleetRows) =>
    formatScenario({
      title: `fleet up, ${count.toLocaleString('en')} schema tenants all up to date`,
      note:
        `Floor: a Node script that loads node-postgres, opens the same ${parallel} connections and reads each tenant's history with one query ` +
        `(\`SELECT max(id) FROM "tenant_NNNN".migrations\`), ${parallel} at a time. \`node -e ""\` is what starting any Node process costs. ` +
        'The reference row runs, in that same script, the query the fleet uses to find a tenant current (fleet/quick-look.ts) instead of the history read: ' +
        'what those checks cost on the server, without the CLI around them.',
      floor: rows.floor,
      rows: rows.rows,
      targeted: rows.rows.filter(isMigrator).map((row) => row.name),
      targets: { wallRatio: FLEET_TARGETS.upToDateRatio },
      runs: settings.upRounds,
      heading: 4,
    });
  const span = tenants - smallTenants;
  const perHundred = (row: string) => {
    const [a, b] = [small, large].map(({ floor, rows }) => [floor, ...rows].find((stat) => stat.name === row));
    return a && b
      ? {
          a,
          b,
          slope: ((b.medianMs - a.medianMs) * 100) / span,
          kb: a.rssMB !== undefined && b.rssMB !== undefined ? ((b.rssMB - a.rssMB) * 1000) / span : undefined,
        }
      : undefined;
  };
  const names = [large.floor, ...large.rows].map((row) => row.name);
  const growth = [
    `#### up to date: per 100 tenants, and peak RSS per target (${smallTenants} against ${tenants.toLocaleString('en')})`,
    '',
    `Per 100 tenants: the median at ${tenants.toLocaleString('en')} divided by ${tenants / 100} (what a run costs per 100 tenants, its start included). ` +
      `Slope: (median at ${tenants.toLocaleString('en')} − median at ${smallTenants}) per 100 tenants, the start left out. ` +
      `Peak RSS per target: (peak at ${tenants.toLocaleString('en')} − peak at ${smallTenants}) / ${span}, in KB (10^3 bytes); target for the migrator's rows: ≤ ${FLEET_TARGETS.rssKBPerTarget} KB.`,
    '',
    `| run | median ms, ${smallTenants} | median ms, ${tenants.toLocaleString('en')} | ms per 100 tenants | slope ms per 100 | peak RSS MB, ${smallTenants} | peak RSS MB, ${tenants.toLocaleString('en')} | KB per target | target |`,
    '|---|--:|--:|--:|--:|--:|--:|--:|---|',
  ];
  for (const name of names) {
    const row = perHundred(name);
    if (!row) continue;
    const targeted = name.startsWith('migrator');
    growth.push(
      `| ${name === large.floor.name ? `floor: ${name}` : name} | ${ms(row.a.medianMs)} | ${ms(row.b.medianMs)} | ${ms((row.b.medianMs * 100) / tenants)} | ` +
        `${ms(row.slope)} | ${row.a.rssMB?.toFixed(1) ?? ''} | ${row.b.rssMB?.toFixed(1) ?? ''} | ${row.kb?.toFixed(1) ?? ''} | ` +
        `${targeted && row.kb !== undefined ? verdict([['RSS', row.kb <= FLEET_TARGETS.rssKBPerTarget]]) : ''} |`,
    );
  }
  const kb = (bytes: number) => (bytes / 1000).toFixed(1);
  growth.push(
    '',
    `Heap the run still holds after a full garbage collection (\`fleet up\` through the library, logging nothing, \`node --expose-gc\`: ` +
      `test/bench/subjects/fleet-retained-heap.cjs): ${kb(retained.small.retainedBytes)} KB at ${retained.small.targets} targets, ` +
      `${kb(retained.large.retainedBytes)} KB at ${retained.large.targets.toLocaleString('en')}, so ` +
      `${((retained.large.retainedBytes - retained.small.retainedBytes) / (retained.large.targets - retained.small.targets)).toFixed(0)} bytes per target.`,
  );
  const applied = formatScenario({
    title: `fleet up, ${tenants.toLocaleString('en')} schema tenants, one new migration each`,
    note:
      `Floor: ${parallel} psql sessions side by side, each applying the same file to its share of the tenants (\`SET search_path\`, then the file ` +
      'between `BEGIN` and `COMMIT`). The psql reference adds, per tenant, what any migrator that keeps a history under a lock does: ' +
      '`pg_advisory_lock`, one history read, the history row inserted before `COMMIT`, `pg_advisory_unlock`. ' +
      'The node reference opens a connection per tenant, as the fleet did before each worker kept its connection.',
    floor: apply.floor,
    rows: apply.rows,
    targeted: apply.rows.filter(isMigrator).map((row) => row.name),
    targets: { wallRatio: FLEET_TARGETS.applyRatio },
    runs: settings.applyRounds,
    heading: 4,
  });
  return [upToDate(smallTenants, small), '', upToDate(tenants, large), '', growth.join('\n'), '', applied].join('\n');
}
