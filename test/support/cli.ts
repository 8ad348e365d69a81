/** Runs the built CLI (dist/cli/main.js) as a real process, the way users and containers do. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const CLI = path.resolve(__dirname, '..', '..', 'dist', 'cli', 'main.js');
/**
 * The node that runs the CLI: the suite's own, or MIGRATOR_TEST_NODE's (a path), so that the CLI's
 * tests can run on another Node major, e.g. the oldest package.json's engines allows.
 */
export const NODE = process.env.MIGRATOR_TEST_NODE || process.execPath;

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON lines (non-JSON lines are kept as { raw }). */
  lines: Array<Record<string, unknown>>;
  durationMs: number;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Another build of the CLI to run (default: this checkout's dist/cli/main.js). */
  cli?: string;
  /** Run as this user id (the suite may run as root, for whom every file is readable). */
  uid?: number;
}

/** A minimal environment: nothing from the developer's shell leaks into the run under test. */
function childEnv(env: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, LOG_LEVEL: 'debug', MIGRATOR_WAIT_TIMEOUT: '10', ...env };
}

export function startMigrator(args: string[], options: CliOptions = {}): { child: ChildProcess; done: Promise<CliResult> } {
  const started = Date.now();
  const child = spawn(NODE, [options.cli ?? CLI, ...args], {
    cwd: options.cwd ?? path.resolve(__dirname, '..', '..'),
    env: childEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.uid !== undefined && { uid: options.uid }),
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({ code, signal, stdout, stderr, lines: parseLines(stdout), durationMs: Date.now() - started }),
    );
  });
  return { child, done };
}

export function runMigrator(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return startMigrator(args, options).done;
}

export function parseLines(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        return { raw: line };
      }
    });
}

/**
 * The final summary line every run ends with: on stdout, or on stderr where the run logs there
 * (commands that print a result, and usage and configuration errors).
 */
export function summaryLine(result: Pick<CliResult, 'lines' | 'stdout' | 'stderr'>): Record<string, unknown> {
  const last = result.lines.at(-1);
  if (last && 'outcome' in last) return last;
  const logged = parseLines(result.stderr).at(-1);
  if (logged && 'outcome' in logged) return logged;
  throw new Error(`no summary line in output:\n${result.stdout}\n${result.stderr}`);
}

/**
 * Resolves once a line matching the predicate has appeared on the child's stdout (or stderr, where
 * commands that print a result log).
 */
export function waitForLine(
  child: ChildProcess,
  predicate: (line: Record<string, unknown>) => boolean,
  timeoutMs = 30_000,
  stream: 'stdout' | 'stderr' = 'stdout',
): Promise<Record<string, unknown>> {
  const output = child[stream]!;
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error('timed out waiting for a log line')), timeoutMs);
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString();
      for (const line of parseLines(buffer)) {
        if (predicate(line)) {
          clearTimeout(timer);
          output.off('data', onData);
          resolve(line);
          return;
        }
      }
    };
    output.on('data', onData);
  });
}

/**
 * Runs the CLI under a pseudo-terminal (util-linux script), as a person at a terminal does: what
 * is written to `child.stdin` is typed at that terminal (Ctrl-C is "\x03"), and `output()` is what
 * the terminal showed so far. `redirect` is shell text after the command, e.g. "2>log".
 */
export function startOnTerminal(
  args: string[],
  env: Record<string, string | undefined>,
  redirect = '',
): { child: ChildProcess; output(): string; done: Promise<{ code: number | null; output: string }> } {
  const command = [NODE, CLI, ...args].map((part) => `'${part}'`).join(' ');
  const child = spawn('script', ['-qec', `${command} ${redirect}`, '/dev/null'], {
    env: { ...childEnv(env), TERM: 'xterm' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  const done = new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
  return { child, output: () => output, done };
}
