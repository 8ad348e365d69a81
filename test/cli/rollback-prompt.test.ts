/**
 * `migrator rollback` without --yes, typed at a terminal: the confirmation prompt under a
 * pseudo-terminal. Ctrl-C there ends the command at once (exit 130) and changes nothing, both
 * when readline reads it (stdin and stderr a terminal: raw mode) and when the terminal turns it
 * into SIGINT (stderr sent elsewhere); Ctrl-D is no answer, which is no.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { runMigrator, startOnTerminal } from '../support/cli';
import { appliedVersions, type TestDatabase } from '../support/database';
import type { TempMigrations } from '../support/fixtures';
import { withFreshDatabase } from '../support/fresh';
import { schemaSnapshot } from '../support/schema';
import { waitUntil } from '../support/wait';

const QUESTION = 'Roll back the last 1 migration(s)';

describe('rollback at a terminal', () => {
  let db: TestDatabase;
  let migrations: TempMigrations;
  let env: Record<string, string>;
  withFreshDatabase('basic', (fresh) => ({ db, migrations, env } = fresh));

  beforeEach(async () => {
    expect((await runMigrator(['up'], { env })).code).toBe(0);
  });

  test.each([
    ['readline reads it (everything on the terminal)', ''],
    ['the terminal sends SIGINT (stderr to a file)', '2>"$LOGS/stderr"'],
  ])('Ctrl-C at the prompt, %s: exit 130 at once, nothing changed', async (_case, redirect) => {
    const before = await schemaSnapshot(db);
    const stderrFile = path.join(migrations.dir, 'stderr');
    const run = startOnTerminal(['rollback'], { ...env, LOGS: migrations.dir, NO_COLOR: '1' }, redirect);
    const shown = () => (redirect ? (existsSync(stderrFile) ? readFileSync(stderrFile, 'utf8') : '') : run.output());
    await waitUntil(async () => shown().includes(QUESTION), 'the question is asked');

    const pressed = Date.now();
    run.child.stdin!.write('\x03');
    const { code } = await run.done;

    expect(code).toBe(130);
    expect(Date.now() - pressed).toBeLessThan(5000);
    const said = `${run.output()}${shown()}`;
    expect(said).toMatch(/interrupted by SIGINT: at the confirmation prompt, nothing was changed/);
    expect(said).not.toMatch(/rolling back the running step/);
    expect(await schemaSnapshot(db)).toEqual(before);
  });

  test('Ctrl-D at the prompt: no answer, rollback cancelled (exit 0), nothing changed', async () => {
    const before = await schemaSnapshot(db);
    const run = startOnTerminal(['rollback'], { ...env, NO_COLOR: '1' });
    await waitUntil(async () => run.output().includes(QUESTION), 'the question is asked');

    run.child.stdin!.write('\x04');
    const { code, output } = await run.done;

    expect(code).toBe(0);
    expect(output).toMatch(/rollback cancelled/);
    expect(await schemaSnapshot(db)).toEqual(before);
  });

  test('y at the prompt rolls back the newest migration', async () => {
    const run = startOnTerminal(['rollback'], { ...env, NO_COLOR: '1' });
    await waitUntil(async () => run.output().includes(QUESTION), 'the question is asked');

    run.child.stdin!.write('y\r');
    const { code, output } = await run.done;

    expect(code).toBe(0);
    expect(output).toMatch(/rollback finished/);
    expect((await appliedVersions(db)).map((row) => row.id)).toEqual([1]);
  });
});
