/**
 * The library object: one method per command. A method resolves only when its command succeeded
 * (the CLI then exits 0) and otherwise rejects with the MigratorError subclass whose exit code the
 * CLI returns; an error of a command that produces a result (check's plan, lint's findings,
 * converge's report) carries it.
 */
import { baseline, baselineFrom, type BaselineFromOptions } from './commands/baseline';
import type { MigratorContext } from './commands/context';
import { converge } from './commands/converge';
import { drift, type DriftOptions } from './commands/drift';
import { fleet, type FleetAction, type FleetOptions } from './commands/fleet';
import { generate, type GenerateOptions } from './commands/generate';
import { history, repeatableHistory, verify } from './commands/history';
import { importMigrations, type ImportedMigration } from './commands/import';
import { lint, type LintOptions } from './commands/lint';
import { newMigration, type NewMigrationOptions } from './commands/new-migration';
import { check, plan, type CheckOptions, type PlanCommandOptions } from './commands/plan';
import { renumber } from './commands/renumber';
import { rollback, type RollbackTarget } from './commands/rollback';
import { up, type UpOptions } from './commands/up';
import { writeManifest } from './source/manifest';
import type { MigratorConfig } from './config';
import { ConfigError } from './errors';
import { createLogger, type Logger } from './log';
import type {
  AppliedMigration,
  AppliedRepeatable,
  ConvergenceReport,
  DriftReport,
  FleetReport,
  GenerateResult,
  LintReport,
  MigrationReport,
  MigratorEvent,
  Plan,
  VerifyReport,
} from './results';
import { logProgress } from './run/progress-log';

export interface MigratorOptions {
  /** Where log lines go (default: pino JSON lines on stdout, at config.log.level). */
  logger?: Logger;
  /** Aborting stops the run: the running statement is cancelled and rolled back, the lock released. */
  signal?: AbortSignal;
  /** Progress as it happens: the plan, each step starting and finishing (default: log lines on `logger`). */
  onEvent?: (event: MigratorEvent) => void;
}

export interface Migrator {
  /** Applies everything pending: legacy repairs, declared columns, missing tables, versioned migrations. */
  up(options?: UpOptions): Promise<MigrationReport>;
  /** Every step `up` (with postDeploy: `up --post-deploy`) would take now; changes nothing. */
  plan(options?: PlanCommandOptions): Promise<Plan>;
  /** The same plan, for the status overview. */
  status(): Promise<Plan>;
  /**
   * Resolves when the schema is current; rejects with SchemaNotCurrentError (carrying the plan)
   * when `up` has work to do, after waiting up to `waitMs` for it to be done.
   */
  check(options?: CheckOptions): Promise<Plan>;
  /**
   * The schema against what the last `up` recorded; rejects with SchemaDriftError (carrying the
   * report) when an object differs. A database no `up` has recorded yet resolves with baseline false.
   */
  drift(options?: DriftOptions): Promise<DriftReport>;
  /** Applied versioned migrations, oldest first. */
  history(): Promise<AppliedMigration[]>;
  /** The repeatable files as the last run of their phase recorded them (checksum, objects, when), by name. */
  repeatableHistory(): Promise<AppliedRepeatable[]>;
  /** Resolves with counts when files and history agree; rejects with ValidationError otherwise. */
  verify(): Promise<VerifyReport>;
  /** Records versioned migrations 1..id as applied without running them. */
  baseline(id: number): Promise<string[]>;
  /**
   * Records as applied the versioned files another tool's history table (golang-migrate, dbmate,
   * flyway, alembic, prisma, drizzle, node-pg-migrate) records as applied, matched by their origin header;
   * for knex, typeorm and kysely, by options.mapping or options.upTo. Resolves with those recorded now.
   */
  baselineFrom(tool: string, options?: BaselineFromOptions): Promise<string[]>;
  /** Converts a folder of another tool's migrations (golang-migrate, dbmate, flyway, prisma, drizzle, node-pg-migrate) into an empty versioned/. */
  importFrom(tool: string, folder: string): Promise<ImportedMigration[]>;
  /** Runs down files newest first and removes their history rows. */
  rollback(target: RollbackTarget): Promise<string[]>;
  /** Writes the next versioned migration and its down file from the template. */
  newMigration(slug: string, options?: NewMigrationOptions): Promise<{ file: string; downFile?: string }>;
  /** Gives a versioned file (and its down file) the next free id. */
  renumber(fileName: string): Promise<{ from: string; to: string }>;
  /** Writes the versioned files' manifest (src/source/manifest.ts), for an image whose files cannot change. */
  manifest(): Promise<{ file: string; files: number }>;
  /** Rejects with LintFindingsError when a versioned migration (or one of `files`, or one after `since`) has findings. */
  lint(options?: LintOptions): Promise<LintReport>;
  /** Writes the next migration from the difference between declared tables and versioned history. */
  generate(options: GenerateOptions): Promise<GenerateResult>;
  /** Checks that databases from earlier releases (dumps) end at a fresh install's schema. */
  converge(dumps?: string[]): Promise<ConvergenceReport>;
  /**
   * `up`, `check`, `plan` or `status` on every target (a tenant's schema or database); rejects with
   * FleetFailedError, carrying every target's result, when one failed (for check: is not current).
   */
  fleet(action: FleetAction, options: FleetOptions): Promise<FleetReport>;
}

/**
 * Never throws: the context is built inside the first method called, so a configuration it cannot
 * use (not one loadConfig made, a log level pino does not know) rejects that call with a
 * ConfigError, as docs/library.md promises for every error.
 */
export function createMigrator(config: MigratorConfig, options: MigratorOptions = {}): Migrator {
  let built: MigratorContext | undefined;
  const context = () => (built ??= migratorContext(config, options));
  const folder = () => context().config.migrationsDir;
  return {
    up: async (upOptions) => up(context(), upOptions),
    plan: async (planOptions) => plan(context(), planOptions),
    status: async () => plan(context()),
    check: async (checkOptions) => check(context(), checkOptions),
    drift: async (driftOptions) => drift(context(), driftOptions),
    history: async () => history(context()),
    repeatableHistory: async () => repeatableHistory(context()),
    verify: async () => verify(context()),
    baseline: async (id) => baseline(context(), id),
    baselineFrom: async (tool, options) => baselineFrom(context(), tool, options),
    importFrom: async (tool, from) => importMigrations(folder(), tool, from),
    rollback: async (target) => rollback(context(), target),
    newMigration: async (slug, newOptions) => newMigration(folder(), slug, newOptions),
    renumber: async (fileName) => renumber(folder(), fileName),
    manifest: async () => writeManifest(folder()),
    lint: async (lintOptions) => lint(folder(), lintOptions),
    generate: async (generateOptions) => generate(context(), generateOptions),
    converge: async (dumps) => converge(context(), dumps),
    fleet: async (action, fleetOptions) => fleet(context(), action, fleetOptions),
  };
}

function migratorContext(config: MigratorConfig, options: MigratorOptions): MigratorContext {
  // Checked for callers without TypeScript, or with a hand-made object.
  const given = config as Partial<MigratorConfig> | undefined;
  if (typeof given !== 'object' || given === null) throw new ConfigError('createMigrator needs a configuration: use loadConfig(env)');
  if (typeof given.migrationsDir !== 'string' || typeof given.connection !== 'object' || given.connection === null) {
    throw new ConfigError('the configuration lacks migrationsDir or connection: build it with loadConfig(env)');
  }
  let logger = options.logger;
  if (!logger) {
    try {
      logger = createLogger({ ...config.log, format: 'json' });
    } catch (error) {
      throw new ConfigError(`config.log cannot make a logger: ${(error as Error).message}`, 'LOG_LEVEL');
    }
  }
  return { config, logger, signal: options.signal, emit: options.onEvent ?? logProgress(logger) };
}
