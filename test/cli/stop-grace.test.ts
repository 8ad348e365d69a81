/**
 * docs/exit-codes.md: after SIGTERM or SIGINT the run ends within the stop grace (10 s in
 * src/cli/main.ts), with 143 or 130, whatever it is blocked on. Here the run is blocked on a
 * "server" that accepts the connection and never says a word: the work does not unwind on its own.
 */
import { once } from 'node:events';
import net from 'node:net';
import { startMigrator } from '../support/cli';
import { fixturePath } from '../support/fixtures';

const STOP_GRACE_MS = 10_000;
/** Beyond the grace: starting node, and a loaded machine. A hang guard, not a timing assertion. */
const SLACK_MS = 5_000;

describe('stopping a run blocked on a server that never answers', () => {
  let server: net.Server;
  const sockets = new Set<net.Socket>();
  beforeEach(async () => {
    server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
  });
  afterEach(async () => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    server.close();
    await once(server, 'close');
  });

  test.each<[NodeJS.Signals, number]>([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ])(
    '%s while it waits for the database: exit %i within the stop grace',
    async (signal, exitCode) => {
      const { port } = server.address() as net.AddressInfo;
      const run = startMigrator(['up'], {
        env: {
          DATABASE_URL: `postgres://app:secret@127.0.0.1:${port}/app`,
          MIGRATIONS_DIR: fixturePath('basic'),
          // Far longer than the test: only the signal can end the wait.
          MIGRATOR_WAIT_TIMEOUT: '300',
        },
      });
      const guard = setTimeout(() => run.child.kill('SIGKILL'), STOP_GRACE_MS + SLACK_MS + 10_000);
      await once(server, 'connection');

      const signalled = Date.now();
      run.child.kill(signal);
      const result = await run.done;
      clearTimeout(guard);

      expect(result.signal).toBeNull();
      expect(result.code).toBe(exitCode);
      expect(Date.now() - signalled).toBeLessThan(STOP_GRACE_MS + SLACK_MS);
      // Either the run unwound (its outcome line) or the grace ran out ("did not stop in time"): both say why.
      expect(result.lines.at(-1)).toMatchObject({ level: 'error', exitCode, signal });
    },
    60_000,
  );
});
