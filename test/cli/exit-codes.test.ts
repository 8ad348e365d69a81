/**
 * Every exit code is described in each place a person reads it (--help, the termination message,
 * docs/exit-codes.md), all from the one table in src/cli/exit-codes.ts: a code added without its
 * words fails here rather than printing "unexpected error".
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { usage } from '../../src/cli/args';
import { EXIT, EXIT_DETAILS, EXIT_MEANING } from '../../src/cli/exit-codes';

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
});
