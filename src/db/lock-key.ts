/**
 * The migration lock's key, apart from the code that takes the lock: it is part of the library's
 * API (for tools that look the lock up in pg_locks), and this module imports nothing, so the
 * published declarations of the API need no types of pg.
 */

/** The key pair (ASCII "migr", "ator"); visible in pg_locks as classid, objid with objsubid 2. */
export const MIGRATION_LOCK_KEY = [0x6d696772, 0x61746f72] as const;

/**
 * The lock of a run confined to one schema (a tenant of `fleet`, `check --schema`): "migr" and a
 * 32-bit FNV-1a hash of the schema's name, so that tenants of one database never wait on each
 * other. Advisory locks belong to a database already, so a database of its own needs no key of its
 * own. Two names that hash alike only make their runs take turns.
 */
export function schemaLockKey(schema: string): readonly [number, number] {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(schema)) hash = Math.imul(hash ^ byte, 0x01000193);
  // pg_advisory_lock(int4, int4): the hash as a signed 32-bit integer.
  return [MIGRATION_LOCK_KEY[0], hash | 0];
}
