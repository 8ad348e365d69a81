/**
 * Timing processes: wall time from spawn to exit, seen from this process, and peak RSS reported by
 * the child itself (rss-probe.cjs, preloaded into Node children). Subjects run interleaved, round
 * by round in a rotating order, so that whatever else the machine does hits floor and subject alike.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

export const RSS_PROBE = path.resolve('test/bench/rss-probe.cjs');

export interface Run {
  wallMs: number;
  /** Peak resident set size in MB (10^6 bytes), when the child reported it. */
  rssMB?: number;
  stdout: string;
}

export interface Subject {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  /** Untimed, before each run: e.g. a fresh database. Returns environment for the run. */
  before?: () => Promise<Record<string, string>>;
  /** Untimed, after each run: throws when the run did not do what it should; cleans up. */
  after?: (run: Run, env: Record<string, string>) => Promise<void>;
}

/** A Node script run the way a container runs it, with the RSS probe preloaded. */
export function nodeSubject(name: string, scriptArgs: string[], extra: Partial<Subject> = {}): Subject {
  return { name, command: process.execPath, args: ['-r', RSS_PROBE, ...scriptArgs], ...extra };
}

/** Where children run: their whole environment and working folder. */
export interface Context {
  env: Record<string, string>;
  cwd: string;
}

export function runOnce(command: string, args: string[], context: Context): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { ...context, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let rss = '';
    child.stdout!.on('data', (chunk) => (stdout += chunk));
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    child.stdio[3]!.on('data', (chunk) => (rss += chunk));
    let wallMs = 0;
    child.on('exit', () => {
      wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${stdout}${stderr}`));
        return;
      }
      resolve({ wallMs, rssMB: rss.trim() ? (Number(rss.trim()) * 1024) / 1e6 : undefined, stdout });
    });
  });
}

export interface Sample {
  subject: Subject;
  runs: Run[];
}

/** Runs every subject `rounds` times, one of each per round, starting each round one subject later. */
export async function interleave(
  subjects: Subject[],
  rounds: number,
  context: Context,
  onRound?: (round: number) => void,
): Promise<Sample[]> {
  const samples = subjects.map((subject) => ({ subject, runs: [] as Run[] }));
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < samples.length; k++) {
      const sample = samples[(round + k) % samples.length];
      const { subject } = sample;
      const env = { ...context.env, ...subject.env, ...(await subject.before?.()) };
      const run = await runOnce(subject.command, subject.args, { env, cwd: context.cwd });
      await subject.after?.(run, env);
      sample.runs.push(run);
    }
    onRound?.(round + 1);
  }
  return samples;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export interface Stats {
  name: string;
  medianMs: number;
  minMs: number;
  /** Median and largest of the runs' peak RSS. */
  rssMB?: number;
  rssMaxMB?: number;
}

export function stats(sample: Sample): Stats {
  const wall = sample.runs.map((run) => run.wallMs);
  const rss = sample.runs.flatMap((run) => (run.rssMB === undefined ? [] : [run.rssMB]));
  return {
    name: sample.subject.name,
    medianMs: median(wall),
    minMs: Math.min(...wall),
    rssMB: rss.length ? median(rss) : undefined,
    rssMaxMB: rss.length ? Math.max(...rss) : undefined,
  };
}
