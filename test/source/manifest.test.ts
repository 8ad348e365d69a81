/**
 * The versioned files' manifest (src/source/manifest.ts): a start takes an applied file's hash from
 * it only while the file keeps the size and time the manifest recorded; any other file, in a
 * mounted folder or edited later, is read and checked as without a manifest.
 */
import { chmodSync, cpSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runMigrator, summaryLine } from '../support/cli';
import { appliedVersions, type TestDatabase } from '../support/database';
import { tempMigrations, type TempMigrations } from '../support/fixtures';
import { withFreshDatabase } from '../support/fresh';

const MANIFEST = '.versioned-manifest.json';
const APPLIED = 'versioned/2_customers_display_name.sql';
// Root reads every file whatever its mode: the unreadable-file check runs as another user then.
const asOther = process.getuid?.() === 0 ? { uid: 65534 } : {};

/** A time that survives being set again exactly (a Date holds whole milliseconds, a file's time finer ones). */
const WHOLE_SECOND = new Date('2026-01-02T03:04:05Z');

/** Replaces a file's text with other bytes of the same length, keeping its modification time. */
function editKeepingSizeAndTime(file: string): void {
  const before = statSync(file);
  writeFileSync(file, readFileSync(file, 'utf8').replace('display_name', 'display_nane'));
  utimesSync(file, before.atime, before.mtime);
  expect(statSync(file)).toMatchObject({ size: before.size, mtimeMs: before.mtimeMs });
}

describe('the versioned manifest', () => {
  let db: TestDatabase;
  let migrations: TempMigrations;
  let env: Record<string, string>;
  withFreshDatabase('basic', (fresh) => ({ db, migrations, env } = fresh));

  const writeManifest = async () => {
    const result = await runMigrator(['manifest'], { env: { MIGRATIONS_DIR: migrations.dir } });
    expect(result.code).toBe(0);
    expect(summaryLine(result)).toMatchObject({ outcome: 'ok', files: 2 });
  };

  test('while current, a no-op takes the applied files from it and reads none of them', async () => {
    expect((await runMigrator(['up'], { env })).code).toBe(0);
    await writeManifest();
    chmodSync(migrations.dir, 0o755);
    chmodSync(path.join(migrations.dir, APPLIED), 0o000);

    const withManifest = await runMigrator(['up'], { env, ...asOther });
    rmSync(path.join(migrations.dir, MANIFEST));
    const without = await runMigrator(['up'], { env, ...asOther });

    expect(withManifest.code).toBe(0);
    expect(summaryLine(withManifest)).toMatchObject({ outcome: 'up-to-date', currentVersion: 2 });
    expect(without.code).toBe(6);
    expect(summaryLine(without).msg).toMatch(/cannot read versioned\/2_customers_display_name\.sql/);
  });

  test('an applied file edited after it was written is still refused, by up and by check', async () => {
    expect((await runMigrator(['up'], { env })).code).toBe(0);
    await writeManifest();
    migrations.write(APPLIED, 'ALTER TABLE customers ADD COLUMN IF NOT EXISTS display_name varchar(80);\n');

    const up = await runMigrator(['up'], { env });
    const check = await runMigrator(['check'], { env });

    expect([up.code, check.code]).toEqual([6, 6]);
    expect(summaryLine(up).msg).toMatch(/versioned\/2_customers_display_name\.sql changed after it was applied/);
    expect(summaryLine(check).msg).toMatch(/versioned\/2_customers_display_name\.sql changed after it was applied/);
  });

  test('a folder mounted over the one it describes: its files are read, and an edited one is refused', async () => {
    expect((await runMigrator(['up'], { env })).code).toBe(0);
    await writeManifest();
    // The image's manifest stays beside a versioned/ mounted from elsewhere: same names, new files.
    const mounted = tempMigrations('basic');
    try {
      rmSync(path.join(migrations.dir, 'versioned'), { recursive: true });
      cpSync(path.join(mounted.dir, 'versioned'), path.join(migrations.dir, 'versioned'), { recursive: true });
      const unchanged = await runMigrator(['up'], { env });
      migrations.write(APPLIED, readFileSync(path.join(mounted.dir, APPLIED), 'utf8').replace('text;', 'varchar(90);'));
      const edited = await runMigrator(['up'], { env });

      expect(summaryLine(unchanged)).toMatchObject({ outcome: 'up-to-date', currentVersion: 2 });
      expect(edited.code).toBe(6);
      expect(summaryLine(edited).msg).toMatch(/versioned\/2_customers_display_name\.sql changed after it was applied/);
    } finally {
      mounted.remove();
    }
  });

  test('a pending file edited keeping its size and time is refused before anything is applied', async () => {
    utimesSync(path.join(migrations.dir, APPLIED), WHOLE_SECOND, WHOLE_SECOND);
    await writeManifest();
    editKeepingSizeAndTime(path.join(migrations.dir, APPLIED));

    const result = await runMigrator(['up'], { env });

    expect(result.code).toBe(6);
    expect(summaryLine(result).msg).toMatch(
      /versioned\/2_customers_display_name\.sql changed after \.versioned-manifest\.json was written/,
    );
    expect(await appliedVersions(db)).toEqual([]);
  });

  test('a manifest that cannot be used is ignored', async () => {
    writeFileSync(path.join(migrations.dir, MANIFEST), '{"format": 1, "files": {"2_customers_display_name.sql": "nonsense"}');

    const result = await runMigrator(['up'], { env });

    expect(result.code).toBe(0);
    expect(summaryLine(result)).toMatchObject({ outcome: 'applied', currentVersion: 2 });
  });
});
