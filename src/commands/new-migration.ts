/** `new <slug>`: the next versioned migration and its down file, from a template with the guard idioms. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors';
import { DOWN_FOLDER, loadMigrationSet, REPEATABLE_FOLDER } from '../source';
import { POST_DEPLOY_MARKER } from '../source/post-deploy';

export { DOWN_FOLDER };
/** The library's history keeps names in varchar(100). */
const MAX_SLUG_LENGTH = 100;
const SLUG = /^[a-z0-9]+(?:[_-][a-z0-9]+)*$/;

const UP_TEMPLATE = (slug: string) => `-- ${slug}
--
-- Versioned migrations also run on databases whose tables the table-creation phase has just made
-- in their current shape, so every statement must be safe to run when its change is already there
-- (migrator lint checks this):
--
--   CREATE TABLE IF NOT EXISTS ...;          CREATE INDEX IF NOT EXISTS ... ON ...;
--   ALTER TABLE t ADD COLUMN IF NOT EXISTS c ...;
--   ALTER TABLE t DROP COLUMN IF EXISTS c;   DROP INDEX IF EXISTS ...;
--
-- The legacy phase adds declared columns (holding only their default) before versioned migrations
-- run, so a rename, or a type change through a new column, must handle "both columns exist": add
-- the new column if it is missing, move the data, drop the old one.
--
--   ALTER TABLE t ADD COLUMN IF NOT EXISTS new_name text NOT NULL DEFAULT '';
--   DO $$
--   BEGIN
--     IF EXISTS (SELECT 1 FROM information_schema.columns
--                 WHERE table_schema = current_schema() AND table_name = 't' AND column_name = 'old_name') THEN
--       UPDATE t SET new_name = old_name;
--       ALTER TABLE t DROP COLUMN old_name;
--     END IF;
--   END $$;
--
-- (A plain RENAME fails where the new column exists; a RENAME skipped when it exists leaves the data
-- in the old column. migrator converge catches the second.)
--
-- Also change the table's declaration in tables/ so that new databases get the same shape.
-- For CREATE INDEX CONCURRENTLY, put it alone in this file together with the marker line that
-- runs a file without a transaction (docs/migrations.md, "Phase 3: versioned"). Not spelled out here: the
-- library looks for that text anywhere in a file, comments included.

`;

const DOWN_TEMPLATE = (
  fileName: string,
) => `-- Undoes ${fileName} for \`migrator rollback\`. Runs in a transaction; guard it like the up file.

`;

export interface MigrationFiles {
  fileName: string;
  file: string;
  downFile: string;
}

/** Where the next versioned migration called `slug` and its down file go; checks the slug. */
export function nextMigrationFiles(migrationsDir: string, slug: string): MigrationFiles {
  if (!SLUG.test(slug)) {
    throw new ConfigError(`slug "${slug}" must be lower-case letters and digits, words joined by _ or -, like add_orders_index`);
  }
  if (slug.length > MAX_SLUG_LENGTH) throw new ConfigError(`slug is ${slug.length} characters; at most ${MAX_SLUG_LENGTH}`);
  const { versioned } = loadMigrationSet(migrationsDir, { allowEmpty: true });
  const taken = versioned.find((file) => file.name === slug);
  if (taken) throw new ConfigError(`slug "${slug}" is already used by versioned/${taken.fileName}: names must be unique`);

  const fileName = `${versioned.length + 1}_${slug}.sql`;
  const dir = path.join(migrationsDir, 'versioned');
  return { fileName, file: path.join(dir, fileName), downFile: path.join(dir, DOWN_FOLDER, fileName) };
}

/** Writes a new migration and its down file; never overwrites either. */
export function writeMigrationFiles(files: { file: string; downFile: string }, up: string, down: string): void {
  mkdirSync(path.dirname(files.downFile), { recursive: true });
  writeFileSync(files.file, up, { flag: 'wx' });
  writeFileSync(files.downFile, down, { flag: 'wx' });
}

export interface NewMigrationOptions {
  /** Write a post-deploy migration: applied only by `up --post-deploy`. */
  postDeploy?: boolean;
  /** Write a repeatable file instead (repeatable/NNN_<slug>.sql, after the others): no id, no down file. */
  repeatable?: boolean;
}

const REPEATABLE_TEMPLATE = (slug: string) => `-- ${slug}
--
-- The current definition of one object (or of a few bound together): a view, a function, a
-- trigger, a policy, grants. Every repeatable file runs again, in file-name order and in one
-- transaction, whenever one of them changed or an earlier phase has work, so it must be safe to
-- run again (migrator lint checks this):
--
--   CREATE OR REPLACE VIEW ... / FUNCTION ... / PROCEDURE ...;
--   DROP VIEW IF EXISTS v; CREATE VIEW v ...;       (when the view's columns change)
--   DROP TRIGGER IF EXISTS t ON tbl; CREATE TRIGGER t ...;
--
-- Removing this file later does not drop what it defined: do that in a versioned migration.

`;

/** repeatable/NNN_<slug>.sql, numbered in tens after the last file so that it runs last. */
function writeRepeatable(migrationsDir: string, slug: string): { file: string } {
  const { repeatable } = loadMigrationSet(migrationsDir, { allowEmpty: true });
  const taken = repeatable.find((file) => file.name.replace(/\.sql$/i, '').replace(/^\d+[_-]/, '') === slug);
  if (taken) throw new ConfigError(`slug "${slug}" is already used by repeatable/${taken.name}: names must be unique`);
  const last = repeatable.map((file) => Number(/^(\d+)/.exec(file.name)?.[1] ?? 0)).reduce((a, b) => Math.max(a, b), 0);
  const file = path.join(migrationsDir, REPEATABLE_FOLDER, `${String((Math.floor(last / 10) + 1) * 10).padStart(3, '0')}_${slug}.sql`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, REPEATABLE_TEMPLATE(slug), { flag: 'wx' });
  return { file };
}

const POST_DEPLOY_HEADER = `${POST_DEPLOY_MARKER}
--
-- Post-deploy: a plain \`migrator up\` (the init container, the pre-deploy Job) stops before this
-- file; \`migrator up --post-deploy\` applies it after the rollout, when no pod of the earlier
-- release is left. For the contract half of an expand/contract change: dropping, renaming or
-- retyping what the earlier release still uses.
--
`;

export async function newMigration(
  migrationsDir: string,
  slug: string,
  options: NewMigrationOptions = {},
): Promise<{ file: string; downFile?: string }> {
  if (options.repeatable) {
    nextMigrationFiles(migrationsDir, slug);
    return writeRepeatable(migrationsDir, slug);
  }
  const { fileName, file, downFile } = nextMigrationFiles(migrationsDir, slug);
  writeMigrationFiles({ file, downFile }, (options.postDeploy ? POST_DEPLOY_HEADER : '') + UP_TEMPLATE(slug), DOWN_TEMPLATE(fileName));
  return { file, downFile };
}
