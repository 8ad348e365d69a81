/**
 * `plan`, `status` and `check`: what `up` would do now, without doing it. The same read,
 * validation and planning as `up` (legacy scripts, declared columns and missing tables dry-run in
 * a transaction that is rolled back; versioned migrations pending), and nothing applied. For a
 * role that may not change the schema (an app's gate), nothing is dry-run: the plan comes from
 * the catalog, the history and what `up` recorded when it last completed.
 */
import path from 'node:path';
import type pg from 'pg';
import type { OnAhead } from '../config';
import type { AppConnection } from '../db/app-connection';
import { migrationRunning, releaseSharedMigrationLock, tryLockSql } from '../db/lock';
import { MAY_CHANGE_SCHEMA_SQL } from '../db/session';
import { withDatabase } from '../db/with-database';
import { targetConfig, type Target } from '../fleet/targets';
import { InterruptedError, MigrationRunningError, SchemaNotCurrentError } from '../errors';
import { createLogger, withFields, type Logger } from '../log';
import { whyNotCurrent, type Plan } from '../results';
import { driftScope, guardAgainstDrift } from '../drift/session';
import { describePlan, planRun, readState, refuseAheadIfAsked, settleAhead } from '../run/pipeline';
import { sleep } from '../sleep';
import { loadMigrationSet, type MigrationSet } from '../source';
import type { MigratorContext } from './context';

export interface PlanCommandOptions {
  /** Plan what `up --post-deploy` would do (default: a plain `up`). */
  postDeploy?: boolean;
}

export async function plan(context: MigratorContext, options: PlanCommandOptions = {}): Promise<Plan> {
  return planWhenSettled(context, options, 'wait');
}

/**
 * Plans under the migration lock in shared mode: never while a migration runs (its concurrent index
 * build and the planning transaction's snapshot and dry runs would wait for each other). `plan` and
 * `status` wait for it to end; `check` answers at once that it runs (MigrationRunningError). `check` gates a deploy, so it
 * looks for drift first (lookForDrift: MIGRATOR_ON_DRIFT), before anything is planned.
 */
async function planWhenSettled(
  { config, logger, signal, files: read, connection }: MigratorContext,
  options: PlanCommandOptions,
  whileMigrating: 'wait' | 'refuse',
  lookForDrift = false,
): Promise<Plan> {
  const files = read ?? loadMigrationSet(config.migrationsDir, { executeJs: false, logger });
  return withDatabase(config, { logger, signal, writes: false, whileMigrating, kept: connection }, async ({ client, mayChangeSchema }) => {
    const drift = lookForDrift && config.onDrift !== 'ignore' ? driftScope(client, config.ignoreTables) : undefined;
    if (drift) await guardAgainstDrift(drift, config.onDrift, logger);
    return planOnClient(client, files, {
      logger,
      onAhead: config.onAhead,
      signal,
      dryRuns: mayChangeSchema,
      postDeploy: options.postDeploy,
    });
  });
}

export interface CheckOptions {
  /**
   * Keep asking until the schema is current, for at most this long (an app waiting on a migration
   * Job); the first connection, too, waits this long if MIGRATOR_WAIT_TIMEOUT is shorter.
   */
  waitMs?: number;
  /** One tenant only, as `fleet` runs it (`check --schema NAME`, `check --database NAME`). */
  target?: Target;
}

/** How often `check --wait` asks again. */
const WAIT_INTERVAL_MS = 2000;

/**
 * Resolves with the (empty) plan when the schema is current; rejects with SchemaNotCurrentError
 * otherwise (MigrationRunningError while a migration runs), after waiting for it up to `waitMs`.
 */
export async function check(migrator: MigratorContext, options: CheckOptions = {}): Promise<Plan> {
  const context = options.target ? { ...migrator, config: targetConfig(migrator.config, options.target) } : migrator;
  const deadline = Date.now() + (options.waitMs ?? 0);
  for (;;) {
    // A gate started with the database (a pod beside it, a compose stack) waits for the server as
    // long as for the schema: connecting gets the longer of MIGRATOR_WAIT_TIMEOUT and the time left.
    const waitTimeoutMs = Math.max(context.config.waitTimeoutMs, deadline - Date.now());
    try {
      return throwIfPending(await planWhenSettled({ ...context, config: { ...context.config, waitTimeoutMs } }, {}, 'refuse', true));
    } catch (error) {
      const left = deadline - Date.now();
      const notYet = error instanceof SchemaNotCurrentError || error instanceof MigrationRunningError;
      if (!notYet || left <= 0) throw error;
      const pending = error instanceof SchemaNotCurrentError ? { pending: error.plan.steps.length } : { holderPid: error.holderPid };
      context.logger.info({ ...pending, waitMs: left }, `waiting for the schema: ${error.message}`);
      await sleep(Math.min(WAIT_INTERVAL_MS, left), context.signal);
      InterruptedError.throwIfAborted(context.signal);
    }
  }
}

export interface AssertSchemaOptions {
  /** Folder holding legacy/, tables/, versioned/ (default: ./migrations). A folder that does not exist or holds nothing is a ConfigError, never "current". */
  migrationsDir?: string;
  logger?: Logger;
}

/**
 * For apps that refuse to start on a stale schema: `check` on a connection of the app's own pool,
 * with the app's own role (read rights are enough). Resolves with the (empty) plan when nothing
 * is pending; rejects with SchemaNotCurrentError otherwise, or MigrationRunningError while a
 * migration runs.
 */
export async function assertSchemaCurrent(db: AppConnection, options: AssertSchemaOptions = {}): Promise<Plan> {
  const files = loadMigrationSet(path.resolve(options.migrationsDir ?? 'migrations'), { executeJs: false });
  const logger = options.logger ?? createLogger({ level: 'warn' });
  const pooled = 'totalCount' in db;
  // AppConnection describes a node-postgres Pool or Client without pg's types; it is one of those.
  const client = (pooled ? await (db as pg.Pool).connect() : db) as pg.Client;
  // The lock in shared mode, as `check` takes it (db/with-database.ts); released before the
  // connection goes back to the pool, and a connection that cannot release it is not given back.
  let locked = false;
  let unreleased: Error | undefined;
  try {
    const { rows } = await client.query<{ may: boolean; locked: boolean }>(
      `SELECT ${MAY_CHANGE_SCHEMA_SQL} AND current_setting('transaction_read_only') = 'off' AS may, ${tryLockSql(client, true)} AS locked`,
    );
    locked = rows[0].locked;
    if (!locked) throw await migrationRunning(client);
    const planned = await planOnClient(client, files, { logger, onAhead: 'warn', dryRuns: rows[0].may });
    locked = false;
    unreleased = await releaseSharedMigrationLock(client).then(
      () => undefined,
      (error: Error) => error,
    );
    if (unreleased) throw unreleased;
    return throwIfPending(planned);
  } finally {
    if (locked)
      unreleased = await releaseSharedMigrationLock(client).then(
        () => undefined,
        (error: Error) => error,
      );
    if (pooled) (client as pg.PoolClient).release(unreleased);
  }
}

/** The plan computed on a connection the caller owns. */
async function planOnClient(
  client: pg.Client,
  files: MigrationSet,
  options: { logger: Logger; onAhead: OnAhead; signal?: AbortSignal; dryRuns: boolean; postDeploy?: boolean },
): Promise<Plan> {
  const context = { client, logger: options.logger, signal: options.signal, lockRetries: 0, emit: () => undefined };
  const state = await readState(client, files);
  refuseAheadIfAsked(state, options.onAhead);
  const planned = await planRun(context, state, { dryRuns: options.dryRuns, postDeploy: options.postDeploy });
  return describePlan(settleAhead(state, planned, withFields(options.logger, { phase: 'versioned' })), state);
}

/** Rejects a plan whose schema is not current (results.ts: whyNotCurrent, the rule `up` and `status` share). */
function throwIfPending(result: Plan): Plan {
  const reason = whyNotCurrent(result);
  if (reason !== undefined) throw new SchemaNotCurrentError(reason, result);
  return result;
}
