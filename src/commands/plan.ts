/**
 * `plan`, `status` and `check`: what `up` would do now, without doing it. The same read,
 * validation and planning as `up` (legacy scripts, declared columns and missing tables dry-run in
 * a transaction that is rolled back; versioned migrations pending), and nothing applied.
 */
import path from 'node:path';
import type pg from 'pg';
import type { OnAhead } from '../config';
import { SchemaNotCurrentError } from '../errors';
import { createLogger, withFields, type Logger } from '../log';
import { stepLabel, type Plan } from '../results';
import { describePlan, planRun, readState, refuseOrWarnAhead } from '../run/pipeline';
import { loadMigrationSet, type MigrationSet } from '../source';
import { withDatabase } from '../db/with-database';
import type { MigratorContext } from './context';

export async function plan({ config, logger, signal }: MigratorContext): Promise<Plan> {
  const files = loadMigrationSet(config.migrationsDir);
  return withDatabase(config, { logger, signal, writes: false }, ({ client }) => planOnClient(client, files, { logger, onAhead: config.onAhead, signal }));
}

/** Resolves with the (empty) plan when the schema is current; rejects with SchemaNotCurrentError otherwise. */
export async function check(context: MigratorContext): Promise<Plan> {
  return throwIfPending(await plan(context));
}

export interface AssertSchemaOptions {
  /** Folder holding legacy/, tables/, versioned/ (default: ./migrations). */
  migrationsDir?: string;
  logger?: Logger;
}

/**
 * For apps that refuse to start on a stale schema: `check` on a connection of the app's own pool.
 * Resolves with the (empty) plan when nothing is pending; rejects with SchemaNotCurrentError otherwise.
 */
export async function assertSchemaCurrent(db: pg.Pool | pg.Client, options: AssertSchemaOptions = {}): Promise<Plan> {
  const files = loadMigrationSet(path.resolve(options.migrationsDir ?? 'migrations'));
  const logger = options.logger ?? createLogger({ level: 'warn' });
  const pooled = 'totalCount' in db;
  const client = pooled ? await (db as pg.Pool).connect() : (db as pg.Client);
  try {
    return throwIfPending(await planOnClient(client, files, { logger, onAhead: 'warn' }));
  } finally {
    if (pooled) (client as pg.PoolClient).release();
  }
}

/** The plan computed on a connection the caller owns. */
async function planOnClient(
  client: pg.Client | pg.PoolClient,
  files: MigrationSet,
  options: { logger: Logger; onAhead: OnAhead; signal?: AbortSignal },
): Promise<Plan> {
  const context = { client: client as pg.Client, logger: options.logger, signal: options.signal, lockRetries: 0, emit: () => undefined };
  const state = await readState(context.client, files);
  refuseOrWarnAhead(state, options.onAhead, withFields(options.logger, { phase: 'versioned' }));
  return describePlan(await planRun(context, state), state);
}

function throwIfPending(result: Plan): Plan {
  if (result.steps.length === 0) return result;
  const first = result.steps[0];
  throw new SchemaNotCurrentError(
    `the schema is not current: ${result.steps.length} step(s) pending, first ${stepLabel(first)} (${first.action}); run migrator up`,
    result,
  );
}
