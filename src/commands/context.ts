/** What every command of the library works with: the configuration, where its lines go, how it is stopped, and who hears its progress. */
import type { MigratorConfig } from '../config';
import type { DatabaseSession } from '../db/with-database';
import type { Logger } from '../log';
import type { MigratorEvent } from '../results';
import type { RunContext } from '../run/step-runner';

export interface MigratorContext {
  config: MigratorConfig;
  logger: Logger;
  /** Aborting cancels the running statement (rolled back), releases the lock and rejects. */
  signal?: AbortSignal;
  emit(event: MigratorEvent): void;
}

/** What the step runner needs to apply steps on a writing command's session: its retries on lock timeouts, the session's lock watcher. */
export function writingRunContext(
  { config, signal, emit }: MigratorContext,
  { client, lockWatcher }: DatabaseSession,
  logger: Logger,
): RunContext {
  return { client, logger, signal, lockRetries: config.lockRetries, lockWatcher, emit };
}
