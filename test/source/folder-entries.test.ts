/**
 * What a phase folder may hold (src/source/folder-entries.ts): an entry that is not a migration is
 * refused by name, never skipped in silence; a migration-named entry that is not a regular file is
 * refused without being opened; a link is followed only while it stays inside the migrations
 * folder, as Kubernetes' ConfigMap mounts do; notes for people, hidden files and versioned/down/ are
 * left alone.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runMigrator, startMigrator, summaryLine, type CliResult } from '../support/cli';
import { appliedVersions, tableNames, type TestDatabase } from '../support/database';
import type { TempMigrations } from '../support/fixtures';
import { withFreshDatabase } from '../support/fresh';

/** A hang guard: a run that blocks on a file would otherwise hold the test until jest's own timeout. */
const HANG_GUARD_MS = 30_000;

describe('what a phase folder holds', () => {
  let db: TestDatabase;
  let migrations: TempMigrations;
  let env: Record<string, string>;
  withFreshDatabase('basic', (fresh) => ({ db, migrations, env } = fresh));

  const at = (relative: string) => path.join(migrations.dir, relative);
  const put = (relative: string, content = 'SELECT 1;\n') => migrations.write(relative, content);

  /** Runs a command, killed (and failed) if it has not ended within the hang guard. */
  async function runGuarded(args: string[]): Promise<CliResult> {
    const run = startMigrator(args, { env });
    const guard = setTimeout(() => run.child.kill('SIGKILL'), HANG_GUARD_MS);
    const result = await run.done;
    clearTimeout(guard);
    expect(result.signal).toBeNull();
    return result;
  }

  test.each<[string, () => void, RegExp]>([
    [
      'a versioned file with a mistyped extension',
      () => put('versioned/3_x.sqll'),
      /^versioned\/3_x\.sqll is not a migration: a versioned migration is a file directly in versioned\/ named <id>_<name>\.sql \(or \.js\), like 7_add_orders_index\.sql/,
    ],
    ['notes in versioned/', () => put('versioned/notes.txt', 'remember to vacuum'), /^versioned\/notes\.txt is not a migration: /],
    [
      'a subfolder of tables/',
      () => put('tables/billing/040_invoices.sql', 'CREATE TABLE invoices (id int);'),
      /^tables\/billing\/ is not a migration: a table file is a \.sql file directly in tables\/, like 010_users\.sql \(subfolders are not read\)/,
    ],
    [
      'a subfolder of legacy/',
      () => put('legacy/2024/002_fix.sql', 'SELECT 1;'),
      /^legacy\/2024\/ is not a migration: a legacy script is a \.sql file directly in legacy\//,
    ],
    [
      'several at once, each named',
      () => {
        put('versioned/3_x.sql.bak');
        put('versioned/schema.dump');
      },
      /^versioned\/3_x\.sql\.bak, versioned\/schema\.dump are not migrations: /,
    ],
    [
      'a directory with a migration name',
      () => mkdirSync(at('versioned/3_folder.sql')),
      /^versioned\/3_folder\.sql is a directory, not a regular file, so it was not opened/,
    ],
    [
      'a link that leaves the migrations folder',
      () => symlinkSync('/etc/passwd', at('versioned/3_x.sql')),
      /^versioned\/3_x\.sql is a symbolic link to \/etc\/passwd, outside the migrations folder: it was not read/,
    ],
    [
      'a link into a folder beside the migrations folder',
      () => {
        writeFileSync(`${migrations.dir}-outside.sql`, 'SELECT 1;');
        symlinkSync(`${migrations.dir}-outside.sql`, at('tables/040_outside.sql'));
      },
      /^tables\/040_outside\.sql is a symbolic link to .*-outside\.sql, outside the migrations folder/,
    ],
    [
      'a link that leads nowhere',
      () => symlinkSync('/no/such/file.sql', at('legacy/009_gone.sql')),
      /^legacy\/009_gone\.sql is a symbolic link that leads nowhere \(ENOENT\)/,
    ],
  ])('%s: exit 6 naming it, the database untouched', async (_case, breakIt, message) => {
    breakIt();
    try {
      const result = await runMigrator(['up'], { env });

      expect(result.code).toBe(6);
      expect(summaryLine(result).msg).toMatch(message);
      expect(await tableNames(db)).toEqual([]);
    } finally {
      rmSync(`${migrations.dir}-outside.sql`, { force: true });
    }
  });

  test('a FIFO named as a migration is refused without being opened (no writer ever comes): exit 6 at once', async () => {
    execFileSync('mkfifo', [at('versioned/3_x.sql')]);

    const up = await runGuarded(['up']);
    const plan = await runGuarded(['plan', '--sql']);

    for (const result of [up, plan]) {
      expect(result.code).toBe(6);
      expect(summaryLine(result).msg).toMatch(/^versioned\/3_x\.sql is a FIFO \(named pipe\), not a regular file, so it was not opened/);
    }
    expect(await tableNames(db)).toEqual([]);
  });

  test('plan --sql never prints a file a link outside the folder leads to', async () => {
    symlinkSync('/etc/passwd', at('versioned/3_x.sql'));

    const plan = await runMigrator(['plan', '--sql'], { env });

    expect(plan.code).toBe(6);
    expect(plan.stdout).not.toContain('root:');
    expect(plan.stderr).not.toContain('root:');
  });

  test('README.md is left alone with a warning; hidden files and versioned/down/ are part of the layout', async () => {
    put('versioned/README.md', '# Migrations\n');
    put('tables/README', 'one file per table\n');
    put('tables/.gitkeep', '');
    put('legacy/.DS_Store', '\0');
    put('versioned/.1_x.sql.swp', '\0');
    // The fixture holds versioned/down/ already: the rollback scripts.

    const result = await runMigrator(['up'], { env });

    expect(result.code).toBe(0);
    expect((await appliedVersions(db)).map(({ id }) => id)).toEqual([1, 2]);
    const warnings = result.lines.filter((line) => line.level === 'warn' && line.file !== undefined);
    expect(warnings.map((line) => line.msg)).toEqual([
      'tables/README is not a migration: left alone',
      'versioned/README.md is not a migration: left alone',
    ]);
  });

  test('a ConfigMap mounted at versioned/ (links into ..data/, as kubelet writes them) is read through its links', async () => {
    // kubelet: the files in a timestamped folder, ..data linking to it, and a link per file to ..data/<file>.
    const stamp = '..2026_01_02_03_04_05.123456789';
    mkdirSync(at(`versioned/${stamp}`));
    for (const file of ['1_orders_customer_index.sql', '2_customers_display_name.sql']) {
      renameSync(at(`versioned/${file}`), at(`versioned/${stamp}/${file}`));
      symlinkSync(`..data/${file}`, at(`versioned/${file}`));
    }
    symlinkSync(stamp, at('versioned/..data'));
    rmSync(at('versioned/down'), { recursive: true });

    const result = await runMigrator(['up'], { env });

    expect(result.code).toBe(0);
    expect((await appliedVersions(db)).map(({ id }) => id)).toEqual([1, 2]);
    expect(await tableNames(db)).toEqual(expect.arrayContaining(['customers', 'orders']));
  });

  test('a ConfigMap mounted as the whole migrations folder (each phase folder a link into ..data/) is read through its links', async () => {
    const stamp = '..2026_01_02_03_04_05.123456789';
    mkdirSync(at(stamp));
    for (const folder of ['legacy', 'tables', 'versioned']) {
      renameSync(at(folder), at(`${stamp}/${folder}`));
      symlinkSync(`..data/${folder}`, at(folder));
    }
    symlinkSync(stamp, at('..data'));

    const result = await runMigrator(['up'], { env });

    expect(result.code).toBe(0);
    expect((await appliedVersions(db)).map(({ id }) => id)).toEqual([1, 2]);
  });
});
