/**
 * A PostgreSQL server of a test's own, for tests that stop, restart or pause it (the suite's shared
 * server must stay up for the other tests), and a client to ask it questions.
 */
import { createServer } from 'node:net';
import { PostgreSqlContainer, type StartedPostgreSqlContainer } from '@testcontainers/postgresql';
import pg from 'pg';
import { TEST_IMAGE } from './global-setup';

export const OWN_PASSWORD = 'outage-secret';

/** A TCP port nothing listens on now, for a server the migrator is pointed at before it exists. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The server, with a database `app`, published on `port` of loopback. */
export function startPostgres(port: number): Promise<StartedPostgreSqlContainer> {
  return new PostgreSqlContainer(TEST_IMAGE)
    .withPassword(OWN_PASSWORD)
    .withDatabase('app')
    .withExposedPorts({ container: 5432, host: port })
    .start();
}

/** DATABASE_URL of the server's database `app`. */
export function ownUrl(port: number): string {
  return `postgres://test:${OWN_PASSWORD}@127.0.0.1:${port}/app`;
}

export function connectOwn(port: number): pg.Client {
  return new pg.Client({ host: '127.0.0.1', port, user: 'test', password: OWN_PASSWORD, database: 'app' });
}

export async function query(port: number, sql: string, values?: unknown[]): Promise<Array<Record<string, unknown>>> {
  const client = connectOwn(port);
  await client.connect();
  try {
    return (await client.query(sql, values)).rows;
  } finally {
    await client.end();
  }
}
