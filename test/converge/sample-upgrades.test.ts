/**
 * Upgrading the sample app's databases from releases 1 and 2 keeps their data: row counts, sample
 * values, the data migrations applied, and release 1's bad e-mail addresses repaired. (That they
 * end at the fresh install's schema is checked by converge.test.ts.)
 */
import { restoreInto, type TestDatabase } from '../support/database';
import { RELEASE_DUMPS, SAMPLE_MIGRATIONS } from '../support/fixtures';
import { withFreshDatabase } from '../support/fresh';
import { runLibrary } from '../support/run';

const counts = `SELECT (SELECT count(*) FROM accounts)::int AS accounts, (SELECT count(*) FROM notes)::int AS notes,
                       (SELECT count(*) FROM tags)::int AS tags, (SELECT count(*) FROM note_tags)::int AS note_tags`;

describe('upgrading the sample app', () => {
  let db: TestDatabase;
  withFreshDatabase(undefined, (fresh) => ({ db } = fresh));

  test('from release 1: e-mail addresses repaired, name moved to display_name, is_draft to status, times to UTC', async () => {
    await restoreInto(db, RELEASE_DUMPS.v1);

    // To the end of release 3: its post-deploy migrations included.
    const { report, error } = await runLibrary(db, SAMPLE_MIGRATIONS, {}, { postDeploy: true });

    expect(error).toBeUndefined();
    expect(report?.legacy).toEqual({
      changed: ['001_accounts_lowercase_email.sql'],
      columnsAdded: ['accounts.display_name', 'accounts.settings'],
    });
    expect(report?.tables.created).toEqual(['tags', 'note_tags']);
    expect(report?.versioned.applied).toHaveLength(7);
    expect(report?.repeatable.applied).toEqual(['010_notes_per_account.sql', '020_accounts_lowercase_email.sql']);
    expect(await db.query(counts)).toEqual([{ accounts: 3, notes: 4, tags: 0, note_tags: 0 }]);
    expect(await db.query('SELECT id, email, display_name, settings FROM accounts ORDER BY id')).toEqual([
      { id: '1', email: 'ann@example.com', display_name: 'Ann', settings: {} },
      { id: '2', email: 'bob@example.com', display_name: '', settings: {} },
      { id: '3', email: 'carol@example.com', display_name: 'Carol', settings: {} },
    ]);
    const notes = await db.query<{ body: string; status: string; created_at: Date }>(
      'SELECT body, status, created_at FROM notes ORDER BY id',
    );
    expect(notes.map((note) => [note.body, note.status, note.created_at.toISOString()])).toEqual([
      ['Shopping list', 'draft', '2021-03-02T10:00:00.000Z'],
      ['Trip to Lisbon', 'published', '2021-03-05T18:45:00.000Z'],
      ['Meeting notes', 'published', '2021-04-13T09:30:00.000Z'],
      ['Ideas', 'draft', '2021-05-21T22:10:00.000Z'],
    ]);
    // The identity sequences came along: new rows get the next ids.
    expect(await db.query(`INSERT INTO accounts (email) VALUES ('dave@example.com') RETURNING id`)).toEqual([{ id: '4' }]);
  });

  test('from release 2: settings, tags and statuses kept, name moved to display_name, the new status value there', async () => {
    await restoreInto(db, RELEASE_DUMPS.v2);

    // To the end of release 3: its post-deploy migrations included.
    const { report, error } = await runLibrary(db, SAMPLE_MIGRATIONS, {}, { postDeploy: true });

    expect(error).toBeUndefined();
    expect(report?.legacy).toEqual({ changed: [], columnsAdded: ['accounts.display_name'] });
    expect(report?.tables.created).toEqual([]);
    expect(report?.versioned.applied).toEqual([
      '4_accounts_display_name.sql',
      '5_note_status_archived.sql',
      '6_notes_created_at_timestamptz.sql',
      '7_drop_accounts_name.sql',
    ]);
    expect(await db.query(counts)).toEqual([{ accounts: 2, notes: 3, tags: 2, note_tags: 3 }]);
    expect(await db.query('SELECT email, display_name, settings FROM accounts ORDER BY id')).toEqual([
      { email: 'dana@example.com', display_name: 'Dana', settings: { theme: 'dark' } },
      { email: 'eve@example.com', display_name: '', settings: {} },
    ]);
    const notes = await db.query<{ body: string; status: string; created_at: Date }>(
      'SELECT body, status, created_at FROM notes ORDER BY id',
    );
    expect(notes.map((note) => [note.body, note.status, note.created_at.toISOString()])).toEqual([
      ['Groceries', 'published', '2022-01-10T08:00:00.000Z'],
      ['Draft post', 'draft', '2022-01-11T21:30:00.000Z'],
      ['Hello', 'published', '2022-02-14T08:00:00.000Z'],
    ]);
    expect(
      await db.query(`SELECT t.name, count(*)::int AS notes FROM tags t JOIN note_tags nt ON nt.tag_id = t.id GROUP BY 1 ORDER BY 1`),
    ).toEqual([
      { name: 'home', notes: 1 },
      { name: 'work', notes: 2 },
    ]);
    expect(await db.query(`SELECT enum_range(NULL::note_status)::text AS statuses`)).toEqual([{ statuses: '{draft,published,archived}' }]);
    // Release 2's view, its columns changed: every account, its e-mail address, the count an int.
    expect(report?.repeatable.applied).toEqual(['010_notes_per_account.sql', '020_accounts_lowercase_email.sql']);
    await db.query(`INSERT INTO accounts (email) VALUES ('Gus@Example.com')`);
    expect(await db.query('SELECT account_id, email, notes FROM notes_per_account ORDER BY 1')).toEqual([
      { account_id: '1', email: 'dana@example.com', notes: 2 },
      { account_id: '2', email: 'eve@example.com', notes: 1 },
      { account_id: '3', email: 'gus@example.com', notes: 0 },
    ]);
  });

  test("from release 2 across a rolling deploy: release 2's queries keep working after release 3's pre-deploy migrations", async () => {
    await restoreInto(db, RELEASE_DUMPS.v2);

    // The init containers of release 3's first pods: a plain up.
    const before = await runLibrary(db, SAMPLE_MIGRATIONS);

    expect(before.error).toBeUndefined();
    expect(before.report?.repeatable.applied).toEqual(['010_notes_per_account.sql', '020_accounts_lowercase_email.sql']);
    expect(before.report?.versioned).toMatchObject({
      applied: ['4_accounts_display_name.sql', '5_note_status_archived.sql'],
      waiting: ['6_notes_created_at_timestamptz.sql', '7_drop_accounts_name.sql'],
    });
    // Release 2's pods are still serving: everything they read and write works.
    await db.query(`SELECT id, email, name, settings FROM accounts ORDER BY id`);
    await db.query(`INSERT INTO accounts (email, name, settings) VALUES ('frank@example.com', 'Frank', '{}')`);
    await db.query(`UPDATE accounts SET name = 'Dana D.' WHERE email = 'dana@example.com'`);
    await db.query(
      `SELECT n.id, n.body, n.status, n.created_at FROM notes n JOIN accounts a ON a.id = n.account_id WHERE a.name IS NOT NULL AND n.status = 'published'`,
    );
    await db.query(`INSERT INTO notes (account_id, body, status, created_at) VALUES (1, 'During the deploy', 'draft', '2022-03-01 10:00')`);
    await db.query(`SELECT account_id, notes FROM notes_per_account`);
    // So does release 3, whose pods start meanwhile.
    await db.query(`SELECT id, email, display_name FROM accounts ORDER BY id`);
    await db.query(`SELECT account_id, email, notes FROM notes_per_account`);

    // After the rollout: up --post-deploy.
    const after = await runLibrary(db, SAMPLE_MIGRATIONS, {}, { postDeploy: true });

    expect(after.error).toBeUndefined();
    expect(after.report?.versioned.applied).toEqual(['6_notes_created_at_timestamptz.sql', '7_drop_accounts_name.sql']);
    // What release 2 wrote during the rollout reached display_name before name went.
    expect(await db.query('SELECT email, display_name FROM accounts ORDER BY id')).toEqual([
      { email: 'dana@example.com', display_name: 'Dana D.' },
      { email: 'eve@example.com', display_name: '' },
      { email: 'frank@example.com', display_name: 'Frank' },
    ]);
    await expect(db.query('SELECT name FROM accounts')).rejects.toThrow(/column "name" does not exist/);
  });
});
