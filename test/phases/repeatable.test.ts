/**
 * The repeatable phase: every file of repeatable/ runs again, in order and in one transaction, when
 * one changed or was added, or an earlier phase has work; otherwise nothing is written. A failing
 * file rolls back all of them; a removed file's objects are named, never dropped.
 */
import { rmSync } from 'node:fs';
import { MigrationFailedError } from '../../src/errors';
import { runMigrator } from '../support/cli';
import type { TestDatabase } from '../support/database';
import type { TempMigrations } from '../support/fixtures';
import { withFreshDatabase, type Fresh } from '../support/fresh';
import { runLibrary } from '../support/run';

const NOTES = 'CREATE TABLE notes (id int PRIMARY KEY, account_id int NOT NULL, body text, updated_at timestamptz);';
const VIEW = 'CREATE OR REPLACE VIEW notes_per_account AS SELECT account_id, count(*) AS notes FROM notes GROUP BY account_id;';
const FUNCTION = `CREATE OR REPLACE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS notes_touch ON notes;
CREATE TRIGGER notes_touch BEFORE UPDATE ON notes FOR EACH ROW EXECUTE FUNCTION touch_updated_at();`;

interface Recorded {
  name: string;
  checksum: string;
  objects: string[];
  applied_at: Date;
}

describe('repeatable phase', () => {
  let db: TestDatabase;
  let migrations: TempMigrations;
  let fresh: Fresh;
  withFreshDatabase(undefined, (given) => ({ db, migrations } = fresh = given));

  const recorded = () => db.query<Recorded>('SELECT name, checksum, objects, applied_at FROM migrator_repeatable ORDER BY name');
  const viewColumns = (view: string) =>
    db.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position`,
      [view],
    );
  const writeSample = () => {
    migrations.write('versioned/1_notes.sql', NOTES);
    migrations.write('repeatable/010_notes_per_account.sql', VIEW);
    migrations.write('repeatable/020_touch_updated_at.sql', FUNCTION);
  };

  test('first run creates every object in file order and records each file with the objects it defines', async () => {
    writeSample();

    const { report, error, lines } = await runLibrary(db, migrations.dir);

    expect(error).toBeUndefined();
    expect(report?.repeatable).toEqual({ applied: ['010_notes_per_account.sql', '020_touch_updated_at.sql'] });
    expect(lines.find((line) => String(line.msg).includes('step(s) pending'))?.msg).toBe(
      '3 step(s) pending: legacy 0, tables 0, versioned 1, repeatable 2',
    );
    await db.query("INSERT INTO notes VALUES (1, 7, 'a'), (2, 7, 'b'); UPDATE notes SET body = 'c' WHERE id = 1");
    expect(await db.query('SELECT account_id, notes::int FROM notes_per_account')).toEqual([{ account_id: 7, notes: 2 }]);
    expect(await db.query('SELECT id FROM notes WHERE updated_at IS NOT NULL')).toEqual([{ id: 1 }]);
    expect((await recorded()).map(({ name, objects }) => ({ name, objects }))).toEqual([
      { name: '010_notes_per_account.sql', objects: ['view notes_per_account'] },
      { name: '020_touch_updated_at.sql', objects: ['function touch_updated_at', 'trigger notes_touch on notes'] },
    ]);
  });

  test('a rerun with nothing changed runs no file and writes nothing', async () => {
    writeSample();
    await runLibrary(db, migrations.dir);
    const before = await recorded();
    const [{ xmin }] = await db.query<{ xmin: string }>("SELECT xmin::text FROM pg_proc WHERE proname = 'touch_updated_at'");

    const { report, error, events } = await runLibrary(db, migrations.dir);

    expect(error).toBeUndefined();
    expect(report).toMatchObject({ outcome: 'up-to-date', repeatable: { applied: [] } });
    expect(events.filter((event) => event.type === 'applying')).toEqual([]);
    expect(await recorded()).toEqual(before);
    // CREATE OR REPLACE FUNCTION would have written a new row version of it.
    expect(await db.query("SELECT xmin::text FROM pg_proc WHERE proname = 'touch_updated_at'")).toEqual([{ xmin }]);
  });

  test('a changed file runs every repeatable file again, in order, and the view gets its new columns', async () => {
    writeSample();
    await runLibrary(db, migrations.dir);
    const before = await recorded();
    migrations.write(
      'repeatable/010_notes_per_account.sql',
      'DROP VIEW IF EXISTS notes_per_account;\nCREATE VIEW notes_per_account AS SELECT account_id, count(*) AS notes, max(updated_at) AS last_update FROM notes GROUP BY account_id;',
    );

    const { report, error, events } = await runLibrary(db, migrations.dir);

    expect(error).toBeUndefined();
    expect(report?.repeatable.applied).toEqual(['010_notes_per_account.sql', '020_touch_updated_at.sql']);
    expect(events.filter((event) => event.type === 'applying').map((event) => 'step' in event && event.step.action)).toEqual([
      'run again (changed)',
      'run again',
    ]);
    expect((await viewColumns('notes_per_account')).map((row) => row.column_name)).toEqual(['account_id', 'notes', 'last_update']);
    const after = await recorded();
    expect(after[0].checksum).not.toBe(before[0].checksum);
    expect(after[1].checksum).toBe(before[1].checksum);
    for (const [index, row] of after.entries()) expect(row.applied_at.getTime()).toBeGreaterThan(before[index].applied_at.getTime());
  });

  test('a pending versioned migration runs every repeatable file again after it', async () => {
    writeSample();
    await runLibrary(db, migrations.dir);
    migrations.write('versioned/2_notes_title.sql', 'ALTER TABLE notes ADD COLUMN title text;');

    const { report, error } = await runLibrary(db, migrations.dir);

    expect(error).toBeUndefined();
    expect(report?.versioned.applied).toEqual(['2_notes_title.sql']);
    expect(report?.repeatable.applied).toEqual(['010_notes_per_account.sql', '020_touch_updated_at.sql']);
  });

  test('a view a CASCADE in an earlier file dropped is created again by its own later file', async () => {
    migrations.write('versioned/1_notes.sql', NOTES);
    migrations.write(
      'repeatable/010_note_bodies.sql',
      'DROP VIEW IF EXISTS note_bodies CASCADE;\nCREATE VIEW note_bodies AS SELECT id, body FROM notes;',
    );
    migrations.write(
      'repeatable/020_long_notes.sql',
      'CREATE OR REPLACE VIEW long_notes AS SELECT id FROM note_bodies WHERE length(body) > 100;',
    );
    await runLibrary(db, migrations.dir);
    migrations.write(
      'repeatable/010_note_bodies.sql',
      'DROP VIEW IF EXISTS note_bodies CASCADE;\nCREATE VIEW note_bodies AS SELECT id, body, account_id FROM notes;',
    );

    const { error, report } = await runLibrary(db, migrations.dir);

    expect(error).toBeUndefined();
    expect(report?.repeatable.applied).toEqual(['010_note_bodies.sql', '020_long_notes.sql']);
    expect((await viewColumns('note_bodies')).map((row) => row.column_name)).toEqual(['id', 'body', 'account_id']);
    expect(await db.query("SELECT to_regclass('long_notes') IS NOT NULL AS exists")).toEqual([{ exists: true }]);
  });

  test('a broken file is found while planning: nothing is written', async () => {
    migrations.write('tables/notes.sql', NOTES);
    migrations.write('repeatable/010_notes_per_account.sql', VIEW);
    migrations.write('repeatable/030_broken.sql', 'CREATE OR REPLACE VIEW broken AS\nSELECT no_such_column FROM notes;');

    const { error } = await runLibrary(db, migrations.dir);

    expect(error).toBeInstanceOf(MigrationFailedError);
    expect(error).toMatchObject({ phase: 'repeatable', file: '030_broken.sql', failure: { pgCode: '42703', line: 2 } });
    expect(error?.message).toMatch(/found while planning, so nothing was changed$/);
    expect(await db.query("SELECT to_regclass('notes')::text AS notes, to_regclass('notes_per_account')::text AS view")).toEqual([
      { notes: null, view: null },
    ]);
  });

  test('a file failing when applied rolls back every repeatable file: the database is as before the phase', async () => {
    writeSample();
    await runLibrary(db, migrations.dir);
    const before = await recorded();
    const viewBefore = await viewColumns('notes_per_account');
    // After a pending versioned migration the files are not dry-run (they would meet the schema
    // without it): the failure comes when they run.
    migrations.write('versioned/2_notes_title.sql', 'ALTER TABLE notes ADD COLUMN title text;');
    migrations.write(
      'repeatable/010_notes_per_account.sql',
      'DROP VIEW notes_per_account;\nCREATE VIEW notes_per_account AS SELECT account_id, max(title) AS title FROM notes GROUP BY account_id;',
    );
    migrations.write('repeatable/020_touch_updated_at.sql', `${FUNCTION}\nSELECT 1 / 0;`);

    const { error } = await runLibrary(db, migrations.dir);

    expect(error).toBeInstanceOf(MigrationFailedError);
    expect(error).toMatchObject({ phase: 'repeatable', file: '020_touch_updated_at.sql', failure: { pgCode: '22012' } });
    expect(error?.message).toMatch(/the one transaction of every repeatable file was rolled back, so none of them stayed applied$/);
    expect((error as MigrationFailedError).report).toMatchObject({
      versioned: { applied: ['2_notes_title.sql'] },
      repeatable: { applied: [] },
      failedStep: { phase: 'repeatable', file: '020_touch_updated_at.sql' },
    });
    expect(await viewColumns('notes_per_account')).toEqual(viewBefore);
    expect(await recorded()).toEqual(before);
  });

  test('a removed file is reported with the objects no file defines any more, which are not dropped', async () => {
    writeSample();
    await runLibrary(db, migrations.dir);
    rmSync(`${migrations.dir}/repeatable/020_touch_updated_at.sql`);

    const { error, report, lines } = await runLibrary(db, migrations.dir);
    const second = await runLibrary(db, migrations.dir);

    expect(error).toBeUndefined();
    expect(report).toMatchObject({ outcome: 'up-to-date', repeatable: { applied: [] } });
    const warning = lines.find((line) => line.file === '020_touch_updated_at.sql' && line.level === 'warn');
    expect(warning).toMatchObject({ objects: ['function touch_updated_at', 'trigger notes_touch on notes'] });
    expect(warning?.msg).toMatch(
      /^repeatable\/020_touch_updated_at\.sql was removed; no file defines function touch_updated_at, trigger notes_touch on notes any more/,
    );
    expect(await db.query("SELECT count(*)::int AS n FROM pg_proc WHERE proname = 'touch_updated_at'")).toEqual([{ n: 1 }]);
    expect((await recorded()).map((row) => row.name)).toEqual(['010_notes_per_account.sql']);
    expect(second.lines.filter((line) => line.file === '020_touch_updated_at.sql')).toEqual([]);
  });

  test('check reports a changed repeatable file as pending, and plan names every file that would run', async () => {
    writeSample();
    await runLibrary(db, migrations.dir);
    expect((await runMigrator(['check'], { env: fresh.env })).code).toBe(0);
    migrations.write('repeatable/020_touch_updated_at.sql', `${FUNCTION}\n-- touched`);

    const check = await runMigrator(['check'], { env: fresh.env });
    const plan = await runMigrator(['plan', '--json'], { env: fresh.env });

    expect(check.code).toBe(3);
    expect(String(check.lines.at(-1)?.msg)).toMatch(/2 step\(s\) pending, first repeatable\/010_notes_per_account\.sql \(run again\)/);
    expect(plan.code).toBe(0);
    expect(JSON.parse(plan.stdout).steps.map((step: { file: string; action: string }) => `${step.file}: ${step.action}`)).toEqual([
      '010_notes_per_account.sql: run again',
      '020_touch_updated_at.sql: run again (changed)',
    ]);
  });

  test('history --repeatable shows the record: each file, its checksum, when it last ran and its objects; none before the phase ran', async () => {
    migrations.write('versioned/1_notes.sql', NOTES);
    const none = await runMigrator(['history', '--repeatable'], { env: fresh.env });
    expect(none.code).toBe(0);
    expect(none.stdout).toBe('no repeatable file has run\n');

    writeSample();
    expect((await runMigrator(['up'], { env: fresh.env })).code).toBe(0);
    const json = await runMigrator(['history', '--repeatable', '--json'], { env: fresh.env });
    const table = await runMigrator(['history', '--repeatable'], { env: fresh.env });

    expect(json.code).toBe(0);
    const rows = await recorded();
    expect(JSON.parse(json.stdout)).toEqual(
      rows.map((row) => ({ name: row.name, checksum: row.checksum, objects: row.objects, appliedAt: row.applied_at.toISOString() })),
    );
    expect(rows.map((row) => row.name)).toEqual(['010_notes_per_account.sql', '020_touch_updated_at.sql']);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^name +checksum +applied at +objects$/);
    expect(lines[1]).toContain(`010_notes_per_account.sql  ${rows[0].checksum.slice(0, 12)}  ${rows[0].applied_at.toISOString()}`);
    expect(lines[2]).toContain(rows[1].objects.join(', '));
    // Plain history stays the versioned migrations.
    expect(JSON.parse((await runMigrator(['history', '--json'], { env: fresh.env })).stdout)).toHaveLength(1);
  });

  test("in a fleet, each tenant's record is its own, and a changed file runs again on every tenant", async () => {
    writeSample();
    await db.query('CREATE SCHEMA tenant_a; CREATE SCHEMA tenant_b');
    const fleet = () =>
      runMigrator(['fleet', 'up', '--targets-sql', "SELECT nspname AS schema FROM pg_namespace WHERE nspname LIKE 'tenant\\_%'"], {
        env: { ...fresh.env, LOG_LEVEL: 'info' },
      });
    expect((await fleet()).code).toBe(0);
    const unchanged = await fleet();
    migrations.write('repeatable/010_notes_per_account.sql', VIEW.replace('count(*) AS notes', 'count(*) AS notes, max(id) AS newest'));

    const changed = await fleet();

    const outcomes = (run: typeof changed) => run.lines.filter((line) => line.target && line.outcome).map((line) => line.outcome);
    expect(outcomes(unchanged)).toEqual(['up-to-date', 'up-to-date']);
    expect(changed.code).toBe(0);
    expect(outcomes(changed)).toEqual(['applied', 'applied']);
    const records = await db.query<{ schema: string; n: number }>(
      `SELECT n.nspname AS schema, (SELECT count(*) FROM pg_class c WHERE c.relnamespace = n.oid AND c.relname = 'migrator_repeatable')::int AS n
         FROM pg_namespace n WHERE n.nspname IN ('public', 'tenant_a', 'tenant_b') ORDER BY 1`,
    );
    expect(records).toEqual([
      { schema: 'public', n: 0 },
      { schema: 'tenant_a', n: 1 },
      { schema: 'tenant_b', n: 1 },
    ]);
    expect(
      await db.query(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'tenant_b' AND table_name = 'notes_per_account' ORDER BY ordinal_position",
      ),
    ).toEqual([{ column_name: 'account_id' }, { column_name: 'notes' }, { column_name: 'newest' }]);
  });
});
