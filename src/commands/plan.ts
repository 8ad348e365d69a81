/**
 * What `up` would do now, without doing it: legacy scripts that would change something (each tried
 * in a transaction that is rolled back), declared columns that existing tables lack, declared
 * tables that are missing, versioned migrations
 * pending. Each phase is planned against the database as it is now, so a legacy repair that
 * creates or renames a declared table is not reflected in the table-creation steps.
 */
import type pg from 'pg';
import type { MigratorConfig, OnAhead } from '../config';
import type { PhaseName, Plan } from '../results';
import { createLogger, type Logger } from '../log';
import { planLegacyPhase } from '../phases/legacy';
import type { PhaseContext } from '../phases/phase';
import { planTablesPhase, qualifiedName } from '../phases/tables';
import { planVersionedPhase } from '../phases/versioned';
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
  const context = (phase: PhaseName): PhaseContext => ({
    client: client as pg.Client,
    logger: options.logger.child({ phase }),
    lockRetries: 0,
    signal: options.signal,
  });
  const legacy = await planLegacyPhase(context('legacy'), files);
  const tables = await planTablesPhase(context('tables'), files.tables);
  const versioned = await planVersionedPhase(context('versioned'), files, options.onAhead);
  return {
    steps: [
      ...legacy.scripts.map((file) => ({ phase: 'legacy' as const, file: file.name, action: 'repair', sql: file.sql })),
      ...legacy.columns.map((column) => ({
        phase: 'legacy' as const,
        file: column.file,
        action: `add column ${column.name}`,
        sql: `ALTER TABLE ${column.relation} ADD COLUMN ${column.definition};`,
        column: column.name,
      })),
      ...tables.map((table) => ({ phase: 'tables' as const, file: table.file.name, action: `create table ${qualifiedName(table)}`, sql: table.file.sql })),
      ...versioned.pending.map((file) => ({ phase: 'versioned' as const, file: file.fileName, action: `apply version ${file.id}`, sql: file.sql })),
    ],
    versioned: {
      currentVersion: versioned.currentVersion,
      lastApplied: versioned.lastApplied && {
        id: versioned.lastApplied.id,
        name: versioned.lastApplied.name,
        executedAt: versioned.lastApplied.executedAt,
      },
      ahead: versioned.ahead,
    },
  };
}
