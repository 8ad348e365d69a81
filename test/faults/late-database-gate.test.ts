/**
 * The gate started before its database (an app pod's init container beside a database that is
 * still starting): `check --wait` waits for the server as long as for the schema, whatever
 * MIGRATOR_WAIT_TIMEOUT says. The server gets a fixed port, so the gate can point at it before it exists.
 */
import type { StartedPostgreSqlContainer } from '@testcontainers/postgresql';
import { runMigrator, startMigrator, summaryLine, waitForLine } from '../support/cli';
import { fixturePath } from '../support/fixtures';
import { freePort, ownUrl, startPostgres } from '../support/own-postgres';

describe('check --wait against a database that is not up yet', () => {
  let container: StartedPostgreSqlContainer | undefined;
  afterEach(async () => {
    await container?.stop();
    container = undefined;
  });

  test('it waits past MIGRATOR_WAIT_TIMEOUT, up to --timeout, for the server and then the schema: exit 0', async () => {
    const port = await freePort();
    const env = { DATABASE_URL: ownUrl(port), MIGRATIONS_DIR: fixturePath('basic'), MIGRATOR_WAIT_TIMEOUT: '2' };
    const gate = startMigrator(['check', '--wait', '--timeout', '120'], { env });
    await waitForLine(gate.child, (line) => line.msg === 'database not reachable yet, retrying');
    // Longer than MIGRATOR_WAIT_TIMEOUT: the gate used to give up here with exit 4.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    container = await startPostgres(port);
    expect((await runMigrator(['up'], { env: { ...env, MIGRATOR_WAIT_TIMEOUT: '60' } })).code).toBe(0);

    const result = await gate.done;

    expect(result.code).toBe(0);
    expect(result.lines.some((line) => line.msg === 'still waiting for the database')).toBe(true);
    expect(summaryLine(result)).toMatchObject({ msg: 'the schema is current', currentVersion: 2 });
  });
});
