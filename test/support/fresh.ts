/** The usual set-up of a database test: a new database and a writable copy of a fixture per test. */
import { createDatabase, type TestDatabase } from './database';
import { tempMigrations, type TempMigrations } from './fixtures';

export interface Fresh {
  db: TestDatabase;
  migrations: TempMigrations;
  /** DATABASE_URL and MIGRATIONS_DIR for the CLI. */
  env: Record<string, string>;
}

/** Registers beforeEach/afterEach hooks; `use` receives each test's database and migrations. */
export function withFreshDatabase(fixture: string | undefined, use: (fresh: Fresh) => void): void {
  let current: Fresh | undefined;
  beforeEach(async () => {
    const db = await createDatabase();
    const migrations = tempMigrations(fixture);
    current = { db, migrations, env: { ...db.env, MIGRATIONS_DIR: migrations.dir } };
    use(current);
  });
  afterEach(async () => {
    current?.migrations.remove();
    await current?.db.drop();
    current = undefined;
  });
}
