/**
 * Every exit code is described in each place a person reads it (--help, the termination message,
 * docs/exit-codes.md), all from the one table in src/cli/exit-codes.ts: a code added without its
 * words fails here rather than printing "unexpected error".
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { usage } from '../../src/cli/args';
import { EXIT, EXIT_DETAILS, EXIT_MEANING, exitCodeFor } from '../../src/cli/exit-codes';
import {
  ConfigError,
  DatabaseUnavailableError,
  FleetFailedError,
  LockTimeoutError,
  MigrationFailedError,
  SchemaDriftError,
  SchemaNotCurrentError,
  ValidationError,
} from '../../src/errors';
import type { TargetResult } from '../../src/results';

const codes = Object.values(EXIT);

describe('exit codes', () => {
  test('each code has a short meaning and a full description', () => {
    for (const code of codes) {
      expect({ code, meaning: typeof EXIT_MEANING[code], details: typeof EXIT_DETAILS[code] }).toEqual({
        code,
        meaning: 'string',
        details: 'string',
      });
    }
    expect(Object.keys(EXIT_MEANING).map(Number).sort()).toEqual([...codes].sort());
    expect(Object.keys(EXIT_DETAILS).map(Number).sort()).toEqual([...codes].sort());
  });

  test('--help and docs/exit-codes.md list every code', () => {
    const help = usage();
    const page = readFileSync(path.join(__dirname, '..', '..', 'docs', 'exit-codes.md'), 'utf8');
    for (const code of codes) {
      expect({ code, inHelp: new RegExp(`^\\s+${code}\\s+${EXIT_MEANING[code].replace(/[()]/g, '\\$&')}`, 'm').test(help) }).toEqual({
        code,
        inHelp: true,
      });
      expect({ code, inPage: page.includes(`| ${code} |`) }).toEqual({ code, inPage: true });
    }
  });

  describe("fleet: the targets' code a retry is least likely to fix", () => {
    const failed = (...errors: Error[]) =>
      new FleetFailedError('failed', {
        action: 'up',
        targets: errors.length + 1,
        results: [
          { target: 'schema:ok', outcome: 'up-to-date', durationMs: 1 },
          ...errors.map((error, index): TargetResult => ({ target: `schema:t${index}`, outcome: 'failed', durationMs: 1, error })),
        ],
        notStarted: [],
        durationMs: 2,
      });
    const unavailable = new DatabaseUnavailableError('down');
    const lock = new LockTimeoutError('held');
    const migration = new MigrationFailedError('x', 'versioned', '1_x.sql', {});
    const drift = new SchemaDriftError('drifted', { baseline: true, differences: [{ object: 'index public.x', state: 'missing' }] });
    const notCurrent = new SchemaNotCurrentError('behind', { steps: [], waiting: [], versioned: { currentVersion: 0, ahead: [] } });

    test.each([
      ['unavailable alone', [unavailable], EXIT.databaseUnavailable],
      ['a lock timeout over unavailable', [unavailable, lock], EXIT.lockTimeout],
      ['not current over a lock timeout', [lock, notCurrent], EXIT.pendingWork],
      ['a migration failure over the retryable ones', [unavailable, migration, lock], EXIT.migrationFailed],
      ['validation over a migration failure', [migration, new ValidationError('bad')], EXIT.validationFailed],
      ['drift over a migration failure', [migration, drift], EXIT.driftFound],
      ['validation over drift', [drift, new ValidationError('bad')], EXIT.validationFailed],
      ['a usage error over everything', [migration, new ConfigError('no such schema'), unavailable], EXIT.usage],
    ])('%s', (_, errors, code) => {
      expect(exitCodeFor(failed(...errors))).toBe(code);
    });
  });
});
