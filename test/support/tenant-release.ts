/** A small release for fleet tests: two declared tables and three versioned files, and a fourth file that a conflicting object makes fail. */
import type { TempMigrations } from './fixtures';

/** The newest version of the release writeRelease writes. */
export const NEWEST = 3;

/** Every table a tenant holds at NEWEST, sorted: the release's and the migrator's records (the declared tables' columns, the schema as up left it). */
export const TABLES_AT_NEWEST = ['accounts', 'migrations', 'migrator_declared_columns', 'migrator_schema_fingerprint', 'notes', 'settings'];

export function writeRelease(migrations: TempMigrations): void {
  migrations.write('tables/010_accounts.sql', 'CREATE TABLE accounts (\n  id bigint PRIMARY KEY,\n  email text NOT NULL\n);\n');
  migrations.write(
    'tables/020_notes.sql',
    'CREATE TABLE notes (\n  id bigint PRIMARY KEY,\n  account_id bigint NOT NULL REFERENCES accounts (id),\n  body text\n);\n',
  );
  migrations.write('versioned/1_accounts_email_index.sql', 'CREATE INDEX IF NOT EXISTS accounts_email_idx ON accounts (email);\n');
  migrations.write('versioned/2_notes_created_at.sql', 'ALTER TABLE notes ADD COLUMN IF NOT EXISTS created_at timestamptz;\n');
  migrations.write('versioned/3_settings.sql', 'CREATE TABLE settings (key text PRIMARY KEY, value text);\n');
}

/**
 * Release 4: an index first, then a table, in one transaction. A tenant with an object named
 * audit_log already (the poison: `CREATE VIEW audit_log ...`) fails it and keeps neither.
 */
export const FILE_4 = 'CREATE INDEX notes_body_idx ON notes (body);\nCREATE TABLE audit_log (id bigint PRIMARY KEY, at timestamptz);\n';
