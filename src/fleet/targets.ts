/**
 * The targets of a fleet run: a schema of DATABASE_URL's database (schema-per-tenant) or a database
 * on its server (database-per-tenant). Listed by a query or a file, checked (names PostgreSQL would
 * not keep as they are, duplicates, unknown kinds are refused before any target is touched), put in
 * a stable order, and split into disjoint shards that cover them all.
 */
import { createHash } from 'node:crypto';
import type { MigratorConfig } from '../config';
import { ConfigError } from '../errors';

export const TARGET_KINDS = ['schema', 'database'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

export interface Target {
  kind: TargetKind;
  name: string;
}

/** How lines, logs and shards name a target: `schema:acme`, `database:acme`. */
export function targetLabel(target: Target): string {
  return `${target.kind}:${target.name}`;
}

/** PostgreSQL keeps at most 63 bytes of a name (NAMEDATALEN - 1) and cuts the rest silently. */
const MAX_NAME_BYTES = 63;

/** Checks each name, refuses duplicates, and orders the targets by label (code points): every run, and every shard, takes them in the same order. */
export function checkedTargets(targets: Target[], source: string): Target[] {
  const seen = new Set<string>();
  for (const target of targets) {
    const label = targetLabel(target);
    if (target.name === '') throw new ConfigError(`${source}: an empty ${target.kind} name`, '--targets');
    if (target.name.includes('\0')) throw new ConfigError(`${source}: ${target.kind} name with a NUL byte`, '--targets');
    if (Buffer.byteLength(target.name) > MAX_NAME_BYTES) {
      throw new ConfigError(
        `${source}: ${label} is longer than PostgreSQL's ${MAX_NAME_BYTES} bytes for a name (it would be cut and could meet another)`,
        '--targets',
      );
    }
    if (seen.has(label)) throw new ConfigError(`${source}: ${label} is listed twice`, '--targets');
    seen.add(label);
  }
  return [...targets].sort((a, b) => {
    const [x, y] = [targetLabel(a), targetLabel(b)];
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

/** A targets file: one `schema:NAME` or `database:NAME` per line; blank lines and `#` comments are skipped. */
export function parseTargetsFile(text: string, file: string): Target[] {
  const targets: Target[] = [];
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    const kind = colon < 0 ? line : line.slice(0, colon);
    if (colon < 0 || !(TARGET_KINDS as readonly string[]).includes(kind)) {
      throw new ConfigError(`${file}:${index + 1}: "${line}" is not schema:NAME or database:NAME`, '--targets-file');
    }
    targets.push({ kind: kind as TargetKind, name: line.slice(colon + 1) });
  }
  return checkedTargets(targets, file);
}

export interface Shard {
  index: number;
  count: number;
}

/** `--shard I/N`: 0 <= I < N (an Indexed Job's JOB_COMPLETION_INDEX and its completions). */
export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text);
  const [index, count] = match ? [Number(match[1]), Number(match[2])] : [NaN, NaN];
  if (!match || count < 1 || index >= count) {
    throw new ConfigError(`--shard must be I/N with 0 <= I < N, e.g. 0/4 (got "${text}")`, '--shard');
  }
  return { index, count };
}

/** The shard a target falls in: a hash of its label, the same on every machine and in every release. */
export function shardOf(target: Target, count: number): number {
  return createHash('sha256').update(targetLabel(target)).digest().readUInt32BE(0) % count;
}

export function inShard(targets: Target[], shard: Shard | undefined): Target[] {
  return shard === undefined ? targets : targets.filter((target) => shardOf(target, shard.count) === shard.index);
}

/** The configuration of one target's run: DATABASE_URL's database confined to the schema, or the other database with the same credentials. */
export function targetConfig(config: MigratorConfig, target: Target): MigratorConfig {
  return target.kind === 'schema'
    ? { ...config, schema: target.name }
    : { ...config, connection: { ...config.connection, database: target.name } };
}
