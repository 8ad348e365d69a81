/**
 * What drift detection costs a start (issue 26), which decides MIGRATOR_ON_DRIFT's default: `warn`
 * when comparing the schema with its record costs at most 10 % of the no-op start, else `ignore`.
 *
 * The database holds the no-op set (200 versioned migrations applied) and 200 tables of its own,
 * each with a default, a NOT NULL, a check constraint and an index, with a view and a function for
 * every tenth: some 1,400 objects to fingerprint. The same no-op `up` (the bundle with its compile
 * cache, as the image runs it) is timed with MIGRATOR_ON_DRIFT=ignore (which only asks whether a
 * record exists) and =warn (which compares the catalog with it), interleaved; the difference of
 * the medians, against the `ignore` run, is the fingerprint's cost.
 */
import pg from 'pg';
import { interleave, nodeSubject, runOnce, stats, type Context, type Run } from './measure.mts';
import type { MigrationSet } from './migration-sets.mts';
import type { BenchServer } from './postgres.mts';

export interface DriftSettings {
  rounds: number;
  tables: number;
  bundle: string;
  compileCache: string;
  connectionEnv(url: string): Record<string, string>;
  progress(text: string): void;
}

/** The rule: warn by default when the fingerprint costs at most this share of the no-op start. */
export const DRIFT_DEFAULT_RULE = 0.1;

function tablesSql(count: number): string {
  const statements: string[] = [];
  for (let n = 1; n <= count; n++) {
    statements.push(
      `CREATE TABLE app_${n} (id bigint PRIMARY KEY, name text NOT NULL DEFAULT '', amount integer NOT NULL DEFAULT 0 CHECK (amount >= 0), created_at timestamptz NOT NULL DEFAULT now());`,
      `CREATE INDEX app_${n}_name_idx ON app_${n} (name);`,
    );
    if (n % 10 === 0) {
      statements.push(
        `CREATE VIEW app_${n}_named AS SELECT id, upper(name) AS name FROM app_${n};`,
        `CREATE FUNCTION app_${n}_total() RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT sum(amount) FROM app_${n} $$;`,
      );
    }
  }
  return statements.join('\n');
}

async function query(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const upToDate = async (run: Run) => {
  const lines = run.stdout.trim().split('\n');
  const summary = JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
  if (summary.outcome !== 'up-to-date') throw new Error(`expected a no-op, got ${JSON.stringify(summary)}`);
  if (lines.some((line) => line.includes('"drift"'))) throw new Error(`the bench database drifted: ${run.stdout.slice(-500)}`);
};

export async function driftSection(server: BenchServer, set: MigrationSet, base: Context, settings: DriftSettings): Promise<string> {
  const { rounds, progress } = settings;
  const url = await server.createDatabase('bench_drift');
  try {
    const context: Context = { ...base, env: { ...base.env, ...settings.connectionEnv(url), MIGRATIONS_DIR: set.dir } };
    progress(`drift: ${settings.tables} tables, the set applied once (the record taken), then ${rounds} rounds`);
    await query(url, tablesSql(settings.tables));
    await runOnce(process.execPath, [settings.bundle, 'up'], context);
    const up = (onDrift: string) =>
      nodeSubject(`migrator up, MIGRATOR_ON_DRIFT=${onDrift} (dist/migrator.js, NODE_COMPILE_CACHE)`, [settings.bundle, 'up'], {
        env: { NODE_COMPILE_CACHE: settings.compileCache, MIGRATOR_ON_DRIFT: onDrift },
        after: upToDate,
      });
    const subjects = [up('ignore'), up('warn')];
    await interleave(subjects, 1, context);
    const samples = await interleave(subjects, rounds, context, (round) => {
      if (round % 10 === 0 || round === rounds) progress(`drift: ${round}/${rounds}`);
    });
    const [ignore, warn] = samples.map(stats);
    const costMs = warn.medianMs - ignore.medianMs;
    const ratio = costMs / ignore.medianMs;
    const chosen = ratio <= DRIFT_DEFAULT_RULE ? 'warn' : 'ignore';
    return [
      `### drift: the fingerprint on a no-op start (${settings.tables} tables of their own, ${set.versioned} versioned migrations applied)`,
      '',
      `${rounds} interleaved runs each. \`ignore\` only asks whether a record exists; \`warn\` compares the catalog with it. ` +
        `Rule (issue 26): the default is \`warn\` when the difference costs at most ${DRIFT_DEFAULT_RULE * 100} % of the no-op start, else \`ignore\`.`,
      '',
      '| run | median ms | min ms |',
      '|---|--:|--:|',
      ...[ignore, warn].map((row) => `| ${row.name} | ${row.medianMs.toFixed(1)} | ${row.minMs.toFixed(1)} |`),
      '',
      `Fingerprint: ${costMs.toFixed(1)} ms, ${(ratio * 100).toFixed(1)} % of the no-op start: the rule picks \`${chosen}\`.`,
      '',
    ].join('\n');
  } finally {
    await server.dropDatabase(url);
  }
}
