/**
 * Restoring a plain SQL dump the way its format promises: psql -v ON_ERROR_STOP=1, into an empty
 * database. A dump that does not restore is a bad argument (ConfigError); the caller names it.
 */
import { spawn } from '../child-process';
import type { ConnectionSettings } from '../config';
import { toolEnvironment } from '../db/libpq-env';
import { ConfigError, InterruptedError } from '../errors';

export async function restoreDump(file: string, connection: ConnectionSettings, signal?: AbortSignal): Promise<void> {
  const outcome = await new Promise<{ code: number | null; error?: NodeJS.ErrnoException; stderr: string }>((resolve) => {
    let stderr = '';
    const child = spawn('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', file], {
      env: toolEnvironment(connection, 'restore'),
      stdio: ['ignore', 'ignore', 'pipe'],
      signal,
    });
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    child.on('error', (error) => resolve({ code: null, error, stderr }));
    child.on('close', (code) => resolve({ code, stderr }));
  });
  InterruptedError.throwIfAborted(signal);
  if (outcome.error?.code === 'ENOENT') {
    throw new ConfigError('converge restores dumps with psql, which is not on the PATH: install the PostgreSQL client');
  }
  if (outcome.code !== 0) {
    const reason = outcome.error?.message ?? outcome.stderr.trim().split('\n').slice(-3).join(' ');
    throw new ConfigError(`the dump does not restore with psql -v ON_ERROR_STOP=1 into an empty database: ${reason}`);
  }
}
