/**
 * Drift detection on a command's session (issue 26): where the last record of the schema is, what
 * is left out of it, and what MIGRATOR_ON_DRIFT asks of `up` and `check` before they plan. The
 * record is kept with the migrator's own tables, so a tenant's schema (`fleet`, `--schema`) has
 * its own, of that schema alone: its session's search_path is that schema.
 */
import type pg from 'pg';
import type { OnDrift } from '../config';
import { FINGERPRINT_TABLE, OWN_TABLES, ownSchema, ownTable } from '../db/own-tables';
import { SchemaDriftError } from '../errors';
import type { Logger } from '../log';
import type { DriftDifference, DriftReport } from '../results';
import { compareWithFingerprint, hasFingerprint, recordFingerprint, recordFingerprintSql, type LeftOut } from './fingerprint';

export interface DriftScope {
  client: pg.Client;
  /** The record's table, qualified with the schema of the migrator's own tables. */
  table: string;
  leftOut: LeftOut;
}

/**
 * The session's scope; undefined when it has no schema of its own (an empty search_path at
 * connect): then there is nowhere to keep a record, and drift is neither recorded nor compared.
 */
export function driftScope(client: pg.Client, ignoreTables: string[]): DriftScope | undefined {
  const schema = ownSchema(client);
  if (schema === undefined) return undefined;
  return { client, table: ownTable(client, FINGERPRINT_TABLE), leftOut: { ownSchema: schema, ownTables: OWN_TABLES, ignoreTables } };
}

/** The live schema against the last record (read only). */
export async function readDrift(scope: DriftScope): Promise<DriftReport> {
  const differences = await compareWithFingerprint(scope.client, scope.table, scope.leftOut);
  return { baseline: differences !== undefined, differences: differences ?? [] };
}

/** "index public.notes_account_id_idx: missing", one per difference. */
export function describeDifference({ object, state }: DriftDifference): string {
  return `${object}: ${state}`;
}

export function driftFound(report: DriftReport, why: string): SchemaDriftError {
  return new SchemaDriftError(
    `the schema differs from what the last migrator up recorded (${report.differences.length} object(s)): ` +
      `${report.differences.map(describeDifference).join('; ')}${why}`,
    report,
  );
}

/**
 * Before `up` or `check` plans: with MIGRATOR_ON_DRIFT=fail, drift is refused (SchemaDriftError,
 * nothing planned); with warn it is logged and the command carries on; with ignore it is not
 * looked for. Resolves with whether a record exists, which `up` needs to know.
 */
export async function guardAgainstDrift(scope: DriftScope, onDrift: OnDrift, logger: Logger): Promise<boolean> {
  if (onDrift === 'ignore') return hasFingerprint(scope.client, scope.table);
  const report = await readDrift(scope);
  if (report.differences.length === 0) return report.baseline;
  if (onDrift === 'fail') throw driftFound(report, '; MIGRATOR_ON_DRIFT=fail, so nothing was planned or changed');
  logger.warn(
    { drift: report.differences.map(describeDifference) },
    `${driftFound(report, '').message}; carrying on (MIGRATOR_ON_DRIFT=warn)`,
  );
  return true;
}

/**
 * Whether this session's role may make the record's table, which the first record creates: a
 * database migrated before drift detection may be kept current by a role without CREATE on its
 * schema. When it may not, says so, and the run goes on without a record (the schema is no less
 * current for it).
 */
export async function mayCreateRecord(scope: DriftScope, logger: Logger): Promise<boolean> {
  const { rows } = await scope.client.query<{ may: boolean }>(`SELECT pg_catalog.has_schema_privilege($1, 'CREATE') AS may`, [
    scope.leftOut.ownSchema,
  ]);
  if (!rows[0].may) {
    logger.warn(
      { table: scope.table },
      `no drift baseline yet, and this role may not create tables in schema ${scope.leftOut.ownSchema}: none recorded ` +
        '(migrator drift has nothing to compare with until an up by a role that may)',
    );
  }
  return rows[0].may;
}

/** SQL recording the schema as it is now, for the transaction of the run's last step (fingerprint.ts). */
export function recordSql(scope: DriftScope): string {
  return recordFingerprintSql(scope.client, scope.table, scope.leftOut);
}

/** Records the schema as it is now, in a transaction of its own. */
export async function record(scope: DriftScope): Promise<void> {
  await recordFingerprint(scope.client, scope.table, scope.leftOut);
}
