/**
 * node:child_process's spawn, loaded on first use. Only rare paths run programs (the backup
 * command, converge's psql restore, lint's squawk), and loading the module up front would cost
 * time and memory on every start, the no-op path of every pod.
 */
import type * as ChildProcessModule from 'node:child_process';

export const spawn = ((...args: Parameters<typeof ChildProcessModule.spawn>) => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const childProcess = require('node:child_process') as typeof ChildProcessModule;
  return childProcess.spawn(...args);
}) as typeof ChildProcessModule.spawn;
