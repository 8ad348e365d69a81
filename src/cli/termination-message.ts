/**
 * On failure, one paragraph for `kubectl describe pod`: Kubernetes shows the content of the
 * container's termination-message file. Best effort: outside Kubernetes the file usually cannot be
 * written, and that must not change the outcome.
 */
import { existsSync, writeFileSync } from 'node:fs';
import type { TerminationLog } from '../config';
import { EXIT_MEANING } from './exit-codes';

/** Kubernetes keeps at most 4096 bytes of the message. */
const MAX_BYTES = 4096;

/** `message` comes masked: the paragraph around it is the migrator's own words and stays as it is. */
export function writeTerminationMessage(target: TerminationLog, command: string, exitCode: number, message: string): void {
  // Outside Kubernetes a writable /dev (a container run as root) must not get a file it never had.
  if (target.onlyIfPresent && !existsSync(target.file)) return;
  const paragraph = `pg-init-migrator ${command} failed with exit code ${exitCode} (${EXIT_MEANING[exitCode] ?? 'unexpected error'}): ${message}`;
  try {
    writeFileSync(target.file, Buffer.from(paragraph).subarray(0, MAX_BYTES));
  } catch {
    // Not in Kubernetes, or no such mount: nothing to do.
  }
}
