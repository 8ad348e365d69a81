/**
 * `lint`: checks versioned migrations and repeatable files before they are merged. Two checks:
 * statements that are not safe to run when their change is already there, or in a repeatable file
 * to run again (our own, on PostgreSQL's parser), and squawk's rules for dangerous operations. A development and CI command: its packages (libpg-query,
 * squawk-cli) are devDependencies, loaded only here.
 */
import path from 'node:path';
import { lineAndColumnAtByte } from '../db/sql-error';
import { findBackwardIncompatible } from '../lint/backward-compat';
import { findNotRerunnable } from '../lint/rerunnable';
import { findUnguardedDdl } from '../lint/unguarded-ddl';
import { runSquawk, squawkProgram } from '../lint/squawk';
import { LintFindingsError } from '../errors';
import { requireOptional } from '../optional-module';
import type { LintFinding, LintReport } from '../results';
import { runsInTransaction } from '../history';
import { loadMigrationSet, REPEATABLE_FOLDER } from '../source';
import { isPostDeploy } from '../source/post-deploy';
import { DOWN_FOLDER } from './new-migration';
import { decodeSqlText, readBytes } from '../source/sql-text';

type LibpgQuery = typeof import('libpg-query');

export interface LintOptions {
  /** SQL files to check instead of every versioned migration and repeatable file (e.g. only the ones a branch adds). */
  files?: string[];
  /** Check only the versioned migrations after this id (those of the release being built), and every repeatable file. */
  since?: number;
}

interface Target {
  label: string;
  path: string;
  sql: string;
  /** A repeatable file (in repeatable/): checked for running again rather than for guards. */
  repeatable: boolean;
}

/** Resolves with the report when nothing is found; rejects with LintFindingsError (carrying it) otherwise. */
export async function lint(migrationsDir: string, options: LintOptions = {}): Promise<LintReport> {
  const libpgQuery = requireOptional<LibpgQuery>('libpg-query', 'lint');
  const program = squawkProgram();
  const targets = options.files?.length ? readGiven(options.files) : folderTargets(migrationsDir, options.since ?? 0);
  await libpgQuery.loadModule();

  const findings = targets.flatMap((target) => ourRules(libpgQuery, target));
  const byPath = new Map(targets.map((target) => [target.path, target.label]));
  const squawked = await runSquawk(
    program,
    targets
      .filter((target) => target.path.endsWith('.sql'))
      .map((target) => ({ path: target.path, inTransaction: runsInTransaction(target.sql) })),
  );
  // In a file PostgreSQL's parser rejects, squawk's findings are noise next to the syntax error.
  const unparsable = new Set(findings.filter((finding) => finding.rule === 'syntax-error').map((finding) => finding.file));
  for (const finding of squawked) {
    const file = byPath.get(finding.file) ?? finding.file;
    if (!unparsable.has(file)) findings.push({ ...finding, file, tool: 'squawk' });
  }
  findings.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
  const report = { files: targets.length, findings };
  if (findings.length > 0) throw new LintFindingsError(`lint found ${findings.length} problem(s) in ${targets.length} file(s)`, report);
  return report;
}

/**
 * Every versioned migration after `since` (.js ones as the SQL they generate; squawk sees .sql files
 * only), and every repeatable file: each is its object's current definition, whatever the release.
 */
function folderTargets(migrationsDir: string, since: number): Target[] {
  const set = loadMigrationSet(migrationsDir);
  const versioned = set.versioned
    .filter((file) => file.id > since)
    .map((file) => ({
      label: `versioned/${file.fileName}`,
      path: path.join(set.versionedDir!, file.fileName),
      sql: file.sql,
      repeatable: false,
    }));
  const repeatable = set.repeatable.map((file) => ({
    label: `repeatable/${file.name}`,
    path: path.join(migrationsDir, REPEATABLE_FOLDER, file.name),
    sql: file.sql,
    repeatable: true,
  }));
  return [...versioned, ...repeatable];
}

function readGiven(files: string[]): Target[] {
  return files.map((file) => {
    const absolute = path.resolve(file);
    return {
      label: file,
      path: absolute,
      sql: decodeSqlText(file, readBytes(file, absolute)),
      repeatable: path.basename(path.dirname(absolute)) === REPEATABLE_FOLDER,
    };
  });
}

/**
 * Our rules: in a versioned migration, DDL that is not safe to run again and (outside post-deploy
 * migrations) what breaks the release still running; in a repeatable file, what cannot run again.
 */
function ourRules(libpgQuery: LibpgQuery, target: Target): LintFinding[] {
  const at = (byteOffset: number) => lineAndColumnAtByte(target.sql, byteOffset);
  try {
    const parsed = libpgQuery.parseSync(target.sql);
    if (target.repeatable) {
      return findNotRerunnable(parsed).map(({ location, message }): LintFinding => ({
        file: target.label,
        ...at(location),
        rule: 'not-rerunnable',
        message,
        tool: 'migrator',
      }));
    }
    const unguarded = findUnguardedDdl(parsed).map(({ location, message }): LintFinding => ({
      file: target.label,
      ...at(location),
      rule: 'unguarded-ddl',
      message,
      tool: 'migrator',
    }));
    // A down file undoes a release for rollback, which no rolling deploy runs under live traffic.
    if (isPostDeploy(target.sql) || path.basename(path.dirname(target.path)) === DOWN_FOLDER) return unguarded;
    const parsers = { parse: (sql: string) => libpgQuery.parseSync(sql), parsePlpgsql: (sql: string) => libpgQuery.parsePlPgSQLSync(sql) };
    const incompatible = findBackwardIncompatible(parsed, target.sql, parsers).map(({ location, lineDelta, message }): LintFinding => {
      const { line, column } = at(location);
      return {
        file: target.label,
        line: line + lineDelta,
        column: lineDelta === 0 ? column : 1,
        rule: 'backward-compat',
        message,
        tool: 'migrator',
      };
    });
    return [...unguarded, ...incompatible];
  } catch (error) {
    if (!libpgQuery.hasSqlDetails(error)) throw error;
    return [
      { file: target.label, ...at(error.sqlDetails!.cursorPosition), rule: 'syntax-error', message: error.message, tool: 'migrator' },
    ];
  }
}
