/**
 * Bad migration files: each is refused with the file named and a documented exit code, before the
 * database is touched (files are read and checked before connecting).
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runMigrator, summaryLine } from '../support/cli';
import { appliedVersions, tableNames, type TestDatabase } from '../support/database';
import type { TempMigrations } from '../support/fixtures';
import { withFreshDatabase } from '../support/fresh';

describe('bad input', () => {
  let db: TestDatabase;
  let migrations: TempMigrations;
  withFreshDatabase('basic', (fresh) => ({ db, migrations } = fresh));

  const run = () => runMigrator(['up'], { env: { ...db.env, MIGRATIONS_DIR: migrations.dir } });
  const put = (relative: string, content: string | Buffer) => writeFileSync(path.join(migrations.dir, relative), content);

  test.each<[string, number, RegExp, () => void]>([
    [
      'an empty file',
      6,
      /versioned\/3_empty\.sql holds no statement \(it is empty or only comments\)/,
      () => put('versioned/3_empty.sql', '  \n'),
    ],
    [
      'a file of comments only',
      6,
      /versioned\/3_later\.sql holds no statement/,
      () => put('versioned/3_later.sql', '-- TODO: write this\n/* later */\n'),
    ],
    ['an empty legacy script', 6, /legacy\/002_blank\.sql holds no statement/, () => put('legacy/002_blank.sql', '\n')],
    [
      'a NUL byte',
      6,
      /versioned\/3_nul\.sql contains a NUL byte \(on line 2\)/,
      () => put('versioned/3_nul.sql', "SELECT 1;\nSELECT 'a\0b';\n"),
    ],
    [
      'non-UTF-8 bytes',
      6,
      /legacy\/002_latin1\.sql is not valid UTF-8 \(first bad byte on line 2\)/,
      () => put('legacy/002_latin1.sql', Buffer.from('SELECT 1;\n-- caf\xe9\n', 'latin1')),
    ],
    [
      'a byte-order mark',
      6,
      /tables\/030_bom\.sql starts with a byte-order mark/,
      () => put('tables/030_bom.sql', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('CREATE TABLE bom (id int);')])),
    ],
    [
      'a versioned file that is not a migration name',
      6,
      /versioned\/cleanup\.sql: a versioned migration's name must start with its id/,
      () => put('versioned/cleanup.sql', 'SELECT 1;'),
    ],
    ['a gap in ids', 6, /versioned migration 3 is missing \(next is 4_later\.sql\)/, () => put('versioned/4_later.sql', 'SELECT 1;')],
    ['a duplicate id', 6, /2_again\.sql and 2_customers_display_name\.sql share id 2/, () => put('versioned/2_again.sql', 'SELECT 1;')],
    [
      'a directory named as a migration',
      6,
      /versioned\/3_folder\.sql is a directory, not a regular file, so it was not opened/,
      () => mkdirSync(path.join(migrations.dir, 'versioned', '3_folder.sql')),
    ],
    [
      'a legacy script that commits',
      6,
      /legacy\/002_commits\.sql:2: COMMIT would end the transaction the migrator runs this file in/,
      () => put('legacy/002_commits.sql', 'UPDATE customers SET email = lower(email);\nCOMMIT;\n'),
    ],
    [
      'a table file that begins its own transaction',
      6,
      /tables\/030_tx\.sql:1: BEGIN would end the transaction/,
      () => put('tables/030_tx.sql', 'BEGIN;\nCREATE TABLE tx (id int);\nEND;\n'),
    ],
    [
      'a dangling link',
      6,
      /legacy\/009_gone\.sql is a symbolic link that leads nowhere \(ENOENT\)/,
      () => symlinkSync('/no/such/file.sql', path.join(migrations.dir, 'legacy', '009_gone.sql')),
    ],
  ])('%s: exit %i, the file named, the database untouched', async (_case, exitCode, message, breakIt) => {
    breakIt();

    const result = await run();

    expect(result.code).toBe(exitCode);
    expect(summaryLine(result).msg).toMatch(message);
    expect(await tableNames(db)).toEqual([]);
  });

  /** A file of each phase, for SQL errors: path, phase, file name. */
  const TYPO_FILES = [
    ['legacy/002_typo.sql', 'legacy', '002_typo.sql'],
    ['tables/030_typo.sql', 'tables', '030_typo.sql'],
    ['versioned/3_typo.sql', 'versioned', '3_typo.sql'],
  ];

  test('a migrations folder that does not exist: exit 2', async () => {
    const result = await runMigrator(['up'], { env: { ...db.env, MIGRATIONS_DIR: path.join(migrations.dir, 'nope') } });
    expect(result.code).toBe(2);
    expect(summaryLine(result)).toMatchObject({ variable: 'MIGRATIONS_DIR' });
  });

  test.each(TYPO_FILES)('a syntax error in %s: exit 1 with file, line and column', async (relative, phase, file) => {
    put(relative, '-- a comment line\nCREATE TABLE typo (\n  id int,\n  name txet NOT NULL,,\n);\n');

    const result = await run();

    expect(result.code).toBe(1);
    expect(summaryLine(result)).toMatchObject({ phase, file, pgCode: '42601', line: 4 });
    expect(summaryLine(result).msg).toMatch(new RegExp(`${relative.replace('.', '\\.')}:4:\\d+ failed: syntax error`));
  });

  // PostgreSQL counts the error's position in characters: é and € are 2 and 3 bytes, and 😀 and 𝄞
  // (beyond the Basic Multilingual Plane) are 4 bytes and 2 UTF-16 code units, yet one character each.
  test.each(TYPO_FILES)(
    'a syntax error after multi-byte and astral-plane characters in %s: line and column in characters',
    async (relative, phase, file) => {
      put(relative, "-- Grüße, 20 €, 😀 and 𝄞 before the error\nSELECT 'naïve 😀' AS a;\nSELECT '€😀' AS b, FROM nowhere;\n");

      const result = await run();

      expect(result.code).toBe(1);
      // Line 3: `SELECT '€😀' AS b, ` is 18 characters, so FROM is at column 19.
      expect(summaryLine(result)).toMatchObject({ phase, file, pgCode: '42601', line: 3, column: 19 });
      expect(summaryLine(result).msg).toContain(`${relative}:3:19 failed: syntax error at or near "FROM"`);
    },
  );

  test('CRLF line endings on an applied file: exit 6, saying only the line endings changed', async () => {
    expect((await run()).code).toBe(0);
    put('versioned/2_customers_display_name.sql', 'ALTER TABLE customers ADD COLUMN IF NOT EXISTS display_name text;\r\n');

    const result = await run();

    expect(result.code).toBe(6);
    expect(summaryLine(result).msg).toMatch(/only its line endings differ from what was applied \(CRLF vs LF\)/);
    expect(await appliedVersions(db)).toHaveLength(2);
  });
});
