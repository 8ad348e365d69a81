/**
 * `fleet up | check | plan | status`: the same pipeline as `up`, `check` and `plan`, once per
 * target (a tenant's schema or database). The files are read and checked once, before any target is
 * touched, so a bad file changes no tenant. Targets run `parallel` at a time in a stable order (see
 * fleet/pool.ts for canaries and the failure budget); each has its own history, declared tables and
 * lock, and a failure rolls back that target's step only. A schema target that one query finds
 * current (fleet/quick-look.ts) costs that query; any other gets the full pipeline, and where the
 * looks keep missing, targets get it without one (fleet/look-policy.ts).
 */
import { readFileSync } from 'node:fs';
import { now } from '../clock';
import { connectWithRetry } from '../db/connect';
import type { KeptConnection } from '../db/kept-connection';
import { closeKept, keepClient, keptClient, withDatabase } from '../db/with-database';
import { ConfigError, FleetFailedError, InterruptedError, MigrationRunningError, MigratorError, SchemaNotCurrentError } from '../errors';
import { lookPolicy } from '../fleet/look-policy';
import { expectedOf, quickLook, type Expected, type QuickLook } from '../fleet/quick-look';
import { runPool } from '../fleet/pool';
import { queryTargets } from '../fleet/target-query';
import { inShard, parseTargetsFile, targetConfig, targetLabel, type Shard, type Target } from '../fleet/targets';
import { parseMigrationFileName } from '../history';
import { withFields } from '../log';
import { whyNotCurrent, type FleetReport, type MigrationReport, type TargetResult } from '../results';
import { logProgress } from '../run/progress-log';
import { loadMigrationSet } from '../source';
import type { MigratorContext } from './context';
import { check, plan } from './plan';
import { up } from './up';

export const FLEET_ACTIONS = ['up', 'check', 'plan', 'status'] as const;
export type FleetAction = (typeof FLEET_ACTIONS)[number];

export interface FleetOptions {
  /** Where the targets come from: a query on DATABASE_URL's database, or a file (exactly one). */
  targetsSql?: string;
  targetsFile?: string;
  /** Targets running at once, each on a connection of its own (default 4). */
  parallel?: number;
  /** The first K targets run alone first; a failure among them starts no other (default 0). */
  canary?: number;
  /** Failures tolerated before no new target starts (default 0). */
  maxFailures?: number;
  /** Only the targets of this shard. */
  shard?: Shard;
  /** `fleet up --post-deploy`, `fleet plan --post-deploy`. */
  postDeploy?: boolean;
  /** Hears each target's result as it finishes. */
  onTarget?(result: TargetResult, done: number, total: number): void;
}

export const FLEET_DEFAULTS = { parallel: 4, canary: 0, maxFailures: 0 } as const;

export async function fleet(context: MigratorContext, action: FleetAction, options: FleetOptions): Promise<FleetReport> {
  const { config, logger, signal } = context;
  const started = now();
  const { parallel = FLEET_DEFAULTS.parallel, canary = FLEET_DEFAULTS.canary, maxFailures = FLEET_DEFAULTS.maxFailures } = options;
  const files = loadMigrationSet(config.migrationsDir, { executeJs: action === 'up', logger });
  const targets = inShard(await listTargets(context, options), options.shard);
  const expected = expectedOf(files, { postDeploy: options.postDeploy ?? false });
  logger.info(
    {
      action,
      targets: targets.length,
      parallel,
      canary,
      maxFailures,
      shard: options.shard && `${options.shard.index}/${options.shard.count}`,
    },
    `fleet ${action}: ${targets.length} target(s)`,
  );
  // A shard may well be empty; a whole fleet of none is more often a query that matches nothing.
  if (targets.length === 0 && options.shard === undefined) logger.warn({ action }, 'fleet: no target listed, so nothing was done');

  // Each worker keeps its connection to DATABASE_URL's database from schema target to schema
  // target: the quick look and the full runs use it, so a tenant costs no login.
  const kept: KeptConnection[] = [];
  const keptBy = (worker: number): KeptConnection => (kept[worker] ??= { owner: worker });
  const look = async (connection: KeptConnection, schema: string, from: Expected) => {
    let client = keptClient(connection);
    if (!client) {
      client = await connectWithRetry(config.connection, { timeoutMs: config.waitTimeoutMs, logger, signal }).catch(() => undefined);
      if (!client) return undefined;
      keepClient(connection, client);
    }
    return quickLook(client, schema, from);
  };

  // Misses in a row from every worker, twice over: a release that every target needs.
  const looks = lookPolicy(2 * parallel);
  let done = 0;
  const runTarget = async (target: Target, worker: number): Promise<TargetResult> => {
    const startedTarget = now();
    const label = targetLabel(target);
    const targetLogger = withFields(logger, { target: label });
    const targetContext: MigratorContext = {
      config: targetConfig(config, target),
      logger: targetLogger,
      signal,
      emit: logProgress(targetLogger),
      files,
    };
    let result: Omit<TargetResult, 'target' | 'durationMs'>;
    try {
      // A database target is another database: it gets a connection of its own.
      const connection = target.kind === 'schema' ? keptBy(worker) : undefined;
      let looked: QuickLook | undefined;
      // MIGRATOR_ON_DRIFT=fail is a gate: the full run compares the schema with its record; the quick look does not.
      if (connection && config.onDrift !== 'fail' && looks.shouldLook()) {
        looked = await look(connection, target.name, expected);
        looks.found(looked?.current ?? false);
      }
      if (looked?.current) {
        result = { outcome: 'up-to-date', versionBefore: looked.version, versionAfter: looked.version, pending: 0 };
      } else {
        result = await fullRun(targetContext, action, options.postDeploy ?? false, connection);
      }
    } catch (error) {
      result = failedResult(error, action);
    }
    const finished: TargetResult = { target: label, ...result, durationMs: Math.round(now() - startedTarget) };
    options.onTarget?.(finished, ++done, targets.length);
    return finished;
  };

  let outcome;
  try {
    outcome = await runPool(targets, { parallel, canary, maxFailures, signal }, runTarget, (result) => notPassed(action, result));
  } finally {
    await Promise.all(kept.map(closeKept));
  }
  const report: FleetReport = {
    action,
    targets: targets.length,
    results: outcome.results.filter((result): result is TargetResult => result !== undefined),
    notStarted: targets.filter((_, index) => outcome.results[index] === undefined).map(targetLabel),
    ...(outcome.stopped && { stopped: outcome.stopped }),
    durationMs: Math.round(now() - started),
  };
  if (outcome.stopped === 'interrupted' && signal) {
    throw InterruptedError.from(
      signal,
      `${report.results.length} target(s) finished or rolled back, ${report.notStarted.length} not started`,
    );
  }
  const failing = report.results.filter((result) => notPassed(action, result));
  if (failing.length > 0 || report.notStarted.length > 0) throw new FleetFailedError(failureMessage(report, failing, maxFailures), report);
  return report;
}

async function listTargets(context: MigratorContext, options: FleetOptions): Promise<Target[]> {
  const { targetsSql, targetsFile } = options;
  if ((targetsSql === undefined) === (targetsFile === undefined)) {
    throw new ConfigError('give the targets with --targets-sql QUERY or --targets-file FILE (one of them)', '--targets-sql');
  }
  if (targetsFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(targetsFile, 'utf8');
    } catch (error) {
      throw new ConfigError(`cannot read the targets file ${targetsFile}: ${(error as Error).message}`, '--targets-file');
    }
    return parseTargetsFile(text, targetsFile);
  }
  const { config, logger, signal } = context;
  return withDatabase(config, { logger, signal, writes: false }, ({ client }) => queryTargets(client, targetsSql as string));
}

/** The target's whole pipeline, as the single-database command runs it. */
async function fullRun(
  targetContext: MigratorContext,
  action: FleetAction,
  postDeploy: boolean,
  connection: KeptConnection | undefined,
): Promise<Omit<TargetResult, 'target' | 'durationMs'>> {
  const context = { ...targetContext, connection };
  if (action === 'up') {
    const report = await up(context, { postDeploy });
    return { outcome: report.outcome, versionBefore: versionBefore(report), versionAfter: report.versioned.currentVersion };
  }
  const planned = action === 'check' ? await check(context) : await plan(context, { postDeploy });
  const version = planned.versioned.currentVersion;
  const current = whyNotCurrent(planned) === undefined;
  return {
    outcome: current ? 'up-to-date' : 'pending',
    versionBefore: version,
    versionAfter: version,
    pending: planned.steps.length,
    ...(action === 'plan' && planned.steps.length > 0 && { plan: planned }),
  };
}

/** For `fleet up`, every error is a failure (a plain up stuck behind a post-deploy migration too); for the read actions, "not current" is an answer. */
function failedResult(error: unknown, action: FleetAction): Omit<TargetResult, 'target' | 'durationMs'> {
  const failure = error instanceof Error ? error : new Error(String(error));
  const pending = action !== 'up' && (failure instanceof SchemaNotCurrentError || failure instanceof MigrationRunningError);
  const report = failure instanceof MigratorError ? failure.report : undefined;
  return {
    outcome: pending ? 'pending' : 'failed',
    ...(report && { versionBefore: versionBefore(report), versionAfter: report.versioned.currentVersion }),
    ...(failure instanceof SchemaNotCurrentError && { pending: failure.plan.steps.length }),
    error: failure,
  };
}

/** The version a run started from: the one before its first applied migration (ids are consecutive), or where it stayed. */
function versionBefore(report: Pick<MigrationReport, 'versioned'>): number {
  const first = report.versioned.applied[0];
  const id = first === undefined ? undefined : parseMigrationFileName(first)?.id;
  return id === undefined ? report.versioned.currentVersion : id - 1;
}

/** A target that keeps the fleet from passing: a failure, or, for the fleet's gate, one not current. */
function notPassed(action: FleetAction, result: TargetResult): boolean {
  return result.outcome === 'failed' || (action === 'check' && result.outcome === 'pending');
}

function failureMessage(report: FleetReport, failing: TargetResult[], maxFailures: number): string {
  const named = failing
    .slice(0, 5)
    .map((result) => `${result.target} (${result.error?.message ?? result.outcome})`)
    .join('; ');
  const verb = report.action === 'check' ? 'are not current or failed' : 'failed';
  const why =
    report.stopped === 'canary'
      ? 'a canary target failed'
      : report.stopped === 'max-failures'
        ? `more than ${maxFailures} target(s) failed`
        : undefined;
  return (
    `${failing.length} of ${report.targets} target(s) ${verb}: ${named}${failing.length > 5 ? `; and ${failing.length - 5} more` : ''}` +
    (report.notStarted.length > 0
      ? `; ${report.notStarted.length} target(s) not started${why ? ` (${why})` : ''}: run again to resume`
      : '')
  );
}
