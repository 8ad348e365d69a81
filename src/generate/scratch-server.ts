/**
 * `generate --scratch docker`: a throwaway PostgreSQL container to build the scratch databases in,
 * so that generate needs no server of the team's (a laptop without PostgreSQL, a CI job without a
 * database service). Started through testcontainers, a dev dependency like generate's others,
 * rather than our own docker calls: it finds the engine as docker does (DOCKER_HOST, contexts),
 * publishes the port on the engine's host, waits until the server accepts connections, removes a
 * container that never gets ready, and its reaper removes ours even when this process is killed.
 * stop() removes it on every other way out. The scratch databases are made by a role that owns
 * them but is not a superuser, as docs/security.md advises for the real one, so a
 * migration that needs more than that fails here first.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { ConnectionSettings } from '../config';
import { errorMessage } from '../db/client';
import { DatabaseUnavailableError, InterruptedError } from '../errors';
import type { Logger } from '../log';
import { requireOptional } from '../optional-module';

type PostgreSqlModule = typeof import('@testcontainers/postgresql');

export const DEFAULT_SCRATCH_IMAGE = 'postgres:17';

/** On every scratch container, so that one left behind (the engine lost, say) can be found. */
export const SCRATCH_LABEL = 'io.pg-init-migrator.scratch';

const OWNER = 'migrator';

async function createOwner(superuserUrl: string, password: string): Promise<void> {
  const client = new pg.Client({ connectionString: superuserUrl });
  await client.connect();
  try {
    await client.query(`CREATE ROLE ${OWNER} LOGIN CREATEDB PASSWORD '${password}'`);
  } finally {
    await client.end();
  }
}

export interface ScratchServer {
  connection: ConnectionSettings;
  /** Removes the container; a failure is logged with its id, never thrown. */
  stop(): Promise<void>;
}

export async function startScratchServer(image: string, logger: Logger, signal?: AbortSignal): Promise<ScratchServer> {
  const { PostgreSqlContainer } = requireOptional<PostgreSqlModule>('@testcontainers/postgresql', 'generate --scratch docker');
  InterruptedError.throwIfAborted(signal);
  const password = randomBytes(16).toString('hex');
  logger.info({ image }, 'starting a scratch PostgreSQL container');
  const started = await new PostgreSqlContainer(image)
    .withUsername('postgres')
    .withDatabase('postgres')
    .withPassword(password)
    .withLabels({ [SCRATCH_LABEL]: 'generate' })
    // Scratch data: nothing to keep, so skip the flushes.
    .withCommand(['postgres', '-c', 'fsync=off'])
    .start()
    .catch((error: unknown) => {
      // No engine, an image that is not there, a server that never got ready: no server to work on, as when one is unreachable.
      throw new DatabaseUnavailableError(`--scratch docker could not start a PostgreSQL container from ${image}: ${errorMessage(error)}`);
    });
  const id = started.getId().slice(0, 12);
  logger.info({ image, container: id }, 'scratch container started');
  const server: ScratchServer = {
    connection: {
      host: started.getHost(),
      port: started.getPort(),
      user: OWNER,
      password,
      database: 'postgres',
      sslMode: 'disable',
      ssl: false,
      applicationName: 'migrator generate',
    },
    async stop() {
      try {
        await started.stop();
        logger.info({ container: id }, 'scratch container removed');
      } catch (error) {
        logger.error({ container: id, error: errorMessage(error) }, `could not remove scratch container ${id}: docker rm -f ${id}`);
      }
    },
  };
  try {
    InterruptedError.throwIfAborted(signal);
    await createOwner(started.getConnectionUri(), password);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}
