/**
 * The PostgreSQL server the benchmark runs against: BENCH_DATABASE_URL when given (a role that may
 * create databases), otherwise a postgres:17 container of its own, stopped at the end.
 */
import { randomBytes } from 'node:crypto';
import { PostgreSqlContainer, type StartedPostgreSqlContainer } from '@testcontainers/postgresql';
import pg from 'pg';

export const IMAGE = process.env.BENCH_POSTGRES_IMAGE ?? 'postgres:17';

export interface BenchServer {
  /** Where the server came from, for the report. */
  origin: string;
  version: string;
  createDatabase(prefix: string): Promise<string>;
  dropDatabase(url: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startServer(): Promise<BenchServer> {
  const given = process.env.BENCH_DATABASE_URL;
  let container: StartedPostgreSqlContainer | undefined;
  let adminUrl: string;
  if (given) {
    adminUrl = given;
  } else {
    // fsync off: commit costs then say nothing about this machine's disk, which leaves the
    // client's own costs (round trips, code) exposed rather than hidden behind disk flushes.
    // SCRAM-SHA-256 as a production server asks for it, so that every connection pays the real login.
    container = await new PostgreSqlContainer(IMAGE)
      .withPassword('bench-secret')
      .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'scram-sha-256' })
      .withCommand(['postgres', '-c', 'fsync=off'])
      .start();
    // By address: Node resolves a host name on its thread pool (about 6 ms for a first lookup of
    // localhost here), which every Node row would pay and the floors would not.
    const url = new URL(container.getConnectionUri());
    if (url.hostname === 'localhost') url.hostname = '127.0.0.1';
    adminUrl = url.toString();
  }
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      return (await client.query(sql)).rows;
    } finally {
      await client.end();
    }
  };
  const [{ server_version: version }] = await admin('SHOW server_version');
  return {
    origin: given ? 'BENCH_DATABASE_URL' : `${IMAGE} container (fsync=off, SCRAM-SHA-256 logins)`,
    version,
    async createDatabase(prefix) {
      const name = `${prefix}_${randomBytes(4).toString('hex')}`;
      await admin(`CREATE DATABASE ${name}`);
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      return url.toString();
    },
    async dropDatabase(url) {
      await admin(`DROP DATABASE IF EXISTS ${new URL(url).pathname.slice(1)} WITH (FORCE)`);
    },
    async stop() {
      await container?.stop();
    },
  };
}
