/**
 * Adopting from Drizzle: a journal of 24 migrations with statement breakpoints, applied as
 * drizzle-orm's migrate() applies them (all of them, or up to one), and a drizzle-kit 1.0 folder
 * layout applied as 1.0 does; imported and baselined, then `up` applies nothing (or only what
 * drizzle had not applied), the data stays and a new migration applies. A missing table, a file
 * that is not the one drizzle applied, a journal entry without its file and an entry drizzle
 * passed by are refused with nothing written.
 */
import { cpSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runMigrator, summaryLine } from '../support/cli';
import { appliedVersions, type TestDatabase } from '../support/database';
import { drizzleHash, drizzleJournal, drizzleMigrate, drizzleV1Migrate } from '../support/drizzle';
import { fixturePath, tempMigrations, type TempMigrations } from '../support/fixtures';
import { withFreshDatabase } from '../support/fresh';
import { schemaSnapshot } from '../support/schema';

const DRIZZLE = fixturePath('adopt/drizzle');
const DRIZZLE_V1 = fixturePath('adopt/drizzle-v1');
const JOURNAL = drizzleJournal(DRIZZLE);

describe('adopting from Drizzle', () => {
  let db: TestDatabase;
  let migrations: TempMigrations;
  let env: Record<string, string>;
  withFreshDatabase(undefined, (fresh) => ({ db, migrations, env } = fresh));

  const importDrizzle = (folder = DRIZZLE) => runMigrator(['import', '--from', 'drizzle', folder], { env });
  const baselineDrizzle = () => runMigrator(['baseline', '--from', 'drizzle'], { env });
  const versioned = (name = '') => path.join(migrations.dir, 'versioned', name);
  const versionedFiles = () => (existsSync(versioned()) ? readdirSync(versioned()) : []);

  /** Refused with exit 6 and this message, the database (this migrator's history included) unchanged. */
  async function expectBaselineRefused(message: RegExp): Promise<void> {
    const before = await schemaSnapshot(db);
    const result = await baselineDrizzle();
    expect(result.code).toBe(6);
    expect(summaryLine(result).msg).toMatch(message);
    expect(await schemaSnapshot(db)).toEqual(before);
    expect(await appliedVersions(db)).toEqual([]);
  }

  /** A new migration written with `new` applies, and only it. */
  async function expectNewMigrationApplies(currentVersion: number): Promise<void> {
    const created = await runMigrator(['new', 'add_users_nickname'], { env });
    expect(created.code).toBe(0);
    const file = String(summaryLine(created).file);
    writeFileSync(file, `${readFileSync(file, 'utf8')}ALTER TABLE users ADD COLUMN nickname text;\n`);
    const next = await runMigrator(['up'], { env });
    expect(next.code).toBe(0);
    expect(summaryLine(next)).toMatchObject({ versioned: 1, currentVersion: currentVersion + 1 });
  }

  test('before 1.0: import, baseline --from drizzle, then up applies nothing, the data stays and a new migration applies', async () => {
    await drizzleMigrate(db, DRIZZLE);
    await db.query("INSERT INTO users (email) VALUES ('kept@example.com')");
    await db.query("INSERT INTO posts (title, body, author_id) SELECT 'Hello', 'Hi there', id FROM users");

    const imported = await importDrizzle();
    expect(imported.code).toBe(0);
    expect(summaryLine(imported)).toMatchObject({ outcome: 'ok', imported: JOURNAL.length });
    const names = JOURNAL.map((entry, index) => `${index + 1}_${entry.tag}.sql`);
    expect(versionedFiles().filter((name) => name.endsWith('.sql'))).toEqual([...names].sort());
    expect(imported.stdout.split('\n')[1]).toBe(`versioned/2_${JOURNAL[1].tag}.sql  <-  ${JOURNAL[1].tag}.sql`);
    expect(readdirSync(versioned('down'))).toEqual([]);
    // The file as drizzle-kit wrote it, breakpoints included, after the origin line: its when.
    const source = readFileSync(path.join(DRIZZLE, `${JOURNAL[1].tag}.sql`), 'utf8');
    expect(source).toContain('--> statement-breakpoint');
    expect(readFileSync(versioned(names[1]), 'utf8')).toBe(
      `-- migrator: from drizzle ${JOURNAL[1].when} (${JOURNAL[1].tag}.sql)\n\n${source}`,
    );

    const baseline = await baselineDrizzle();
    expect(baseline.code).toBe(0);
    expect(summaryLine(baseline)).toMatchObject({ outcome: 'ok', recorded: JOURNAL.length });
    expect((await appliedVersions(db)).map((row) => row.name)).toEqual(names.map((name) => name.replace(/^\d+_|\.sql$/g, '')));

    const up = await runMigrator(['up'], { env });
    expect(up.code).toBe(0);
    expect(summaryLine(up)).toMatchObject({ versioned: 0, currentVersion: JOURNAL.length });
    expect(await db.query('SELECT u.email, p.title, p.excerpt FROM users u JOIN posts p ON p.author_id = u.id')).toEqual([
      { email: 'kept@example.com', title: 'Hello', excerpt: null },
    ]);
    await expectNewMigrationApplies(JOURNAL.length);
  });

  test('before 1.0, drizzle having applied part of the journal: baseline records that part, up applies the rest', async () => {
    const applied = 12;
    await drizzleMigrate(db, DRIZZLE, JOURNAL[applied - 1].tag);
    await db.query("INSERT INTO users (email) VALUES ('kept@example.com')");
    expect((await importDrizzle()).code).toBe(0);

    const baseline = await baselineDrizzle();
    expect(baseline.code).toBe(0);
    expect(summaryLine(baseline)).toMatchObject({ recorded: applied });

    const up = await runMigrator(['up'], { env });
    expect(up.code).toBe(0);
    expect(summaryLine(up)).toMatchObject({ versioned: JOURNAL.length - applied, currentVersion: JOURNAL.length });
    expect(await db.query('SELECT email, display_name FROM users')).toEqual([{ email: 'kept@example.com', display_name: null }]);
  });

  test('from 1.0 (a folder per migration, rows named): import, baseline --from drizzle, then up applies nothing', async () => {
    await drizzleV1Migrate(db, DRIZZLE_V1);
    await db.query("INSERT INTO users (email) VALUES ('kept@example.com')");
    const folders = readdirSync(DRIZZLE_V1).sort();

    const imported = await importDrizzle(DRIZZLE_V1);
    expect(imported.code).toBe(0);
    expect(versionedFiles().filter((name) => name.endsWith('.sql'))).toEqual(
      folders.map((folder, index) => `${index + 1}_${folder}.sql`).sort(),
    );
    expect(readFileSync(versioned(`1_${folders[0]}.sql`), 'utf8')).toBe(
      `-- migrator: from drizzle ${folders[0]} (${folders[0]}/migration.sql)\n\n${readFileSync(path.join(DRIZZLE_V1, folders[0], 'migration.sql'), 'utf8')}`,
    );

    const baseline = await baselineDrizzle();
    expect(baseline.code).toBe(0);
    expect(summaryLine(baseline)).toMatchObject({ recorded: folders.length });
    const up = await runMigrator(['up'], { env });
    expect(up.code).toBe(0);
    expect(summaryLine(up)).toMatchObject({ versioned: 0, currentVersion: folders.length });
    expect(await db.query('SELECT email FROM users')).toEqual([{ email: 'kept@example.com' }]);
    await expectNewMigrationApplies(folders.length);
  });

  test('refuses a database without drizzle.__drizzle_migrations, writing nothing', async () => {
    expect((await importDrizzle()).code).toBe(0);

    await expectBaselineRefused(
      /there is no table drizzle\.__drizzle_migrations on the search_path: this database has no Drizzle history \(is it the database Drizzle migrated/,
    );
  });

  test('refuses an imported file that is not the one drizzle applied (its sha256), writing nothing', async () => {
    await drizzleMigrate(db, DRIZZLE);
    expect((await importDrizzle()).code).toBe(0);
    const edited = versioned(`3_${JOURNAL[2].tag}.sql`);
    writeFileSync(edited, `${readFileSync(edited, 'utf8')}\nCREATE INDEX "profiles_bio_idx" ON "profiles" ("bio");\n`);
    const recorded = drizzleHash(readFileSync(path.join(DRIZZLE, `${JOURNAL[2].tag}.sql`), 'utf8'));

    await expectBaselineRefused(
      new RegExp(
        `versioned/3_${JOURNAL[2].tag}\\.sql is not the file drizzle applied as ${JOURNAL[2].when}: its text \\(after the header import wrote\\) ` +
          `does not have the sha256 drizzle\\.__drizzle_migrations records \\(${recorded}\\)\\. Import the migrations folder as it was when drizzle applied it`,
      ),
    );
  });

  test('accepts the file checked out with other line endings than drizzle hashed', async () => {
    const source = tempMigrations(DRIZZLE);
    try {
      const file = path.join(source.dir, `${JOURNAL[0].tag}.sql`);
      writeFileSync(file, readFileSync(file, 'utf8').replace(/\n/g, '\r\n'));
      await drizzleMigrate(db, source.dir);
      expect((await importDrizzle()).code).toBe(0);

      const baseline = await baselineDrizzle();

      expect(baseline.code).toBe(0);
      expect(summaryLine(baseline)).toMatchObject({ recorded: JOURNAL.length });
    } finally {
      source.remove();
    }
  });

  test('refuses an entry drizzle passed by (its when older than the newest applied, no row of its own), writing nothing', async () => {
    const source = tempMigrations(DRIZZLE);
    try {
      // Generated on a branch: drizzle applied the journal without it, then the branch was merged.
      const late = JOURNAL[20];
      const journalFile = path.join(source.dir, 'meta', '_journal.json');
      const journal = readFileSync(journalFile, 'utf8');
      writeFileSync(journalFile, JSON.stringify({ ...JSON.parse(journal), entries: JOURNAL.filter((entry) => entry !== late) }, null, 2));
      renameSync(path.join(source.dir, `${late.tag}.sql`), path.join(source.dir, '..', `${path.basename(source.dir)}-${late.tag}.sql`));
      await drizzleMigrate(db, source.dir);
      writeFileSync(journalFile, journal);
      renameSync(path.join(source.dir, '..', `${path.basename(source.dir)}-${late.tag}.sql`), path.join(source.dir, `${late.tag}.sql`));
      expect((await importDrizzle(source.dir)).code).toBe(0);

      await expectBaselineRefused(
        new RegExp(
          `versioned/21_${late.tag}\\.sql \\(drizzle when ${late.when}\\) has no row in drizzle\\.__drizzle_migrations, yet the newest row's created_at \\(${JOURNAL.at(-1)!.when}\\) is later, ` +
            'so drizzle passed it by without running it .* give its journal entry a when after the newest and import again',
        ),
      );
    } finally {
      source.remove();
    }
  });

  test('import refuses a journal entry without its file, and a file the journal does not list, writing nothing', async () => {
    const source = tempMigrations(DRIZZLE);
    try {
      rmSync(path.join(source.dir, `${JOURNAL[5].tag}.sql`));
      const missing = await importDrizzle(source.dir);
      expect(missing.code).toBe(6);
      expect(summaryLine(missing).msg).toBe(
        `meta/_journal.json lists ${JOURNAL[5].tag}, but there is no ${JOURNAL[5].tag}.sql, without which drizzle stops too: ` +
          'restore the file (from version control), or remove its entry with drizzle-kit drop',
      );
      expect(versionedFiles()).toEqual([]);

      cpSync(path.join(DRIZZLE, `${JOURNAL[5].tag}.sql`), path.join(source.dir, `${JOURNAL[5].tag}.sql`));
      writeFileSync(path.join(source.dir, '0024_hand_written.sql'), 'CREATE TABLE extra (id int);\n');
      const unlisted = await importDrizzle(source.dir);
      expect(unlisted.code).toBe(6);
      expect(summaryLine(unlisted).msg).toMatch(
        /^0024_hand_written\.sql is not in meta\/_journal\.json, so drizzle never runs it: add it with drizzle-kit generate/,
      );
      expect(versionedFiles()).toEqual([]);
    } finally {
      source.remove();
    }
  });

  test('a drizzle-kit folder copied into versioned/ is named, with the command that converts it', async () => {
    cpSync(DRIZZLE, versioned(), { recursive: true });

    const result = await runMigrator(['plan'], { env });

    expect(result.code).toBe(6);
    expect(summaryLine(result).msg).toMatch(/drizzle's layout, which this migrator does not read: .*migrator import --from drizzle/);
  });
});
