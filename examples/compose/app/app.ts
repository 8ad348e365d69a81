/**
 * compose.yml's example app: a tiny HTTP service that uses pg-init-migrator as a library, and that
 * compose starts only after the migrator exited 0. It connects with the libpq variables (PGHOST,
 * PGUSER, PGPASSWORD, PGDATABASE) and listens on PORT (default 8080); LOG_FORMAT=pretty makes its
 * logs readable, as the migrator's.
 *
 * GET /healthz is the app's gate, with the app's own role (which may only read and write rows):
 * the schema must be current (assertSchemaCurrent against the migrations folder its image carries,
 * the same one the migrator's image carries) and the tables the app uses must answer. 200 with
 * their row counts, 503 with the reason otherwise.
 */
import { createServer, type ServerResponse } from 'node:http';
import pg from 'pg';
import { assertSchemaCurrent, createLogger } from 'pg-init-migrator';

// pino JSON unless LOG_FORMAT=pretty (compose.yml's default, for a person reading its output).
const logger = createLogger({ secrets: [process.env.PGPASSWORD], format: process.env.LOG_FORMAT === 'pretty' ? 'pretty' : 'json' });
const port = Number(process.env.PORT ?? 8080);
const pool = new pg.Pool({ max: 2, connectionTimeoutMillis: 5000, application_name: 'example-app' });
// An idle connection that breaks must not take the service down; the next query reports it.
pool.on('error', (error) => logger.warn({ error: error.message }, 'idle database connection lost'));

async function schemaCounts(): Promise<{ accounts: number; notes: number }> {
  const { rows } = await pool.query<{ accounts: string; notes: string }>(
    'SELECT (SELECT count(*) FROM accounts) AS accounts, (SELECT count(*) FROM notes) AS notes',
  );
  return { accounts: Number(rows[0].accounts), notes: Number(rows[0].notes) };
}

function reply(response: ServerResponse, status: number, body: object): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(`${JSON.stringify(body)}\n`);
}

const server = createServer((request, response) => {
  if (request.method !== 'GET' || request.url !== '/healthz') {
    reply(response, 404, { error: 'not found' });
    return;
  }
  assertSchemaCurrent(pool, { logger })
    .then(schemaCounts)
    .then(
      (counts) => reply(response, 200, { status: 'ok', ...counts }),
      (error: Error) => reply(response, 503, { status: 'schema unavailable', error: error.message }),
    );
});

server.listen(port, () => logger.info({ port }, 'example app listening'));

// PID 1 in its container: without handlers SIGTERM would be ignored until docker's SIGKILL.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'example app stopping');
    server.close();
    server.closeAllConnections();
    void pool.end().finally(() => process.exit(0));
  });
}
