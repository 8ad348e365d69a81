/**
 * What `up` would do now, without doing it: the same read, validation and planning as `up`
 * (legacy scripts, declared columns and missing tables dry-run in a transaction that is rolled
 * back; versioned migrations pending), and nothing applied.
 */
import type pg from 'pg';
import type { MigratorConfig, OnAhead } from '../config';
import { createLogger, type Logger } from '../log';
import type { Plan } from '../results';
import { describePlan, planRun, readState, refuseOrWarnAhead } from '../run/pipeline';
import { loadMigrationSet, type MigrationSet } from '../source';
import { withDatabase } from '../with-database';

export interface PlanOptions {
  logger?: Logger;
  signal?: AbortSignal;
}

export async function plan(config: MigratorConfig, options: PlanOptions = {}): Promise<Plan> {
  const logger = options.logger ?? createLogger({ ...config.log, format: 'json' });
  const files = loadMigrationSet(config.migrationsDir);
  return withDatabase(config, { logger, signal: options.signal, writes: false }, ({ client }) =>
    planOnClient(client, files, { logger, onAhead: config.onAhead, signal: options.signal }),
  );
}

/** The plan computed on a connection the caller owns (the library's schema check uses an app's pool). */
export async function planOnClient(
  client: pg.Client | pg.PoolClient,
  files: MigrationSet,
  options: { logger: Logger; onAhead: OnAhead; signal?: AbortSignal },
): Promise<Plan> {
  const context = { client: client as pg.Client, logger: options.logger, signal: options.signal, lockRetries: 0, emit: () => undefined };
  const state = await readState(context.client, files);
  refuseOrWarnAhead(state, options.onAhead, options.logger);
  return describePlan(await planRun(context, state), state);
}
