/**
 * docs/exit-codes.md: after SIGTERM or SIGINT the run ends with 143 or 130. Here the run is blocked
 * on a "server" that accepts the connection and never says a word: the stop ends the pending
 * connection attempt at once (src/db/connect.ts), well before the stop grace (10 s in
 * src/cli/main.ts) or the attempt's own timeout (10 s) would, and says that nothing was changed.
 */
import { once } from 'node:events';
import net from 'node:net';
import { startMigrator } from '../support/cli';
import { fixturePath } from '../support/fixtures';

const STOP_GRACE_MS = 10_000;
/**
 * Far below the grace and the attempt's timeout, far above the milliseconds the stop takes: it tells
 * "the signal ended the attempt" from "a timer did", on a loaded machine too.
 */
const PROMPT_STOP_MS = 3_000;

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
    '%s while an attempt to connect is pending: exit %i at once, saying nothing was changed',
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
      const guard = setTimeout(() => run.child.kill('SIGKILL'), STOP_GRACE_MS + 20_000);
      await once(server, 'connection');

      const signalled = Date.now();
      run.child.kill(signal);
      const result = await run.done;
      clearTimeout(guard);

      expect(result.signal).toBeNull();
      expect(result.code).toBe(exitCode);
      expect(Date.now() - signalled).toBeLessThan(PROMPT_STOP_MS);
      // The run unwound and said so, rather than the grace running out ("did not stop in time").
      expect(result.lines.at(-1)).toMatchObject({ level: 'error', exitCode, signal });
      expect(result.lines.at(-1)?.msg).toMatch(/^interrupted by SIG(TERM|INT): while connecting to the database, nothing was changed/);
      expect(result.stdout + result.stderr).not.toMatch(/did not stop in time/);
    },
    60_000,
  );
});
