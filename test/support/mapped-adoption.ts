/**
 * The suite every tool whose migrations are code (Knex, TypeORM, Kysely) passes: its history, as
 * the tool writes it, mapped to hand-written versioned files by a mapping file or --up-to, then
 * `up` applies nothing, the data stays and a new migration applies; every refusal writes nothing.
 * Behaviour specified once, run for each tool (test/adopt/<tool>.test.ts).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { runMigrator, summaryLine, type CliResult } from './cli';
import { APP, realisticHistory, type CodeTool } from './code-tools';
import { appliedVersions, type TestDatabase } from './database';
import type { TempMigrations } from './fixtures';
import { withFreshDatabase } from './fresh';
import { catalogFingerprintOf } from './schema';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/log';
import { createMigrator } from '../../src/create-migrator';
import type { BaselineFromOptions } from '../../src/commands/baseline';

/** APP's migrations 2 and 3 share versioned file 3 (squashed by hand): 29 files for 30 migrations. */
export const fileIdOf = (at: number) => (at < 3 ? at + 1 : at);
export const FILE_COUNT = fileIdOf(APP.length - 1);
export const fileNameOf = (at: number) => `${fileIdOf(at)}_${APP[at === 3 ? 2 : at].slug}.sql`;

export interface MappedSuiteOptions {
  /** What the user does to the tool's tables before baseline (TypeORM's rename). */
  prepare?(db: TestDatabase): Promise<void>;
}

export interface MappedFixture {
  db: TestDatabase;
  migrations: TempMigrations;
  env: Record<string, string>;
  /** Writes the versioned files of all of APP. */
  writeFiles(): void;
  /** Writes a mapping file of these APP migrations (default all) and returns its path; target: the file for a line. */
  writeMapping(lines?: Array<[name: string, target: string]>): string;
  mappingLines(): Array<[name: string, target: string]>;
  baseline(...args: string[]): Promise<CliResult>;
  /** Calls the library's baselineFrom (quicker than the CLI); expects it to reject with this message, the database unchanged. */
  expectRefused(options: BaselineFromOptions, message: RegExp): Promise<void>;
}

/** Registers a fresh database per test and returns the fixture helpers for it. */
export function mappedFixture(tool: CodeTool): MappedFixture {
  const fixture = {} as MappedFixture;
  withFreshDatabase(undefined, (fresh) => Object.assign(fixture, fresh));
  const theirRows = async (db: TestDatabase) =>
    (await db.query<{ present: boolean }>(`SELECT to_regclass('${tool.table}') IS NOT NULL AS present`))[0].present
      ? await db.query(`SELECT * FROM ${tool.table} ORDER BY 1`)
      : [];
  Object.assign(fixture, {
    writeFiles() {
      for (const [at, migration] of APP.entries()) {
        if (at === 3) continue;
        const sql = at === 2 ? `${migration.up};\n${APP[3].up};\n` : `${migration.up};\n`;
        fixture.migrations.write(`versioned/${fileNameOf(at)}`, sql);
      }
    },
    mappingLines: () => APP.map((_, at): [string, string] => [tool.nameOf(at), at % 2 === 0 ? fileNameOf(at) : String(fileIdOf(at))]),
    writeMapping(lines = fixture.mappingLines()) {
      const file = path.join(fixture.migrations.dir, 'mapping.txt');
      writeFileSync(
        file,
        `# ${tool.table} name, then the versioned file (or id) that holds it\n${lines.map((line) => line.join(' ')).join('\n')}\n`,
      );
      return file;
    },
    baseline: (...args: string[]) => runMigrator(['baseline', '--from', tool.name, ...args], { env: fixture.env }),
    async expectRefused(options: BaselineFromOptions, message: RegExp) {
      const before = { catalog: await catalogFingerprintOf(fixture.db), rows: await theirRows(fixture.db) };
      const config = loadConfig({ DATABASE_URL: fixture.db.url, MIGRATIONS_DIR: fixture.migrations.dir });
      const logger = createLogger({ level: 'fatal', write: () => undefined });
      const refusal = await createMigrator(config, { logger })
        .baselineFrom(tool.name, options)
        .then(
          () => new Error('baseline succeeded'),
          (error: Error) => error,
        );
      expect(refusal.message).toMatch(message);
      expect({ catalog: await catalogFingerprintOf(fixture.db), rows: await theirRows(fixture.db) }).toEqual(before);
    },
  });
  return fixture;
}

export function describeMappedAdoption(tool: CodeTool, options: MappedSuiteOptions = {}): void {
  describe(`adopting from ${tool.name} (shared suite)`, () => {
    const fixture = mappedFixture(tool);
    const prepared = async () => options.prepare?.(fixture.db);
    const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, at) => from + at);

    /** up applies what is pending (count), the data stays, and a new migration applies after it. */
    async function expectAdopted(pending: number): Promise<void> {
      const up = await runMigrator(['up'], { env: fixture.env });
      expect(up.code).toBe(0);
      expect(summaryLine(up)).toMatchObject({ versioned: pending, currentVersion: FILE_COUNT });
      expect(await fixture.db.query('SELECT email FROM users')).toEqual([{ email: 'kept@example.com' }]);
      fixture.migrations.write(`versioned/${FILE_COUNT + 1}_add_users_name.sql`, 'ALTER TABLE users ADD COLUMN name text;\n');
      const next = await runMigrator(['up'], { env: fixture.env });
      expect(next.code).toBe(0);
      expect(summaryLine(next)).toMatchObject({ versioned: 1, currentVersion: FILE_COUNT + 1 });
    }

    test('--mapping records the files of every migration it applied, its table untouched; up applies nothing, a new migration applies', async () => {
      await realisticHistory(fixture.db, tool);
      await prepared();
      await fixture.db.query("INSERT INTO users (email) VALUES ('kept@example.com')");
      fixture.writeFiles();
      const mapping = fixture.writeMapping();
      const theirs = await fixture.db.query(`SELECT * FROM ${tool.table} ORDER BY 1`);

      const result = await fixture.baseline('--mapping', mapping);

      expect(result.code).toBe(0);
      expect(summaryLine(result)).toMatchObject({ outcome: 'ok', recorded: FILE_COUNT });
      expect((await appliedVersions(fixture.db)).map((row) => row.id)).toEqual(range(1, FILE_COUNT));
      expect(await fixture.db.query(`SELECT * FROM ${tool.table} ORDER BY 1`)).toEqual(theirs);
      const again = await fixture.baseline('--mapping', mapping);
      expect(summaryLine(again)).toMatchObject({ outcome: 'up-to-date', recorded: 0 });
      await expectAdopted(0);
    });

    test('one mapping for every environment: where the tool applied only some, those are recorded and up applies the rest', async () => {
      await tool.create(fixture.db);
      await tool.apply(fixture.db, range(0, 9));
      await tool.apply(fixture.db, range(10, 19));
      await prepared();
      await fixture.db.query("INSERT INTO users (email) VALUES ('kept@example.com')");
      fixture.writeFiles();

      const result = await fixture.baseline('--mapping', fixture.writeMapping());

      expect(summaryLine(result)).toMatchObject({ outcome: 'ok', recorded: fileIdOf(19) });
      await expectAdopted(FILE_COUNT - fileIdOf(19));
    });

    test('--up-to N records files 1..N', async () => {
      await tool.create(fixture.db);
      await tool.apply(fixture.db, range(0, 14));
      await prepared();
      await fixture.db.query("INSERT INTO users (email) VALUES ('kept@example.com')");
      fixture.writeFiles();

      const result = await fixture.baseline('--up-to', String(fileIdOf(14)));

      expect(summaryLine(result)).toMatchObject({ outcome: 'ok', recorded: fileIdOf(14) });
      await expectAdopted(FILE_COUNT - fileIdOf(14));
    });

    describe('refusals write nothing', () => {
      const withLines = (edit: (lines: Array<[string, string]>) => void) => {
        const lines = fixture.mappingLines();
        edit(lines);
        return fixture.writeMapping(lines);
      };

      test('a database without its table, or whose table records nothing; --up-to beyond the files; neither or both options (exit 2)', async () => {
        fixture.writeFiles();
        await fixture.expectRefused(
          { mapping: fixture.writeMapping() },
          new RegExp(`there is no table ${tool.table} on the search_path: this database has no .* history`),
        );
        await tool.create(fixture.db);
        await prepared();
        await fixture.expectRefused({ upTo: 3 }, new RegExp(`${tool.table} records no migration as applied: there is nothing to baseline`));
        await fixture.expectRefused({ upTo: 30 }, /--up-to needs a versioned migration id from 1 to 29 \(got 30\)/);
        const result = await fixture.baseline();
        expect({ code: result.code, msg: summaryLine(result).msg }).toEqual({
          code: 2,
          msg: expect.stringMatching(new RegExp(`^baseline --from ${tool.name} needs --mapping FILE .* or --up-to N`)),
        });
        await fixture.expectRefused({ upTo: 3, mapping: fixture.writeMapping() }, /one of the two/);
      });

      test('a mapping that leaves out, repeats, misplaces or misnames a migration or a file', async () => {
        await realisticHistory(fixture.db, tool);
        await prepared();
        fixture.writeFiles();
        const refusals: Array<[(lines: Array<[string, string]>) => void, RegExp]> = [
          [
            (lines) => lines.splice(7, 1),
            new RegExp(
              `records ${tool.name} migration ${escaped(tool.nameOf(7))} as applied, but .*mapping\\.txt has no line for it: add the line`,
            ),
          ],
          [
            (lines) => (lines[29][1] = '99_gone.sql'),
            /line 31 maps .* to 99_gone\.sql, but versioned\/ has no file of that name or id \(its ids run 1 to 29\)/,
          ],
          [(lines) => ([lines[5][1], lines[6][1]] = [lines[6][1], lines[5][1]]), /list the lines in the order of the versioned files/],
          [(lines) => lines.splice(9, 0, lines[8]), new RegExp(`maps ${escaped(tool.nameOf(8))} twice, on lines 10 and 11: keep one`)],
          [
            (lines) => (lines[4][1] = fileNameOf(5)),
            new RegExp(`versioned/${fileNameOf(4)} is not after .* but no line of .* maps a ${tool.name} migration to it`),
          ],
          [
            (lines) => lines.splice(2, 0, ['', 'lonely']),
            /line 4 \("lonely"\) is not "<their migration name> <versioned file name or id>"/,
          ],
        ];
        for (const [edit, message] of refusals) await fixture.expectRefused({ mapping: withLines(edit) }, message);
      });

      test('a migration the tool has not applied, mapped before the last one it applied', async () => {
        // A branch merged late: its migration sorts before others the tool already applied.
        await tool.create(fixture.db);
        await tool.apply(fixture.db, range(0, 9));
        await tool.apply(fixture.db, range(11, 19));
        await prepared();
        fixture.writeFiles();
        await fixture.expectRefused(
          { mapping: fixture.writeMapping() },
          new RegExp(
            `line 12 maps ${escaped(tool.nameOf(10))} to versioned/${fileNameOf(10)}, which is not after .* does not record ${escaped(tool.nameOf(10))} as applied: apply it with ${tool.name} first`,
          ),
        );
      });
    });
  });
}

export const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
