/**
 * squawk (npm squawk-cli, a native binary) checks migrations for PostgreSQL's dangerous operations:
 * locking index builds, NOT NULL columns without a default, table rewrites and more. We run it
 * rather than re-writing those rules. A .squawk.toml in the working folder configures it as usual.
 *
 * Left out, because the migrator covers them: require-lock-timeout and require-statement-timeout
 * (MIGRATOR_LOCK_TIMEOUT and MIGRATOR_STATEMENT_TIMEOUT set both for every migration) and
 * prefer-robust-stmts (our own unguarded-DDL check, which knows that guards live in DO blocks).
 */
import { spawn } from '../child-process';
import { resolveOptional } from '../optional-module';

const EXCLUDED_RULES = ['require-lock-timeout', 'require-statement-timeout', 'prefer-robust-stmts'];

export interface SquawkFinding {
  /** The path as it was given. */
  file: string;
  /** 1-based. */
  line: number;
  column: number;
  rule: string;
  message: string;
}

interface SquawkJson {
  file: string;
  line: number;
  column: number;
  rule_name: string;
  message: string;
  help: string | null;
}

/** The squawk program, or a ConfigError when squawk-cli is not installed. Call before any work. */
export function squawkProgram(): string {
  return resolveOptional('squawk-cli', 'js/bin/squawk', 'lint');
}

/**
 * Runs squawk over the files. Files that run inside a transaction (postgres-migrations' default)
 * are checked as such, so that squawk knows, for example, that CONCURRENTLY cannot be used there.
 */
export async function runSquawk(program: string, files: Array<{ path: string; inTransaction: boolean }>): Promise<SquawkFinding[]> {
  const groups = [true, false].map((inTransaction) => ({
    inTransaction,
    paths: files.filter((file) => file.inTransaction === inTransaction).map((file) => file.path),
  }));
  const findings = await Promise.all(
    groups
      .filter((group) => group.paths.length > 0)
      .map((group) =>
        squawk(program, [
          '--reporter',
          'json',
          '--exclude',
          EXCLUDED_RULES.join(','),
          ...(group.inTransaction ? ['--assume-in-transaction'] : []),
          ...group.paths,
        ]),
      ),
  );
  return findings.flat();
}

async function squawk(program: string, args: string[]): Promise<SquawkFinding[]> {
  const { stdout, stderr, code } = await new Promise<{ stdout: string; stderr: string; code: number | null }>((resolve, reject) => {
    const child = spawn(process.execPath, [program, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    child.on('error', reject);
    child.on('close', (exitCode) => resolve({ stdout: out, stderr: err, code: exitCode }));
  });
  let parsed: SquawkJson[];
  try {
    parsed = JSON.parse(stdout) as SquawkJson[];
  } catch {
    throw new Error(`squawk failed (exit ${code}): ${stderr.trim() || stdout.trim()}`);
  }
  // squawk counts lines and columns from 0.
  return parsed.map((finding) => ({
    file: finding.file,
    line: finding.line + 1,
    column: finding.column + 1,
    rule: finding.rule_name,
    message: finding.help ? `${finding.message} ${finding.help}` : finding.message,
  }));
}
