/**
 * The tools whose databases and folders can be adopted: golang-migrate, dbmate, Flyway, Alembic,
 * Prisma, Drizzle, node-pg-migrate; and Knex, TypeORM, Kysely, whose databases only.
 */
import { ConfigError } from '../errors';
import { alembic } from './alembic';
import { dbmate } from './dbmate';
import { drizzle } from './drizzle';
import { flyway } from './flyway';
import { golangMigrate } from './golang-migrate';
import { knex } from './knex';
import { kysely } from './kysely';
import { nodePgMigrate } from './node-pg-migrate';
import { prisma } from './prisma';
import { typeorm } from './typeorm';
import { TOOL_NAMES, type SourceTool, type ToolName } from './tool';

export { checkedTableName } from './history-table';
export { mappedUpTo, readMapping, type Mapping } from './mapping';
export { importedScript, originLine, originOf } from './origin';
export type { ConvertedMigration, ConvertedRepeatable, SourceTool, ToolHistory, ToolName } from './tool';

const TOOLS: Record<ToolName, SourceTool> = {
  'golang-migrate': golangMigrate,
  dbmate,
  flyway,
  alembic,
  prisma,
  drizzle,
  'node-pg-migrate': nodePgMigrate,
  knex,
  typeorm,
  kysely,
};

/** The tool named by --from; importable: only those whose folders `import` converts. */
export function toolNamed(name: string, importable = false): SourceTool {
  const names = importable ? TOOL_NAMES.filter((tool) => TOOLS[tool].convertFolder) : TOOL_NAMES;
  if (!(names as readonly string[]).includes(name)) {
    throw new ConfigError(`--from must be one of ${names.join(', ')} (got "${name}")${importable ? codeNote(name) : ''}`, '--from');
  }
  return TOOLS[name as ToolName];
}

/** Why a tool of ours is not importable: its migrations are code. */
function codeNote(name: string): string {
  if (name === 'alembic') return ' (Alembic revisions are Python: see docs/adopting.md for writing its SQL files)';
  if (!(TOOL_NAMES as readonly string[]).includes(name)) return '';
  return ` (${name} migrations are code: write their SQL in versioned files, then baseline --from ${name} with --mapping or --up-to: see docs/adopting.md)`;
}

/**
 * The tool whose layout these files look like, for the hint of a folder that fails validation.
 * dbmate's files are recognised by their text, so it is asked after the tools that go by names.
 */
export function toolOfLayout(fileNames: string[], read: (fileName: string) => string): SourceTool | undefined {
  return [golangMigrate, flyway, alembic, prisma, drizzle, nodePgMigrate, dbmate].find(
    (tool) => tool.recognizes?.(fileNames, read) === true,
  );
}
