/** Polling for a condition in tests that wait on another process or the server. */
export async function waitUntil(condition: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Resolves when a statement containing the text is running on the server (not from this test). */
export function statementRunning(query: (sql: string, values?: unknown[]) => Promise<unknown[]>, text: string): () => Promise<boolean> {
  return async () =>
    (await query(`SELECT 1 FROM pg_stat_activity WHERE state = 'active' AND query LIKE $1 AND pid <> pg_backend_pid()`, [`%${text}%`]))
      .length > 0;
}
