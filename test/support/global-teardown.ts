import type { StartedPostgreSqlContainer } from '@testcontainers/postgresql';

export default async function globalTeardown(): Promise<void> {
  await ((globalThis as Record<string, unknown>).__postgres as StartedPostgreSqlContainer | undefined)?.stop();
}
