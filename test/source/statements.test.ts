/**
 * Finding the top-level statements of a file, checked against PostgreSQL's own parser
 * (libpg-query, the server's grammar compiled to WebAssembly) on the cases that fool naive splitting.
 */
import { loadModule, parseSync } from 'libpg-query';
import {
  concurrentBuildPlace,
  concurrentIndex,
  refusesTransaction,
  splitStatements,
  transactionControl,
} from '../../src/source/statements';

const TRICKY = [
  ['comments', '-- a; comment\nSELECT 1; /* a; /* nested; */ still; */ SELECT 2;\n-- trailing'],
  ['strings', "SELECT 'it''s; fine'; SELECT E'back\\'slash; still', e'x\\\\'; SELECT U&'d;0061';"],
  ['quoted identifiers', 'CREATE TABLE "a;b" ("x"";y" int); SELECT 1'],
  ['dollar quotes', "DO $$ BEGIN PERFORM 1; END $$; DO $body$ BEGIN RAISE NOTICE '$$;'; END $body$; SELECT $1::int"],
  ['dollar signs in names', 'CREATE TABLE a$b (c$ int); SELECT 1 FROM a$b;'],
  ['parentheses', 'CREATE RULE r AS ON INSERT TO t DO ALSO (NOTIFY a; NOTIFY b); SELECT 1;'],
  [
    'SQL-standard routine bodies',
    'CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN true THEN 1 END; SELECT 2; END; ' +
      'CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC INSERT INTO t VALUES (1); END; COMMIT',
  ],
  ['no final semicolon', 'SELECT 1;\n\nSELECT 2 -- the end'],
  [
    'a parameter named begin is no routine body',
    "CREATE FUNCTION f(begin int) RETURNS int LANGUAGE sql AS 'select 1'; COMMIT; INSERT INTO t VALUES (1);",
  ],
] as const;

/** Where PostgreSQL says each statement starts, moved past the whitespace and comments before it. */
function serverOffsets(sql: string): number[] {
  const { stmts } = parseSync(sql) as { stmts: Array<{ stmt_location?: number }> };
  return stmts.map(({ stmt_location: location = 0 }) => {
    const rest = /^(\s|--[^\n]*|\/\*[\s\S]*?\*\/)*/.exec(sql.slice(location))!;
    return location + rest[0].length;
  });
}

describe('splitStatements', () => {
  beforeAll(() => loadModule());

  test.each(TRICKY)('finds the statements PostgreSQL finds: %s', (_case, sql) => {
    expect(splitStatements(sql).map((statement) => statement.offset)).toEqual(serverOffsets(sql));
  });

  test('counts lines and keeps the first tokens: words upper-cased, quoted names as written', () => {
    const statements = splitStatements('-- header\nupdate t\n  set v = \'a\nb\';\n\ncommit;\nCREATE TABLE "My Table" (id int)');
    expect(statements).toEqual([
      { offset: 10, end: 35, line: 2, tokens: ['UPDATE', 'T', 'SET', 'V', '=', "''"] },
      { offset: 37, end: 44, line: 6, tokens: ['COMMIT'] },
      { offset: 45, end: 77, line: 7, tokens: ['CREATE', 'TABLE', '"My Table"', '(', 'ID', 'INT', ')'] },
    ]);
  });

  test('a file of comments and blanks has no statements', () => {
    expect(splitStatements('-- only\n/* comments */\n\n;\n')).toEqual([]);
  });
});

describe('transactionControl', () => {
  test.each([
    ['BEGIN;', 'BEGIN'],
    ['begin transaction isolation level serializable;', 'BEGIN'],
    ['START TRANSACTION;', 'START TRANSACTION'],
    ['COMMIT;', 'COMMIT'],
    ['COMMIT AND CHAIN;', 'COMMIT'],
    ['END;', 'END'],
    ['ABORT;', 'ABORT'],
    ['ROLLBACK;', 'ROLLBACK'],
    ['ROLLBACK WORK;', 'ROLLBACK'],
    ["PREPARE TRANSACTION 'x';", 'PREPARE TRANSACTION'],
    ["COMMIT PREPARED 'x';", 'COMMIT'],
  ])('%s ends or starts a transaction', (sql, control) => {
    expect(transactionControl(splitStatements(sql)[0])).toBe(control);
  });

  test.each([
    'ROLLBACK TO SAVEPOINT a;',
    'ROLLBACK TO a;',
    'ROLLBACK TRANSACTION TO SAVEPOINT a;',
    'SAVEPOINT a;',
    'RELEASE SAVEPOINT a;',
    'PREPARE q AS SELECT 1;',
    'DO $$ BEGIN COMMIT; END $$;',
    'CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;',
    'START_DATE;',
  ])('%s does not', (sql) => {
    expect(transactionControl(splitStatements(sql)[0])).toBeUndefined();
  });
});

describe('refusesTransaction and concurrentIndex', () => {
  const first = (sql: string) => splitStatements(sql)[0];

  test.each([
    ['CREATE INDEX CONCURRENTLY i ON t (c);', 'CREATE INDEX CONCURRENTLY'],
    ['create unique index concurrently if not exists i on t (c);', 'CREATE INDEX CONCURRENTLY'],
    ['DROP INDEX CONCURRENTLY IF EXISTS i;', 'DROP INDEX CONCURRENTLY'],
    ['REINDEX INDEX CONCURRENTLY i;', 'REINDEX CONCURRENTLY'],
    ['ALTER TABLE t DETACH PARTITION p CONCURRENTLY;', 'DETACH PARTITION CONCURRENTLY'],
    ['VACUUM t;', 'VACUUM'],
    ['CREATE INDEX i ON t (c);', undefined],
    ['REFRESH MATERIALIZED VIEW CONCURRENTLY v;', undefined],
    ["SELECT 'CREATE INDEX CONCURRENTLY';", undefined],
  ])('%s', (sql, refused) => {
    expect(refusesTransaction(first(sql))).toBe(refused);
  });

  test.each([
    [
      'CREATE INDEX CONCURRENTLY IF NOT EXISTS notes_account_id_idx ON notes (account_id);',
      { index: 'notes_account_id_idx', table: 'notes' },
    ],
    ['create unique index concurrently "Odd Name" on only app.Items (c);', { index: 'Odd Name', schema: 'app', table: 'items' }],
    ['CREATE INDEX CONCURRENTLY ON t (c);', undefined],
    ['CREATE INDEX i ON t (c);', undefined],
  ])('%s builds', (sql, built) => {
    expect(concurrentIndex(first(sql))).toEqual(built);
  });

  test.each([
    ['CREATE INDEX CONCURRENTLY ON notes (account_id);', { relation: { name: 'notes' } }],
    ['create unique index concurrently if not exists i on only app."Items" (c);', { relation: { schema: 'app', name: 'Items' } }],
    ['REINDEX INDEX CONCURRENTLY app.notes_pkey;', { relation: { schema: 'app', name: 'notes_pkey' } }],
    ['REINDEX (VERBOSE, CONCURRENTLY) TABLE notes;', { relation: { name: 'notes' } }],
    ['REINDEX SCHEMA CONCURRENTLY tenant_a;', { schema: 'tenant_a' }],
    ['REINDEX DATABASE CONCURRENTLY app;', 'database'],
    ['CREATE INDEX CONCURRENTLY i ON 42 (c);', 'database'],
    ['CREATE INDEX i ON notes (c);', undefined],
    ['DROP INDEX CONCURRENTLY i;', undefined],
  ])('%s builds indexes in', (sql, place) => {
    expect(concurrentBuildPlace(first(sql))).toEqual(place);
  });
});
