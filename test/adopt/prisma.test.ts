/**
 * Adopting from Prisma Migrate: a history of 27 migrations (a slug used at two timestamps,
 * a run that failed, was resolved as rolled back and applied again) deployed as Prisma deploys it,
 * imported and baselined; then `up` applies nothing, the data stays and a new migration applies.
 * A failed run not resolved, and a file that is not the script Prisma applied, are refused with
 * nothing written.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runMigrator, summaryLine } from '../support/cli';
import { appliedVersions, type TestDatabase } from '../support/database';
import { fixturePath, tempMigrations, type TempMigrations } from '../support/fixtures';
import { withFreshDatabase } from '../support/fresh';
import { prismaChecksum, prismaFolders, prismaMigrateDeploy, prismaResolveRolledBack } from '../support/prisma';
import { schemaSnapshot } from '../support/schema';

const PRISMA = fixturePath('adopt/prisma');
const FOLDERS = prismaFolders(PRISMA);
/** Fails while a post has no slug: deployed, failed, resolved as rolled back and deployed again. */
const REQUIRE_SLUG = '20230615111500_require_post_slug';

describe('adopting from Prisma', () => {
  let db: TestDatabase;
  let migrations: TempMigrations;
  let env: Record<string, string>;
  withFreshDatabase(undefined, (fresh) => ({ db, migrations, env } = fresh));

  const importPrisma = (folder = PRISMA) => runMigrator(['import', '--from', 'prisma', folder], { env });
  const baselinePrisma = () => runMigrator(['baseline', '--from', 'prisma'], { env });
  const versionedFiles = () =>
    existsSync(path.join(migrations.dir, 'versioned')) ? readdirSync(path.join(migrations.dir, 'versioned')) : [];

  /** Deploys up to the migration that fails on a post without a slug, and lets it fail. */
  async function deployUntilTheFailure(): Promise<void> {
    await prismaMigrateDeploy(db, PRISMA, '20230601090000_rename_content_to_body');
    await db.query("INSERT INTO users (email) VALUES ('kept@example.com')");
    await db.query("INSERT INTO posts (title, author_id) SELECT 'Hello', id FROM users");
    expect(await prismaMigrateDeploy(db, PRISMA)).toBe(REQUIRE_SLUG);
  }

  /** Refused with exit 6 and this message, the database (this migrator's history included) unchanged. */
  async function expectBaselineRefused(message: RegExp): Promise<void> {
    const before = await schemaSnapshot(db);
    const result = await baselinePrisma();
    expect(result.code).toBe(6);
    expect(summaryLine(result).msg).toMatch(message);
    expect(await schemaSnapshot(db)).toEqual(before);
    expect(await appliedVersions(db)).toEqual([]);
  }

  test('import, baseline --from prisma, then up applies nothing, the data stays and a new migration applies', async () => {
    await deployUntilTheFailure();
    await expect(prismaMigrateDeploy(db, PRISMA)).rejects.toThrow(/P3009/);
    await db.query("UPDATE posts SET slug = 'hello'");
    await prismaResolveRolledBack(db, REQUIRE_SLUG);
    expect(await prismaMigrateDeploy(db, PRISMA)).toBeUndefined();
    expect(await db.query('SELECT count(*)::int AS runs FROM _prisma_migrations WHERE migration_name = $1', [REQUIRE_SLUG])).toEqual([
      { runs: 2 },
    ]);

    const imported = await importPrisma();
    expect(imported.code).toBe(0);
    expect(summaryLine(imported)).toMatchObject({ outcome: 'ok', imported: FOLDERS.length });
    const names = FOLDERS.map((folder, index) => `${index + 1}_${folder}.sql`);
    expect(
      versionedFiles()
        .filter((name) => name.endsWith('.sql'))
        .sort(),
    ).toEqual([...names].sort());
    // The slug add_index at two timestamps: two files, each keeping its timestamp.
    expect(names.filter((name) => name.endsWith('_add_index.sql'))).toEqual([
      '6_20230203093000_add_index.sql',
      '11_20230405083000_add_index.sql',
    ]);
    expect(readdirSync(path.join(migrations.dir, 'versioned', 'down'))).toEqual([]);
    expect(readFileSync(path.join(migrations.dir, 'versioned', names[0]), 'utf8')).toBe(
      '-- migrator: from prisma 20230105093012_init (20230105093012_init/migration.sql)\n\n' +
        readFileSync(path.join(PRISMA, FOLDERS[0], 'migration.sql'), 'utf8'),
    );
    // A lone CREATE INDEX CONCURRENTLY, which Prisma runs outside a transaction: so does the file.
    const concurrently = FOLDERS.indexOf('20231120090000_index_posts_published');
    expect(readFileSync(path.join(migrations.dir, 'versioned', names[concurrently]), 'utf8')).toBe(
      '-- migrator: from prisma 20231120090000_index_posts_published (20231120090000_index_posts_published/migration.sql)\n' +
        '-- postgres-migrations disable-transaction\n\n' +
        readFileSync(path.join(PRISMA, FOLDERS[concurrently], 'migration.sql'), 'utf8'),
    );

    const baseline = await baselinePrisma();
    expect(baseline.code).toBe(0);
    expect(summaryLine(baseline)).toMatchObject({ outcome: 'ok', recorded: FOLDERS.length });
    expect((await appliedVersions(db)).map((row) => row.name)).toEqual(names.map((name) => name.replace(/^\d+_|\.sql$/g, '')));

    const up = await runMigrator(['up'], { env });
    expect(up.code).toBe(0);
    expect(summaryLine(up)).toMatchObject({ versioned: 0, currentVersion: FOLDERS.length });
    expect(await db.query('SELECT u.email, p.slug FROM users u JOIN posts p ON p.author_id = u.id')).toEqual([
      { email: 'kept@example.com', slug: 'hello' },
    ]);

    const created = await runMigrator(['new', 'add_users_name'], { env });
    expect(created.code).toBe(0);
    const file = String(summaryLine(created).file);
    writeFileSync(file, `${readFileSync(file, 'utf8')}ALTER TABLE users ADD COLUMN name text;\n`);
    const next = await runMigrator(['up'], { env });
    expect(next.code).toBe(0);
    expect(summaryLine(next)).toMatchObject({ versioned: 1, currentVersion: FOLDERS.length + 1 });
    expect(await db.query('SELECT email, name FROM users')).toEqual([{ email: 'kept@example.com', name: null }]);
  });

  test('refuses a failed run not resolved (Prisma stops there too, P3009), writing nothing', async () => {
    await deployUntilTheFailure();
    expect((await importPrisma()).code).toBe(0);

    await expectBaselineRefused(
      new RegExp(
        `Prisma's run of ${REQUIRE_SLUG} \\(started .*\\) failed: its row in _prisma_migrations has neither finished_at nor rolled_back_at ` +
          `\\(logs: Database error:\\), and Prisma itself applies nothing more until it is resolved \\(P3009\\)\\. ` +
          `Repair the database by hand, record the outcome with prisma migrate resolve --applied ${REQUIRE_SLUG} .* or --rolled-back ${REQUIRE_SLUG}`,
      ),
    );
  });

  test('a failed run followed by a successful one of the same migration counts as applied', async () => {
    await deployUntilTheFailure();
    // The run that failed stays as it was; a later run of the same script finished.
    await db.query("UPDATE posts SET slug = 'hello'");
    await db.query(readFileSync(path.join(PRISMA, REQUIRE_SLUG, 'migration.sql'), 'utf8'));
    await db.query(
      `INSERT INTO _prisma_migrations (id, checksum, started_at, finished_at, migration_name, applied_steps_count)
       SELECT gen_random_uuid()::text, checksum, now(), now(), migration_name, 1 FROM _prisma_migrations WHERE migration_name = $1`,
      [REQUIRE_SLUG],
    );
    expect((await importPrisma()).code).toBe(0);

    const baseline = await baselinePrisma();

    expect(baseline.code).toBe(0);
    expect(summaryLine(baseline)).toMatchObject({ recorded: FOLDERS.indexOf(REQUIRE_SLUG) + 1 });
  });

  test('refuses an imported file whose script is not the one Prisma applied, writing nothing', async () => {
    await prismaMigrateDeploy(db, PRISMA);
    expect((await importPrisma()).code).toBe(0);
    const edited = path.join(migrations.dir, 'versioned', `3_${FOLDERS[2]}.sql`);
    writeFileSync(edited, `${readFileSync(edited, 'utf8')}CREATE INDEX "profiles_bio_idx" ON "profiles"("bio");\n`);
    const recorded = prismaChecksum(readFileSync(path.join(PRISMA, FOLDERS[2], 'migration.sql'), 'utf8'));

    await expectBaselineRefused(
      new RegExp(
        `versioned/3_${FOLDERS[2]}\\.sql is not the script Prisma applied as ${FOLDERS[2]}: its text \\(after the header import wrote\\) ` +
          `does not have the checksum _prisma_migrations records \\(${recorded}\\)\\. Import the migration folder as it was when Prisma applied it`,
      ),
    );
  });

  test('refuses an imported file whose header no longer reads as import wrote it: its script cannot be told apart', async () => {
    await prismaMigrateDeploy(db, PRISMA);
    expect((await importPrisma()).code).toBe(0);
    const edited = path.join(migrations.dir, 'versioned', `1_${FOLDERS[0]}.sql`);
    writeFileSync(edited, readFileSync(edited, 'utf8').replace('\n\n', '\n-- the first table\n\n'));

    await expectBaselineRefused(
      new RegExp(
        `versioned/1_${FOLDERS[0]}\\.sql no longer starts as import wrote it \\(the line -- migrator: from prisma ${FOLDERS[0]}, then a blank line\\), ` +
          'so its script cannot be checked against the checksum _prisma_migrations records: put its header back as import wrote it',
      ),
    );
  });

  test('accepts the checksum of the script with other line endings, and of the older engines that did not zero-pad', async () => {
    await prismaMigrateDeploy(db, PRISMA);
    // Prisma applied it from a Windows checkout (CRLF); the folder imported has LF.
    const crlf = readFileSync(path.join(PRISMA, FOLDERS[1], 'migration.sql'), 'utf8').replace(/\n/g, '\r\n');
    await db.query('UPDATE _prisma_migrations SET checksum = $2 WHERE migration_name = $1', [FOLDERS[1], prismaChecksum(crlf)]);
    // prisma-engines#1887: each byte in hex without its leading zero.
    const unpadded = [
      ...createHash('sha256')
        .update(readFileSync(path.join(PRISMA, FOLDERS[2], 'migration.sql')))
        .digest(),
    ]
      .map((byte) => byte.toString(16))
      .join('');
    expect(unpadded.length).toBeLessThan(64);
    await db.query('UPDATE _prisma_migrations SET checksum = $2 WHERE migration_name = $1', [FOLDERS[2], unpadded]);
    expect((await importPrisma()).code).toBe(0);

    const baseline = await baselinePrisma();

    expect(baseline.code).toBe(0);
    expect(summaryLine(baseline)).toMatchObject({ recorded: FOLDERS.length });
  });

  test('import refuses a folder without migration.sql, and migrations of another provider, writing nothing', async () => {
    const source = tempMigrations(PRISMA);
    try {
      mkdirSync(path.join(source.dir, '20231201000000_empty'));
      const missing = await importPrisma(source.dir);
      expect(missing.code).toBe(6);
      expect(summaryLine(missing).msg).toMatch(
        /20231201000000_empty\/ has no migration\.sql, which Prisma needs in each migration folder: add it, or move the folder out/,
      );
      expect(versionedFiles()).toEqual([]);

      const other = tempMigrations(PRISMA);
      try {
        writeFileSync(path.join(other.dir, 'migration_lock.toml'), 'provider = "mysql"\n');
        const mysql = await importPrisma(other.dir);
        expect(mysql.code).toBe(6);
        expect(summaryLine(mysql).msg).toMatch(
          /migration_lock\.toml says these migrations were written for provider "mysql", not PostgreSQL/,
        );
        expect(versionedFiles()).toEqual([]);
      } finally {
        other.remove();
      }
    } finally {
      source.remove();
    }
  });

  test('a folder of Prisma migrations copied into versioned/ is named, with the command that converts it', async () => {
    cpSync(PRISMA, path.join(migrations.dir, 'versioned'), { recursive: true });

    const result = await runMigrator(['plan'], { env });

    expect(result.code).not.toBe(0);
    expect(result.stderr + result.stdout).toMatch(/prisma's layout, which this migrator does not read: .*migrator import --from prisma/);
  });
});
