/**
 * The step runner's context for the commands that write. Apart from context.ts, whose types the
 * published declarations reach: these name node-postgres' types, which a consumer may not have.
 */
import type { DatabaseSession } from '../db/with-database';
import type { Logger } from '../log';
import type { RunContext } from '../run/step-runner';
import type { MigratorContext } from './context';

/** What the step runner needs to apply steps on a writing command's session: its retries on lock timeouts, the session's lock watcher. */
export function writingRunContext(
  { config, signal, emit }: MigratorContext,
  { client, lockWatcher }: DatabaseSession,
  logger: Logger,
): RunContext {
  return { client, logger, signal, lockRetries: config.lockRetries, lockWatcher, emit };
}
