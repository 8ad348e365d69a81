/**
 * One PostgreSQL container for the whole suite; each test file makes its own databases in it.
 * The test files inherit the connection details through the environment.
 */
import { PostgreSqlContainer } from '@testcontainers/postgresql';

export const TEST_IMAGE = process.env.TEST_POSTGRES_IMAGE ?? 'postgres:17';

export default async function globalSetup(): Promise<void> {
  const container = await new PostgreSqlContainer(TEST_IMAGE)
    .withPassword('admin-secret')
    .withCommand(['postgres', '-c', 'fsync=off', '-c', 'max_connections=300'])
    .start();
  (globalThis as Record<string, unknown>).__postgres = container;
  process.env.TEST_PG_HOST = container.getHost();
  process.env.TEST_PG_PORT = String(container.getPort());
  process.env.TEST_PG_USER = container.getUsername();
  process.env.TEST_PG_PASSWORD = container.getPassword();
  process.env.TEST_PG_CONTAINER = container.getId();
}
