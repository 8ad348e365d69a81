/**
 * `drift`: the live schema against what the last `up` recorded (drift/), compared by the server
 * on the catalog alone: no scratch database, nothing written. Resolves with the report when
 * nothing differs or nothing was recorded yet (baseline false); rejects with SchemaDriftError,
 * carrying it, when an object differs.
 */
import { withDatabase } from '../db/with-database';
import { driftFound, driftScope, readDrift } from '../drift/session';
import { targetConfig, type Target } from '../fleet/targets';
import type { DriftReport } from '../results';
import type { MigratorContext } from './context';

export interface DriftOptions {
  /** One tenant only, as `fleet` migrates it (`drift --schema NAME`, `drift --database NAME`). */
  target?: Target;
}

export async function drift(migrator: MigratorContext, options: DriftOptions = {}): Promise<DriftReport> {
  const { logger, signal, connection } = migrator;
  const config = options.target ? targetConfig(migrator.config, options.target) : migrator.config;
  // In shared mode, waiting for a running migration: its half-applied schema is no drift.
  const report = await withDatabase(
    config,
    { logger, signal, writes: false, whileMigrating: 'wait', kept: connection },
    async ({ client }) => {
      const scope = driftScope(client, config.ignoreTables);
      return scope ? readDrift(scope) : { baseline: false, differences: [] };
    },
  );
  if (report.differences.length > 0) throw driftFound(report, '');
  return report;
}
