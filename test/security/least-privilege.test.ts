/** The migrator needs to own the schema, not to be a superuser, and says so when it is one. */
import { runMigrator, summaryLine } from '../support/cli';
import { tableNames, type TestDatabase } from '../support/database';
import { fixturePath } from '../support/fixtures';
import { withFreshDatabase } from '../support/fresh';

const superuserWarning = (line: Record<string, unknown>) => String(line.msg).startsWith('running as a superuser');

describe('least privilege', () => {
  let db: TestDatabase;
  withFreshDatabase(undefined, (fresh) => ({ db } = fresh));

  test('a superuser gets a warning; a role that only owns the database gets none and migrates fully', async () => {
    const owner = `owner_${db.name}`;
    await db.query(`CREATE ROLE ${owner} LOGIN PASSWORD 'owner-pw' NOSUPERUSER NOCREATEDB NOCREATEROLE;
                    ALTER DATABASE ${db.name} OWNER TO ${owner}; ALTER SCHEMA public OWNER TO ${owner}`);
    const asOwner = { DATABASE_URL: `postgres://${owner}:owner-pw@${db.host}:${db.port}/${db.name}`, MIGRATIONS_DIR: fixturePath('basic') };

    const owned = await runMigrator(['up'], { env: asOwner });
    const superuser = await runMigrator(['up'], { env: { ...db.env, MIGRATIONS_DIR: fixturePath('basic') } });

    expect(owned.code).toBe(0);
    expect(summaryLine(owned)).toMatchObject({ tables: 2, versioned: 2 });
    expect(owned.lines.some(superuserWarning)).toBe(false);
    expect(await tableNames(db)).toEqual(['customers', 'migrations', 'migrator_declared_columns', 'migrator_schema_fingerprint', 'orders']);
    expect(superuser.code).toBe(0);
    expect(superuser.lines.find(superuserWarning)).toMatchObject({ level: 'warn', user: db.user });
  });
});
