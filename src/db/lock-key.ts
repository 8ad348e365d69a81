/**
 * The migration lock's key, apart from the code that takes the lock: it is part of the library's
 * API (for tools that look the lock up in pg_locks), and this module imports nothing, so the
 * published declarations of the API need no types of pg.
 */

/** The key pair (ASCII "migr", "ator"); visible in pg_locks as classid, objid with objsubid 2. */
export const MIGRATION_LOCK_KEY = [0x6d696772, 0x61746f72] as const;
