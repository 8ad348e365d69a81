/**
 * What an app hands to assertSchemaCurrent: its node-postgres Pool, or a connected Client. These
 * are the few members the check tells them apart by and calls, not pg's own types: node-postgres
 * ships none, so naming them would make every app that type-checks the library's declarations
 * install @types/pg. An app that has @types/pg passes its pg.Pool or pg.Client as it is.
 */

/** A connected node-postgres Client (pg.Client, or a pg.PoolClient the app checked out). */
export interface AppClient {
  query(text: string): Promise<unknown>;
}

/** A node-postgres Pool (pg.Pool): the check borrows one connection and releases it. */
export interface AppPool {
  readonly totalCount: number;
  connect(): Promise<AppClient & { release(): void }>;
}

export type AppConnection = AppPool | AppClient;
