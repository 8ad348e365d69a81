/**
 * Post-deploy migrations: a plain up (the init container, the pre-deploy Job) stops before the
 * first pending one; up --post-deploy (after the rollout) applies everything; check, up, status
 * and plan agree that the schema is current while only post-deploy migrations wait, and not when a
 * pre-deploy one is stuck behind them (up then exits 3, as check does).
 */
import { readFileSync } from 'node:fs';
import { loadConfig } from '../../src/config';
import { createMigrator } from '../../src/create-migrator';
import { SchemaNotCurrentError } from '../../src/errors';
import { createLogger } from '../../src/log';
import { runMigrator, summaryLine } from '../support/cli';
import { appliedVersions, type TestDatabase } from '../support/database';
import type { TempMigrations } from '../support/fixtures';
import { withFreshDatabase } from '../support/fresh';

const POST_DEPLOY = '-- migrator: post-deploy\n';

describe('post-deploy migrations', () => {
  let db: TestDatabase;
  let migrations: TempMigrations;
  let env: Record<string, string>;
  withFreshDatabase('basic', (fresh) => ({ db, migrations, env } = fresh));

  const applied = async () => (await appliedVersions(db)).map((row) => row.id);

  beforeEach(async () => {
    // The database at release 1; release 2 renames customers.email to contact: add and backfill
    // before the deploy, drop after it, and declare the table as it ends.
    expect((await runMigrator(['up'], { env })).code).toBe(0);
    migrations.write(
      'tables/010_customers.sql',
      'CREATE TABLE customers (\n  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n  contact text,\n  created_at timestamptz NOT NULL DEFAULT now()\n);\n',
    );
    migrations.write(
      'versioned/3_customers_contact.sql',
      `ALTER TABLE customers ADD COLUMN IF NOT EXISTS contact text;
DO $$ BEGIN
  IF EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'customers' AND column_name = 'email') THEN
    UPDATE customers SET contact = email WHERE contact IS NULL;
  END IF;
END $$;
`,
    );
    migrations.write(
      'versioned/4_drop_customers_email.sql',
      `${POST_DEPLOY}-- The earlier release still reads email.\nALTER TABLE customers DROP COLUMN IF EXISTS email;\n`,
    );
  });

  test('up stops before the first pending post-deploy migration and says what waits, for which command', async () => {
    const result = await runMigrator(['up'], { env });

    expect(result.code).toBe(0);
    expect(await applied()).toEqual([1, 2, 3]);
    expect(summaryLine(result)).toMatchObject({ outcome: 'applied', versioned: 1, waiting: 1, currentVersion: 3 });
    expect(result.lines.find((line) => Array.isArray(line.waiting))).toMatchObject({
      level: 'info',
      msg: '1 migration(s) wait for migrator up --post-deploy: 4_drop_customers_email.sql',
    });
    // The gate of the new release: current, since only post-deploy work remains.
    expect((await runMigrator(['check'], { env })).code).toBe(0);

    const after = await runMigrator(['up', '--post-deploy'], { env });

    expect(after.code).toBe(0);
    expect(await applied()).toEqual([1, 2, 3, 4]);
    expect(summaryLine(after)).toMatchObject({ versioned: 1, waiting: 0, currentVersion: 4 });
  });

  test('plan, status and --json mark post-deploy steps and what waits for them', async () => {
    const plan = await runMigrator(['plan'], { env });
    const json = JSON.parse((await runMigrator(['plan', '--json'], { env })).stdout) as {
      steps: Array<{ file: string }>;
      waiting: Array<{ file: string; postDeploy?: true }>;
    };
    const status = await runMigrator(['status'], { env });
    const all = await runMigrator(['plan', '--post-deploy'], { env });

    expect(plan.stdout).toMatch(
      /\n\nwaiting for up --post-deploy:\n1\. versioned\/4_drop_customers_email\.sql: apply version 4 \(post-deploy\)\n$/,
    );
    expect(json.steps.map((step) => step.file)).not.toContain('4_drop_customers_email.sql');
    expect(json.waiting).toEqual([expect.objectContaining({ file: '4_drop_customers_email.sql', postDeploy: true })]);
    expect(status.stdout).toContain('waiting for up --post-deploy: 4_drop_customers_email.sql (post-deploy)');
    expect(all.stdout).toMatch(/versioned\/4_drop_customers_email\.sql: apply version 4 \(post-deploy\)\n$/);
  });

  test('a pre-deploy migration stuck behind a pending post-deploy one: up applies what it can and exits 3, as check; status and plan say the same', async () => {
    // The next release, deployed before the earlier release's post-deploy step ran: 3 is pre-deploy,
    // 4 post-deploy, 5 pre-deploy again.
    migrations.write('versioned/5_customers_tier.sql', 'ALTER TABLE customers ADD COLUMN IF NOT EXISTS tier text;\n');
    const notCurrent =
      'the schema is not current: versioned/5_customers_tier.sql waits behind post-deploy migration versioned/4_drop_customers_email.sql, ' +
      'since migrator up --post-deploy of the release that brought it has not run; a plain up never applies it: run migrator up --post-deploy';

    const up = await runMigrator(['up'], { env });

    expect(up.code).toBe(3);
    expect(await applied()).toEqual([1, 2, 3]);
    expect(summaryLine(up)).toMatchObject({
      level: 'error',
      msg: notCurrent,
      outcome: 'pending',
      exitCode: 3,
      versioned: 1,
      waiting: 2,
      currentVersion: 3,
    });
    // Nothing left that a plain up can do: a second one applies nothing and still exits 3.
    const again = await runMigrator(['up'], { env });
    expect(again.code).toBe(3);
    expect(summaryLine(again)).toMatchObject({ msg: notCurrent, versioned: 0, waiting: 2 });

    const check = await runMigrator(['check'], { env });
    const status = await runMigrator(['status'], { env });
    const plan = await runMigrator(['plan'], { env });

    expect(check.code).toBe(3);
    expect(summaryLine(check).msg).toBe(notCurrent);
    expect(status.code).toBe(0);
    expect(status.stdout).not.toContain('the schema is current');
    expect(status.stdout.trimEnd().split('\n').at(-1)).toBe(notCurrent);
    expect(summaryLine(status)).toMatchObject({ outcome: 'pending' });
    expect(plan.stdout).toBe(
      'nothing a plain up can apply\n\nwaiting for up --post-deploy:\n' +
        '1. versioned/4_drop_customers_email.sql: apply version 4 (post-deploy)\n2. versioned/5_customers_tier.sql: apply version 5\n' +
        `\n${notCurrent}\n`,
    );
    expect(summaryLine(plan)).toMatchObject({ outcome: 'pending' });

    expect((await runMigrator(['up', '--post-deploy'], { env })).code).toBe(0);
    expect(await applied()).toEqual([1, 2, 3, 4, 5]);
    expect((await runMigrator(['check'], { env })).code).toBe(0);
  });

  test('the library: up rejects with SchemaNotCurrentError carrying what it applied and what waits', async () => {
    migrations.write('versioned/5_customers_tier.sql', 'ALTER TABLE customers ADD COLUMN IF NOT EXISTS tier text;\n');
    const migrator = createMigrator(loadConfig(env), { logger: createLogger({ level: 'silent' }) });

    const error = await migrator.up().then(
      () => undefined,
      (rejected: unknown) => rejected,
    );

    expect(error).toBeInstanceOf(SchemaNotCurrentError);
    const { report, plan, message } = error as SchemaNotCurrentError;
    expect(message).toMatch(
      /^the schema is not current: versioned\/5_customers_tier\.sql waits behind post-deploy migration versioned\/4_/,
    );
    expect(report?.versioned).toMatchObject({
      applied: ['3_customers_contact.sql'],
      waiting: ['4_drop_customers_email.sql', '5_customers_tier.sql'],
      currentVersion: 3,
    });
    expect(plan.steps).toEqual([]);
    expect(plan.waiting.map((step) => step.file)).toEqual(['4_drop_customers_email.sql', '5_customers_tier.sql']);
    await expect(migrator.status()).resolves.toMatchObject({ steps: [] });
    await expect(migrator.check()).rejects.toThrow(message);
    expect(await applied()).toEqual([1, 2, 3]);
  });

  test('migrator new --post-deploy writes a file a plain up leaves for up --post-deploy', async () => {
    const result = await runMigrator(['new', '--post-deploy', 'drop_old_things'], { env });

    expect(result.code).toBe(0);
    const file = String(summaryLine(result).file);
    expect(readFileSync(file, 'utf8').startsWith(POST_DEPLOY)).toBe(true);
    expect(file).toMatch(/5_drop_old_things\.sql$/);
  });
});
