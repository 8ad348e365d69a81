/**
 * `--targets-sql`: the targets as a query on DATABASE_URL's database lists them, in a read-only
 * transaction that is rolled back, so that listing tenants never changes anything. One column,
 * named `schema` or `database`, one target per row.
 */
import type pg from 'pg';
import { ConfigError } from '../errors';
import { checkedTargets, TARGET_KINDS, type Target, type TargetKind } from './targets';

export async function queryTargets(client: pg.Client, sql: string): Promise<Target[]> {
  await client.query('START TRANSACTION READ ONLY');
  let result: pg.QueryResult<Record<string, unknown>>;
  try {
    result = await client.query<Record<string, unknown>>(sql);
  } catch (error) {
    throw new ConfigError(`--targets-sql failed: ${(error as Error).message}`, '--targets-sql');
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
  }
  if (Array.isArray(result)) throw new ConfigError('--targets-sql must be one query', '--targets-sql');
  const columns = result.fields.map((field) => field.name);
  const kind = columns[0];
  if (columns.length !== 1 || !(TARGET_KINDS as readonly string[]).includes(kind)) {
    throw new ConfigError(
      `--targets-sql must return one column named schema or database (got ${columns.map((name) => `"${name}"`).join(', ') || 'none'})`,
      '--targets-sql',
    );
  }
  const targets = result.rows.map((row, index) => {
    const name = row[kind];
    if (typeof name !== 'string')
      throw new ConfigError(`--targets-sql: row ${index + 1} has no ${kind} name (NULL or not text)`, '--targets-sql');
    return { kind: kind as TargetKind, name };
  });
  return checkedTargets(targets, '--targets-sql');
}
