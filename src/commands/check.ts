/**
 * Is the schema current? For pipelines and readiness probes (`migrator check`), and for apps that
 * refuse to start on a stale schema (`assertSchemaCurrent(pool)` at boot).
 */
import path from 'node:path';
import type pg from 'pg';
import { SchemaNotCurrentError } from '../errors';
import { createLogger, type Logger } from '../log';
import { stepLabel, type Plan } from '../results';
import { planOnClient } from './plan';
import { loadMigrationSet } from '../source';

export interface AssertSchemaOptions {
  /** Folder holding legacy/, tables/, versioned/ (default: ./migrations). */
  migrationsDir?: string;
  logger?: Logger;
}

/** Resolves with the (empty) plan when nothing is pending; rejects with SchemaNotCurrentError otherwise. */
export async function assertSchemaCurrent(db: pg.Pool | pg.Client, options: AssertSchemaOptions = {}): Promise<Plan> {
  const files = loadMigrationSet(path.resolve(options.migrationsDir ?? 'migrations'));
  const logger = options.logger ?? createLogger({ level: 'warn' });
  const pooled = 'totalCount' in db;
  const client = pooled ? await (db as pg.Pool).connect() : (db as pg.Client);
  try {
    const result = await planOnClient(client, files, { logger, onAhead: 'warn' });
    throwIfPending(result);
    return result;
  } finally {
    if (pooled) (client as pg.PoolClient).release();
  }
}

export function throwIfPending(result: Plan): void {
  if (result.steps.length === 0) return;
  const first = result.steps[0];
  throw new SchemaNotCurrentError(
    `the schema is not current: ${result.steps.length} step(s) pending, first ${stepLabel(first)} (${first.action}); run migrator up`,
    result,
  );
}
