/**
 * Backup before change: when `up` has work to do and MIGRATOR_BACKUP_COMMAND is set, that command
 * runs first through /bin/sh, with the connection in the libpq variables (so `pg_dump -Fc -f ...`
 * needs no arguments for where to connect). Its output goes to stderr, keeping stdout for our logs.
 */
import { spawn } from '../child-process';
import type { ConnectionSettings } from '../config';
import { libpqEnvironment } from '../db/libpq-env';
import { BackupFailedError } from '../errors';
import type { Logger } from '../log';
import { now } from '../clock';

export async function runBackup(command: string, connection: ConnectionSettings, logger: Logger): Promise<void> {
  const started = now();
  logger.info({ command }, 'running the backup command before changing anything');
  const outcome = await new Promise<{ code: number | null; error?: Error }>((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], {
      env: { ...process.env, ...libpqEnvironment(connection, 'backup') },
      stdio: ['ignore', process.stderr, process.stderr],
    });
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
