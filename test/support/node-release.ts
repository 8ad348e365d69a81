/**
 * A Node.js of another major for the tests, from the registry's node-<platform>-<arch> package,
 * unpacked into a folder of the caller's: the machine's own node stays as it is for everyone else
 * on it. npm's cache keeps the download for later runs.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The path of the node binary of the newest release of `major`, unpacked under `dir`. */
export async function nodeOfMajor(major: number, dir: string): Promise<string> {
  const { stdout } = await run(
    'npm',
    ['pack', '--silent', '--prefer-offline', '--pack-destination', dir, `node-${process.platform}-${process.arch}@${major}`],
    { cwd: dir, maxBuffer: 16 * 1024 * 1024 },
  );
  const tarball = path.join(dir, stdout.trim().split('\n').at(-1)!);
  await run('tar', ['-xzf', tarball, '-C', dir, 'package/bin/node']);
  return path.join(dir, 'package', 'bin', 'node');
}
