/**
 * Scratch databases for `converge`, created from template0 (empty, as a dump expects) on the server
 * the maintenance connection is on, and always dropped at the end, also after a failure.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { errorMessage } from '../db/client';
import type { Logger } from '../log';

export interface ScratchDatabases {
  create(): Promise<string>;
  /** Drops every database create() made; a failure to drop is logged with the name, never thrown. */
  dropAll(): Promise<void>;
}

export function scratchDatabases(admin: pg.Client, logger: Logger): ScratchDatabases {
  const prefix = `migrator_converge_${randomBytes(4).toString('hex')}`;
  const created: string[] = [];
  return {
    async create() {
      const name = `${prefix}_${created.length + 1}`;
      await admin.query(`CREATE DATABASE ${name} TEMPLATE template0`);
      created.push(name);
      logger.debug({ database: name }, 'scratch database created');
      return name;
    },
    async dropAll() {
      for (const name of created.splice(0)) {
        try {
          await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          logger.debug({ database: name }, 'scratch database dropped');
        } catch (error) {
          logger.error({ database: name, error: errorMessage(error) }, `could not drop scratch database ${name}: drop it by hand`);
        }
      }
    },
  };
}
