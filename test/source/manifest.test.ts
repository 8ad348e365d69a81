/**
 * The versioned files' manifest (src/source/manifest.ts): a start takes an applied file's hash from
 * it only while the file keeps the size and time the manifest recorded and has not changed since
 * it was written; any other file, in a mounted folder or edited later (even keeping its size and
 * time), is read and checked as without a manifest. verify never uses it.
 */
import { chmodSync, cpSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runMigrator, summaryLine } from '../support/cli';
import type { TestDatabase } from '../support/database';
import { tempMigrations, type TempMigrations } from '../support/fixtures';
import { withFreshDatabase } from '../support/fresh';

const MANIFEST = 'versioned/.versioned-manifest.json';
const APPLIED = 'versioned/2_customers_display_name.sql';
const VERSIONED_FILES = ['1_orders_customer_index.sql', '2_customers_display_name.sql'];
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
    // Before the manifest, as an image build does: a later change of mode would disqualify the entry.
    chmodSync(migrations.dir, 0o755);
    chmodSync(path.join(migrations.dir, APPLIED), 0o000);
    await writeManifest();

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

  test('an applied file edited keeping its size and time (touch -r): refused by up, check and verify', async () => {
    utimesSync(path.join(migrations.dir, APPLIED), WHOLE_SECOND, WHOLE_SECOND);
    expect((await runMigrator(['up'], { env })).code).toBe(0);
    await writeManifest();
    editKeepingSizeAndTime(path.join(migrations.dir, APPLIED));

    const results = await Promise.all([runMigrator(['up'], { env }), runMigrator(['check'], { env }), runMigrator(['verify'], { env })]);

    for (const result of results) {
      expect(result.code).toBe(6);
      expect(summaryLine(result).msg).toMatch(/versioned\/2_customers_display_name\.sql changed after it was applied/);
    }
  });

  test('verify reads every file, whatever the manifest says', async () => {
    expect((await runMigrator(['up'], { env })).code).toBe(0);
    chmodSync(migrations.dir, 0o755);
    chmodSync(path.join(migrations.dir, APPLIED), 0o000);
    await writeManifest();

    const up = await runMigrator(['up'], { env, ...asOther });
    const verify = await runMigrator(['verify'], { env, ...asOther });

    expect(up.code).toBe(0);
    expect(verify.code).toBe(6);
    expect(summaryLine(verify).msg).toMatch(/cannot read versioned\/2_customers_display_name\.sql/);
  });

  test.each<[string, (versioned: string, mounted: string) => void]>([
    [
      'a folder mounted over versioned/ (the image keeps its manifest)',
      (versioned, mounted) => {
        rmSync(versioned, { recursive: true });
        cpSync(mounted, versioned, { recursive: true, preserveTimestamps: true });
      },
    ],
    [
      'files copied over those of versioned/, keeping their times',
      (versioned, mounted) => cpSync(mounted, versioned, { recursive: true, preserveTimestamps: true, force: true }),
    ],
  ])('%s: the manifest does not speak for them, they are read', async (_case, replace) => {
    const versioned = path.join(migrations.dir, 'versioned');
    // Same names, sizes and times as the files the manifest describes, but other files.
    const mounted = tempMigrations('basic');
    try {
      for (const file of VERSIONED_FILES) {
        utimesSync(path.join(versioned, file), WHOLE_SECOND, WHOLE_SECOND);
        utimesSync(path.join(mounted.dir, 'versioned', file), WHOLE_SECOND, WHOLE_SECOND);
      }
      expect((await runMigrator(['up'], { env })).code).toBe(0);
      await writeManifest();
      chmodSync(path.join(mounted.dir, APPLIED), 0o000);
      replace(versioned, path.join(mounted.dir, 'versioned'));
      chmodSync(migrations.dir, 0o755);

      const result = await runMigrator(['up'], { env, ...asOther });

      // Read, not taken from the manifest: the unreadable file stops the run.
      expect(result.code).toBe(6);
      expect(summaryLine(result).msg).toMatch(/cannot read versioned\/2_customers_display_name\.sql/);
    } finally {
      mounted.remove();
    }
  });

  test('a pending file edited after the manifest keeping its size and time is read, and applied as it is now', async () => {
    utimesSync(path.join(migrations.dir, APPLIED), WHOLE_SECOND, WHOLE_SECOND);
    await writeManifest();
    editKeepingSizeAndTime(path.join(migrations.dir, APPLIED));

    const up = await runMigrator(['up'], { env });
    const verify = await runMigrator(['verify'], { env });

    expect(up.code).toBe(0);
    expect(verify.code).toBe(0);
    expect(
      await db.query(`SELECT 1 FROM information_schema.columns WHERE table_name = 'customers' AND column_name = 'display_nane'`),
    ).toHaveLength(1);
  });

  test('a manifest that cannot be used is ignored', async () => {
    writeFileSync(path.join(migrations.dir, MANIFEST), '{"format": 1, "files": {"2_customers_display_name.sql": "nonsense"}');

    const result = await runMigrator(['up'], { env });

    expect(result.code).toBe(0);
    expect(summaryLine(result)).toMatchObject({ outcome: 'applied', currentVersion: 2 });
  });
});
