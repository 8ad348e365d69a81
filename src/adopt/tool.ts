/**
 * The contract every tool we adopt from fulfils: how its folder looks (for folder validation's
 * hint), how its files become ours (`import`), and what its history table says is applied
 * (`baseline --from`). One module per tool knows that tool; nothing else does.
 */
import type pg from 'pg';

export const TOOL_NAMES = [
  'golang-migrate',
  'dbmate',
  'flyway',
  'alembic',
  'prisma',
  'drizzle',
  'node-pg-migrate',
  'knex',
  'typeorm',
  'kysely',
] as const;
export type ToolName = (typeof TOOL_NAMES)[number];

/** One migration of the other tool, converted: what `import` writes as versioned/<n>_<title>.sql. */
export interface ConvertedMigration {
  /** The tool's own version of it, as its history table records it (normalized: see each tool). */
  version: string;
  /** The name the file gets after its new id. */
  title: string;
  /** The file (or files) it came from, for the printed mapping and the header. */
  sources: string[];
  up: string;
  /** Undefined when the tool's folder has none for it. */
  down?: string;
  /** False when the tool runs it outside a transaction: the file then gets the library's marker. */
  inTransaction: boolean;
}

/** One repeatable file of the other tool, converted: what `import` writes as repeatable/<NNN>_<title>.sql. */
export interface ConvertedRepeatable {
  title: string;
  /** The file it came from. */
  source: string;
  sql: string;
}

/** What the tool's history table says, read without changing it. */
export interface ToolHistory {
  /** The versions it names, each of which must be the origin of a versioned file. */
  recorded: string[];
  /** Whether a converted file of this version counts as applied (recorded, or covered: below golang-migrate's version, a Flyway baseline). */
  isApplied(version: string): boolean;
  /**
   * Whether every file before an applied one counts as applied too: Alembic's table names only
   * the head, and the files' ids give the order.
   */
  earlierImplied: boolean;
  /**
   * For a tool that records each script's checksum (Prisma, Drizzle): refuses (ValidationError) the file
   * imported as this applied version when its script, the text after the header import wrote, is
   * not the one the tool applied.
   */
  verify?(version: string, script: string, fileName: string): void;
}

export interface SourceTool {
  name: ToolName;
  /** Its history table, for messages. */
  table: string;
  /** Its file layout, for messages: "20230101120000_create_users.up.sql and .down.sql pairs". */
  layout: string;
  /**
   * Whether a folder of these files (names, and a reader of a file's text) is this tool's;
   * undefined for a tool whose migrations are code only (Knex, TypeORM, Kysely).
   */
  recognizes?(fileNames: string[], read: (fileName: string) => string): boolean;
  /** The folder's migrations in the tool's order; undefined for a tool whose files are not SQL (Alembic). */
  convertFolder?(dir: string): ConvertedMigration[];
  /** The folder's repeatable files (run again whenever one changed), in the order the tool runs them; for a tool that has them. */
  convertRepeatable?(dir: string): ConvertedRepeatable[];
  /**
   * For a tool whose migrations are code and whose history names them (Knex, TypeORM, Kysely):
   * baseline maps each name to a versioned file by a mapping file, or takes files 1..N
   * (src/adopt/mapping.ts), instead of reading origin lines; and the table may be named.
   */
  mapped?: boolean;
  /**
   * Refuses (ValidationError) a table that is missing, locked by a run of the tool, or records a
   * failed run. table: the [schema.]name given with --table, for a mapped tool; its default otherwise.
   */
  readHistory(client: pg.Client, table?: string): Promise<ToolHistory>;
}
