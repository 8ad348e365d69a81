/** The line parser and matcher of the pgpass package (the one node-postgres uses), which ships no types. */
declare module 'pgpass/lib/helper' {
  export interface PgPassEntry {
    host: string;
    port: string;
    database: string;
    user: string;
    password: string;
  }
  export function parseLine(line: string): PgPassEntry | null;
  export function isValidEntry(entry: PgPassEntry): boolean;
  export function match(connection: { host: string; port: number; database: string; user: string }, entry: PgPassEntry): boolean;
}
