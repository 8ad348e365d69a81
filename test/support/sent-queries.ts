/**
 * The text of every query node-postgres sends from now on, in order, recorded on its way to the
 * server: the queries still run against the real PostgreSQL. jest.restoreAllMocks() stops it.
 */
import pg from 'pg';

export function recordSentQueries(): string[] {
  const sent: string[] = [];
  const query = pg.Client.prototype.query;
  jest.spyOn(pg.Client.prototype, 'query').mockImplementation(function (this: pg.Client, ...args: unknown[]) {
    const [first] = args as [string | { text: string }];
    sent.push(typeof first === 'string' ? first : first.text);
    return (query as (...a: unknown[]) => unknown).apply(this, args) as never;
  });
  return sent;
}
