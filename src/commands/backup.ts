/**
 * Backup before change: when `up` has work to do and MIGRATOR_BACKUP_COMMAND is set, that command
 * runs first through /bin/sh, with the connection in the libpq variables (so `pg_dump -Fc -f ...`
 * needs no arguments for where to connect). Its output goes to stderr, keeping stdout for our
 * logs, masked like everything else we write: it is handed the password.
 */
import { spawn } from '../child-process';
import { writeAll } from '../write-fd';
import { publicTextOf, type ConnectionSettings } from '../config';
import { toolEnvironment } from '../db/libpq-env';
import { BackupFailedError } from '../errors';
import type { Logger } from '../log';
import { createRedactor, lineRedactor } from '../redact';
import { now } from '../clock';

/**
 * `schema`: a tenant's run (`fleet`): given to the command as MIGRATOR_TARGET_SCHEMA, so that it
 * may back up that schema alone (`pg_dump -n "$MIGRATOR_TARGET_SCHEMA"`).
 */
export async function runBackup(command: string, connection: ConnectionSettings, logger: Logger, schema?: string): Promise<void> {
  const started = now();
  logger.info({ backupCommand: command }, 'running the backup command before changing anything');
  const redact = createRedactor([connection.password], { publicText: publicTextOf(connection) });
  const outcome = await new Promise<{ code: number | null; error?: Error }>((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], {
      env: { ...toolEnvironment(connection, 'backup'), ...(schema !== undefined && { MIGRATOR_TARGET_SCHEMA: schema }) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // One per stream, so that a line of one is never cut by a line of the other.
    for (const stream of [child.stdout, child.stderr]) {
      const output = lineRedactor(redact, (text) => writeAll(2, text));
      stream.on('data', output.write);
      stream.on('end', output.end);
    }
    child.on('error', (error) => resolve({ code: null, error }));
    child.on('close', (code) => resolve({ code }));
  });
  if (outcome.code !== 0) {
    throw new BackupFailedError(
      `the backup command failed (${outcome.error ? outcome.error.message : `exit ${outcome.code}`}); nothing was changed`,
    );
  }
  logger.info({ durationMs: Math.round(now() - started) }, 'backup done');
}
