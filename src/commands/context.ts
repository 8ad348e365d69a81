/** What every command of the library works with: the configuration, where its lines go, how it is stopped, and who hears its progress. */
import type { MigratorConfig } from '../config';
import type { KeptConnection } from '../db/kept-connection';
import type { Logger } from '../log';
import type { MigratorEvent } from '../results';
import type { MigrationSet } from '../source';

export interface MigratorContext {
  config: MigratorConfig;
  logger: Logger;
  /** Aborting cancels the running statement (rolled back), releases the lock and rejects. */
  signal?: AbortSignal;
  emit(event: MigratorEvent): void;
  /** The files, when they were read and checked already: `fleet` reads them once for every target. */
  files?: MigrationSet;
  /** A connection the caller keeps for its next session (a fleet worker's): used instead of a new one. */
  connection?: KeptConnection;
}
