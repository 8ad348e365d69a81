/**
 * The tools whose databases and folders can be adopted: golang-migrate, dbmate, Flyway, Alembic,
 * Prisma, Drizzle, node-pg-migrate.
 */
import { ConfigError } from '../errors';
import { alembic } from './alembic';
import { dbmate } from './dbmate';
import { drizzle } from './drizzle';
import { flyway } from './flyway';
import { golangMigrate } from './golang-migrate';
import { nodePgMigrate } from './node-pg-migrate';
import { prisma } from './prisma';
import { TOOL_NAMES, type SourceTool, type ToolName } from './tool';

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
};

/** The tool named by --from; importable: only those whose folders `import` converts. */
export function toolNamed(name: string, importable = false): SourceTool {
  const names = importable ? TOOL_NAMES.filter((tool) => TOOLS[tool].convertFolder) : TOOL_NAMES;
  if (!(names as readonly string[]).includes(name)) {
    const alembicNote =
      importable && name === 'alembic' ? ' (Alembic revisions are Python: see docs/adopting.md for writing its SQL files)' : '';
    throw new ConfigError(`--from must be one of ${names.join(', ')} (got "${name}")${alembicNote}`, '--from');
  }
  return TOOLS[name as ToolName];
}

/**
 * The tool whose layout these files look like, for the hint of a folder that fails validation.
 * dbmate's files are recognised by their text, so it is asked after the tools that go by names.
 */
export function toolOfLayout(fileNames: string[], read: (fileName: string) => string): SourceTool | undefined {
  return [golangMigrate, flyway, alembic, prisma, drizzle, nodePgMigrate, dbmate].find((tool) => tool.recognizes(fileNames, read));
}
