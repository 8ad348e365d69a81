/**
 * Every command the CLI offers: its usage, its options, and how it calls the library. The library
 * functions do the work; these only translate arguments and results.
 */
import type { ParseArgsConfig } from 'node:util';
import { FLEET_ACTIONS, FLEET_DEFAULTS, type FleetAction } from '../commands/fleet';
import type { RollbackTarget } from '../commands/rollback';
import type { MigratorConfig } from '../config';
import {
  ConfigError,
  DeclarationsDifferError,
  FleetFailedError,
  LintFindingsError,
  NeedsReviewError,
  SchemaDriftError,
  SchemasDifferError,
} from '../errors';
import { parseShard, type Target } from '../fleet/targets';
import type { Logger } from '../log';
import { DEFAULT_SCRATCH_IMAGE } from '../generate/scratch-server';
import { MANIFEST_FILE } from '../source/manifest';
import type { Migrator } from '../create-migrator';
import {
  summarize,
  whyNotCurrent,
  type ConvergenceReport,
  type DriftReport,
  type FleetReport,
  type Plan,
  type GenerateResult,
  type LintReport,
  type TargetResult,
} from '../results';
import { exitCodeFor } from './exit-codes';
import { fleetStatus, fleetSummary, formatFleetPlan, formatFleetStatus, targetFields, targetMessage } from './fleet-output';
import {
  formatConvergence,
  formatDrift,
  formatHistory,
  formatJson,
  formatLint,
  formatPlan,
  formatRepeatableHistory,
  formatStatus,
} from './output';

export interface CommandContext {
  config: MigratorConfig;
  migrator: Migrator;
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  /** Writes a command's result to stdout. */
  print(text: string): void;
  /** Asks the person at the terminal a yes/no question; undefined when stdin is not a terminal. */
  confirm?(question: string): Promise<boolean>;
  /** The command's log lines (fleet logs a line per target). */
  logger: Logger;
  /** On a terminal with pretty logs: shows a live line below the log lines (undefined clears it). */
  showLive?(text: string | undefined): void;
}

export type DatabaseUse = 'none' | 'reads' | 'writes';

/** --wait of the commands that only read: wait for a database that is not up yet, as up does. */
const waitOption = { wait: { type: 'boolean' } } as const;
const WAIT_DETAILS =
  '--wait  with no DATABASE_URL or PG* variable set (libpq defaults: postgres@localhost:5432), wait for the database\n' +
  '        up to MIGRATOR_WAIT_TIMEOUT as up does, instead of trying once; a database that is set is always waited for';

/** The fields of the final log line; `msg` is its message. */
export type CommandResult = Record<string, unknown> & { msg: string };

export interface Command {
  name: string;
  summary: string;
  usage: string;
  details: string;
  options: NonNullable<ParseArgsConfig['options']>;
  positionals: [min: number, max: number];
  /** Whether, with these options and arguments, the command prints a result on stdout (its log lines then go to stderr). */
  printsResult(values: CommandContext['values'], positionals: string[]): boolean;
  /**
   * What it does with the database of DATABASE_URL: nothing, reads only, or writes. With no
   * connection configured at all, a command that only reads and takes --wait tries libpq's
   * defaults once, unless --wait is given.
   */
  database(values: CommandContext['values'], positionals: string[]): DatabaseUse;
  run(context: CommandContext): Promise<CommandResult>;
}

/**
 * Where the documentation pages are read: the npm package ships no docs/, so help points to the
 * repository's copy (package.json's repository; test/cli/package.test.ts keeps them in step).
 */
export const DOCS_URL = 'https://github.com/pg-init-migrator/pg-init-migrator/blob/main/docs/';

export function docsLink(page: string): string {
  return `${DOCS_URL}${page}`;
}

/** An option every command takes, in place of an environment variable: given, it wins over the variable. */
export interface GlobalOption {
  name: string;
  short?: string;
  /** What its value is, as the usage shows it. */
  value: string;
  /** The variable it stands in for. */
  variable: string;
  /** Variables it stands in for too: the flag's value is used and these are not read. */
  alsoReplaces: string[];
  summary: string;
}

/** As dbmate's --url and --migrations-dir: a person at a terminal types the connection instead of exporting it. */
export const GLOBAL_OPTIONS: readonly GlobalOption[] = [
  {
    name: 'url',
    short: 'd',
    value: 'URL',
    variable: 'DATABASE_URL',
    alsoReplaces: ['DATABASE_URL_FILE'],
    summary: 'the database, as DATABASE_URL (which it overrides, with DATABASE_URL_FILE); PG* variables fill in what it leaves out',
  },
  {
    name: 'migrations-dir',
    value: 'DIR',
    variable: 'MIGRATIONS_DIR',
    alsoReplaces: [],
    summary: 'the folder holding legacy/, tables/ and versioned/, as MIGRATIONS_DIR (which it overrides)',
  },
];

/** The global options as parseArgs takes them. */
export const GLOBAL_PARSE_OPTIONS: NonNullable<ParseArgsConfig['options']> = Object.fromEntries(
  GLOBAL_OPTIONS.map((option) => [option.name, { type: 'string', ...(option.short && { short: option.short }) }]),
);

const json = { json: { type: 'boolean' } } as const;

/** How long `check --wait` waits by default: a rollout's Job usually finishes well within it. */
const DEFAULT_CHECK_WAIT_SECONDS = 300;

const up: Command = {
  name: 'up',
  summary: 'apply everything that is pending (the default command)',
  usage: 'migrator up [--post-deploy] [--dry-run]',
  details:
    'Runs the legacy, table-creation and versioned phases under the migration lock. Stops before the first pending\n' +
    'post-deploy migration (a versioned file whose header has the line -- migrator: post-deploy); exits 3 (the schema\n' +
    'is not current) when a pre-deploy migration then still waits behind one, naming both.\n' +
    '--post-deploy  apply post-deploy migrations too: after the rollout, when no pod of the earlier release is left\n' +
    '--dry-run      show what would be done, like `migrator plan`, and change nothing',
  options: { 'dry-run': { type: 'boolean' }, 'post-deploy': { type: 'boolean' } },
  positionals: [0, 0],
  printsResult: (values) => values['dry-run'] === true,
  database: (values) => (values['dry-run'] === true ? 'reads' : 'writes'),
  async run(context) {
    const postDeploy = context.values['post-deploy'] === true;
    if (context.values['dry-run']) return planCommand.run({ ...context, values: { 'post-deploy': postDeploy } });
    const report = await context.migrator.up({ postDeploy });
    return { msg: 'migrator finished', outcome: report.outcome, ...summarize(report) };
  },
};

const statusCommand: Command = {
  name: 'status',
  summary: 'what up would do now, per phase, and the current version',
  usage: 'migrator status [--json] [--wait]',
  details: `Changes nothing: legacy scripts are tried in transactions that are rolled back.\n${WAIT_DETAILS}`,
  options: { ...json, ...waitOption },
  positionals: [0, 0],
  printsResult: () => true,
  database: () => 'reads',
  async run(context) {
    const result = await context.migrator.status();
    context.print(context.values.json ? formatJson(result) : formatStatus(result));
    return { msg: 'status', outcome: outcomeOf(result), pending: result.steps.length };
  },
};

const checkCommand: Command = {
  name: 'check',
  summary: 'exit 0 when the schema is current, 3 when up has work to do, 6 when validation fails',
  usage: 'migrator check [--wait [--timeout S]] [--schema NAME | --database NAME]',
  details:
    "For pipelines, readiness probes and gates. Changes nothing, and needs only read rights: run it with the app's role.\n" +
    '--wait           ask again every 2 s until the schema is current (exit 0), or until the timeout (exit 3);\n' +
    '                 a database not up yet is waited for too, up to the timeout when MIGRATOR_WAIT_TIMEOUT is shorter.\n' +
    '                 Without it, and with no DATABASE_URL or PG* variable set, libpq defaults are tried once\n' +
    '--timeout S      how long --wait waits, in seconds (default 300)\n' +
    "--schema NAME    one tenant's schema of this database, as `fleet` migrates it (its history, tables and lock)\n" +
    "--database NAME  one tenant's database on this server, with the same credentials",
  options: { wait: { type: 'boolean' }, timeout: { type: 'string' }, schema: { type: 'string' }, database: { type: 'string' } },
  positionals: [0, 0],
  printsResult: () => false,
  database: () => 'reads',
  async run(context) {
    const { wait, timeout } = context.values;
    if (timeout !== undefined && !wait) throw new ConfigError('--timeout needs --wait', '--timeout');
    const seconds = timeout === undefined ? DEFAULT_CHECK_WAIT_SECONDS : wholeNumber(String(timeout), '--timeout');
    const target = oneTarget(context.values);
    const result = await context.migrator.check({ ...(wait && { waitMs: seconds * 1000 }), ...(target && { target }) });
    return { msg: 'the schema is current', outcome: 'up-to-date', currentVersion: result.versioned.currentVersion };
  },
};

const planCommand: Command = {
  name: 'plan',
  summary: 'list every step up would take, in order (--sql: with the SQL); changes nothing',
  usage: 'migrator plan [--sql] [--json] [--post-deploy] [--wait]',
  details:
    'Same as `migrator up --dry-run`. Lists what waits for `up --post-deploy` after the steps;\n--post-deploy  plan what `up --post-deploy` would do instead.\n' +
    WAIT_DETAILS,
  options: { sql: { type: 'boolean' }, ...json, 'post-deploy': { type: 'boolean' }, ...waitOption },
  positionals: [0, 0],
  printsResult: () => true,
  database: () => 'reads',
  async run(context) {
    const result = await context.migrator.plan({ postDeploy: context.values['post-deploy'] === true });
    context.print(context.values.json ? formatJson(result) : formatPlan(result, Boolean(context.values.sql)));
    return { msg: 'plan', outcome: outcomeOf(result), pending: result.steps.length };
  },
};

const driftCommand: Command = {
  name: 'drift',
  summary: 'compare the schema with what the last up recorded: objects changed outside the migrations (exit 10)',
  usage: 'migrator drift [--json] [--schema NAME | --database NAME] [--wait]',
  details:
    'Prints each object that differs (index public.notes_account_id_idx: missing, column public.accounts.nickname:\n' +
    'not in any migration, view public.named: changed) and exits 10; exits 0 when nothing differs, and when no up\n' +
    'has recorded the schema yet (it says so; --json: "baseline": false). Reads the catalog only: no scratch database,\n' +
    "nothing written; read rights are enough. The schemas of the search_path, without the migrator's own tables and\n" +
    `MIGRATOR_IGNORE_TABLES (${docsLink('drift.md')}).\n` +
    "--schema NAME    one tenant's schema of this database, as `fleet` migrates it\n" +
    "--database NAME  one tenant's database on this server, with the same credentials\n" +
    WAIT_DETAILS,
  options: { ...json, schema: { type: 'string' }, database: { type: 'string' }, ...waitOption },
  positionals: [0, 0],
  printsResult: () => true,
  database: () => 'reads',
  async run(context) {
    const show = (report: DriftReport) => context.print(context.values.json ? formatJson(report) : formatDrift(report));
    const target = oneTarget(context.values);
    const report = await context.migrator.drift(target && { target }).catch((error: unknown) => {
      if (error instanceof SchemaDriftError) show(error.drift);
      throw error;
    });
    show(report);
    if (!report.baseline) return { msg: 'no drift baseline yet: the next migrator up records one', outcome: 'no-baseline' };
    return { msg: 'no drift: the schema is as the last migrator up recorded it', outcome: 'ok' };
  },
};

const historyCommand: Command = {
  name: 'history',
  summary: 'applied versioned migrations with id, name, hash and time (--repeatable: the repeatable files)',
  usage: 'migrator history [--repeatable] [--json] [--wait]',
  details:
    '--repeatable  the repeatable files as the last run of their phase recorded them: name, checksum, when, the objects\n' +
    '              each defines (a file changed since runs again with the next up: verify names those)\n' +
    WAIT_DETAILS,
  options: { repeatable: { type: 'boolean' }, ...json, ...waitOption },
  positionals: [0, 0],
  printsResult: () => true,
  database: () => 'reads',
  async run(context) {
    if (context.values.repeatable) {
      const recorded = await context.migrator.repeatableHistory();
      context.print(context.values.json ? formatJson(recorded) : formatRepeatableHistory(recorded));
      return { msg: 'history of the repeatable files', outcome: 'ok', repeatable: recorded.length };
    }
    const rows = await context.migrator.history();
    context.print(context.values.json ? formatJson(rows) : formatHistory(rows));
    return { msg: 'history', outcome: 'ok', applied: rows.length };
  },
};

const verifyCommand: Command = {
  name: 'verify',
  summary: 'check files against the history by id: unchanged, none missing, ids unique and consecutive',
  usage: 'migrator verify [--wait]',
  details:
    'Exit 0 when files and history agree, 6 otherwise. Repeatable files changed or added since their record are no\n' +
    'disagreement: the summary names them (repeatable.willRerun), as the next up runs them again.\n' +
    WAIT_DETAILS,
  options: waitOption,
  positionals: [0, 0],
  printsResult: () => false,
  database: () => 'reads',
  async run(context) {
    const report = await context.migrator.verify();
    return { msg: 'files and history agree', outcome: 'ok', ...report };
  },
};

const newCommand: Command = {
  name: 'new',
  summary: 'create the next versioned migration and its down file from a template',
  usage: 'migrator new [--post-deploy | --repeatable] <slug>',
  details:
    'Writes versioned/<next id>_<slug>.sql and versioned/down/<next id>_<slug>.sql.\nA slug is lower-case letters and digits joined by _ or -, unique, at most 100 characters.\n' +
    '--post-deploy  a post-deploy migration: applied only by `up --post-deploy`, after the rollout\n' +
    '--repeatable   a repeatable file instead: repeatable/<NNN>_<slug>.sql, numbered after the others (a view, a function...)',
  options: { 'post-deploy': { type: 'boolean' }, repeatable: { type: 'boolean' } },
  positionals: [1, 1],
  printsResult: () => false,
  database: () => 'none',
  async run(context) {
    const { file, downFile } = await context.migrator.newMigration(context.positionals[0], {
      postDeploy: context.values['post-deploy'] === true,
      repeatable: context.values.repeatable === true,
    });
    return { msg: 'migration created', outcome: 'ok', file, downFile };
  },
};

const renumberCommand: Command = {
  name: 'renumber',
  summary: 'give a versioned file (and its down file) the next free id',
  usage: 'migrator renumber <file>',
  details: 'For a branch merged after another took the same id. Never renumber a file already applied somewhere.',
  options: {},
  positionals: [1, 1],
  printsResult: () => false,
  database: () => 'none',
  async run(context) {
    const { from, to } = await context.migrator.renumber(context.positionals[0]);
    return { msg: 'migration renumbered', outcome: 'ok', from, to };
  },
};

const manifestCommand: Command = {
  name: 'manifest',
  summary: "record the versioned files' hashes, for an image whose files cannot change",
  usage: 'migrator manifest',
  details:
    `Writes versioned/${MANIFEST_FILE}: each .sql file's size, time and hash. A start (up, check, plan, status) then takes\n` +
    'the hash of an applied file whose size and time are unchanged, and whose status has not changed since (ctime),\n' +
    'instead of reading the file; any other file (added, edited, copied later) is read as without it. A folder mounted\n' +
    'over versioned/ brings its own manifest or none. verify always reads every file. For an image build, as the last\n' +
    'step after the files are copied and their owner or mode set.',
  options: {},
  positionals: [0, 0],
  printsResult: () => false,
  database: () => 'none',
  async run(context) {
    const { file, files } = await context.migrator.manifest();
    return { msg: 'manifest written', outcome: 'ok', file, files };
  },
};

const baselineCommand: Command = {
  name: 'baseline',
  summary: 'record versioned migrations up to <id>, or those another tool applied (--from), as applied without running them',
  usage:
    'migrator baseline <id> | migrator baseline --from golang-migrate|dbmate|flyway|alembic|prisma|drizzle|node-pg-migrate' +
    ' | migrator baseline --from knex|typeorm|kysely --mapping FILE|--up-to N [--table [SCHEMA.]NAME]',
  details:
    'For a database whose schema was built by other means. Refuses when the history already goes that far or disagrees with the files.\n' +
    "--from TOOL  read that tool's history table (schema_migrations, flyway_schema_history, alembic_version,\n" +
    '             _prisma_migrations, drizzle.__drizzle_migrations, pgmigrations, knex_migrations, typeorm_migrations,\n' +
    '             kysely_migration; only read) and record the files that hold what it applied: for all but knex, typeorm\n' +
    '             and kysely, the files imported from it (their header line -- migrator: from TOOL <version>).\n' +
    '             Refuses, writing nothing, a failed (dirty) run, a missing table, a version no file has, or a file\n' +
    '             between them not applied by the tool; records nothing when the history already has them (' +
    docsLink('adopting.md') +
    ').\n' +
    '             Prisma: a failed run not resolved (P3009) and a file whose script lacks the recorded checksum are refused too.\n' +
    '             Drizzle: a file whose text lacks the recorded sha256, and a migration drizzle passed by, are refused too.\n' +
    '             Knex: a held knex_migrations_lock is refused; Kysely: a run under way (its advisory lock held).\n' +
    '--mapping FILE  knex, typeorm, kysely: lines "<their migration name> <versioned file name or id>" (# comments),\n' +
    '             in the order of the files; every migration the tool applied needs its line\n' +
    '--up-to N    knex, typeorm, kysely: versioned files 1..N hold everything the tool applied\n' +
    "--table [SCHEMA.]NAME  knex, typeorm, kysely: the tool's table, when its configuration moved it (TypeORM's default\n" +
    '             name, migrations, is taken by this history: rename it to typeorm_migrations first)',
  options: { from: { type: 'string' }, mapping: { type: 'string' }, 'up-to': { type: 'string' }, table: { type: 'string' } },
  positionals: [0, 1],
  printsResult: () => false,
  database: () => 'writes',
  async run(context) {
    const { from, mapping, table } = context.values;
    const upTo = context.values['up-to'];
    const id = context.positionals[0];
    if ((from === undefined) === (id === undefined)) throw new ConfigError('give an <id> or --from <tool> (not both)');
    if (from === undefined && [mapping, upTo, table].some((value) => value !== undefined))
      throw new ConfigError('--mapping, --up-to and --table go with --from knex|typeorm|kysely');
    const recorded =
      typeof from === 'string'
        ? await context.migrator.baselineFrom(from, {
            ...(mapping !== undefined && { mapping: String(mapping) }),
            ...(upTo !== undefined && { upTo: wholeNumber(String(upTo), '--up-to') }),
            ...(table !== undefined && { table: String(table) }),
          })
        : await context.migrator.baseline(wholeNumber(id, '<id>'));
    if (recorded.length === 0)
      return { msg: 'baseline: the history already records every migration the tool applied', outcome: 'up-to-date', recorded: 0 };
    return { msg: 'baseline recorded', outcome: 'ok', recorded: recorded.length };
  },
};

const importCommand: Command = {
  name: 'import',
  summary:
    'convert a folder of golang-migrate, dbmate, Flyway, Prisma, Drizzle or node-pg-migrate migrations into versioned/ and versioned/down/',
  usage: 'migrator import --from golang-migrate|dbmate|flyway|prisma|drizzle|node-pg-migrate <folder>',
  details:
    "Writes versioned/<n>_<title>.sql (and its down file) with ids 1..N in the tool's order; each file's header\n" +
    'names the migration it came from (-- migrator: from TOOL <version> (<files>)), which baseline --from matches.\n' +
    'Prints each new file and where it came from. Needs an empty versioned/; never overwrites a file.\n' +
    "Flyway: R__<description>.sql files become repeatable/<NNN>_<description>.sql, numbered in tens in Flyway's order.\n" +
    `Alembic revisions are Python: write their SQL in versioned files by hand (${docsLink('adopting.md')}).\n` +
    'Prisma: each <timestamp>_<name>/migration.sql becomes versioned/<n>_<timestamp>_<name>.sql (no down files).\n' +
    'Drizzle: each journal entry <NNNN>_<tag>.sql (or 1.0 folder <timestamp>_<name>/) becomes versioned/<n>_<NNNN>_<tag>.sql.\n' +
    'node-pg-migrate: each <timestamp>_<name>.sql is split at -- Down Migration; JavaScript/TypeScript files are refused.',
  options: { from: { type: 'string' } },
  positionals: [1, 1],
  printsResult: () => true,
  database: () => 'none',
  async run(context) {
    if (typeof context.values.from !== 'string')
      throw new ConfigError('import needs --from golang-migrate, dbmate, flyway, prisma, drizzle or node-pg-migrate', '--from');
    const imported = await context.migrator.importFrom(context.values.from, context.positionals[0]);
    context.print(
      imported.map(({ file, downFile, sources }) => `${file}${downFile ? ` + ${downFile}` : ''}  <-  ${sources.join(', ')}\n`).join(''),
    );
    return { msg: 'migrations imported', outcome: 'ok', imported: imported.length };
  },
};

const rollbackCommand: Command = {
  name: 'rollback',
  summary: 'run down files newest first and remove their history rows (destructive: needs --yes)',
  usage: 'migrator rollback [--steps N | --to <id>] [--yes]',
  details:
    '--steps N   roll back the last N applied migrations (default 1)\n--to <id>   roll back every applied migration above <id>\n--yes       do it without asking (a person on a terminal is asked instead)\nRefuses, changing nothing, when a down file (versioned/down/<file name>) is missing, is not a regular file\n(a FIFO is never opened) or is a link leading outside the migrations folder.',
  options: { steps: { type: 'string' }, to: { type: 'string' }, yes: { type: 'boolean' } },
  positionals: [0, 0],
  printsResult: () => false,
  database: () => 'writes',
  async run(context) {
    const { steps, to, yes } = context.values;
    if (steps !== undefined && to !== undefined) throw new ConfigError('give --steps or --to, not both');
    const target: RollbackTarget =
      to !== undefined
        ? { to: wholeNumber(String(to), '--to') }
        : { steps: steps === undefined ? 1 : wholeNumber(String(steps), '--steps') };
    if (!yes) {
      const what = 'to' in target ? `every migration above version ${target.to}` : `the last ${target.steps} migration(s)`;
      if (!context.confirm) throw new ConfigError(`rollback is destructive: pass --yes to roll back ${what}`);
      if (!(await context.confirm(`Roll back ${what} of ${context.config.connection.database}? [y/N] `))) {
        return { msg: 'rollback cancelled', outcome: 'cancelled' };
      }
    }
    const rolledBack = await context.migrator.rollback(target);
    return { msg: 'rollback finished', outcome: 'ok', rolledBack };
  },
};

const lintCommand: Command = {
  name: 'lint',
  summary:
    'flag versioned migrations that are not safe to run twice or that break the release still running, repeatable files that cannot run again, and run squawk over them',
  usage: 'migrator lint [file ...] [--since ID] [--json]',
  details:
    'Checks every versioned migration, only the files given, or those after --since ID (the release being built).\n' +
    'Every repeatable file is checked too (also with --since): CREATE OR REPLACE, or a DROP ... IF EXISTS before\n' +
    'a CREATE, no tables, types or data.\n' +
    'Flags DDL without IF [NOT] EXISTS or OR REPLACE, and renames, new types and new constraints outside a DO block;\n' +
    'outside post-deploy migrations, what breaks the release still running in a rolling deploy (dropping or renaming\n' +
    'a table or column, a type change, NOT NULL without a default, dropping a default); squawk adds its rules for\n' +
    'dangerous operations. Exit 0 when nothing is found, 6 otherwise. Needs the dev dependencies libpg-query and squawk-cli.',
  options: { ...json, since: { type: 'string' } },
  positionals: [0, Number.POSITIVE_INFINITY],
  printsResult: () => true,
  database: () => 'none',
  async run(context) {
    const since = context.values.since === undefined ? undefined : wholeNumber(String(context.values.since), '--since');
    if (since !== undefined && context.positionals.length > 0) throw new ConfigError('give files or --since, not both', '--since');
    const show = (report: LintReport) => context.print(context.values.json ? formatJson(report.findings) : formatLint(report));
    const report = await context.migrator.lint({ files: context.positionals, since }).catch((error: unknown) => {
      if (error instanceof LintFindingsError) show(error.lint);
      throw error;
    });
    show(report);
    return { msg: 'lint found no problems', outcome: 'ok', files: report.files };
  },
};

const convergeCommand: Command = {
  name: 'converge',
  summary: 'check that databases from earlier releases (SQL dumps) end at the schema of a fresh install',
  usage: 'migrator converge [dump.sql ...] [--json]',
  details:
    'Builds a fresh database with up, restores each dump (with psql) into another database and runs up,\n' +
    'compares each schema with the fresh one, and checks that a second up changes nothing.\n' +
    'The scratch databases are created on the server of DATABASE_URL (CREATEDB needed) and always dropped;\n' +
    'MIGRATOR_IGNORE_TABLES leaves tables out of the comparison. Exit 0 when all converge, 8 when not.',
  options: json,
  positionals: [0, Number.POSITIVE_INFINITY],
  printsResult: () => true,
  database: () => 'writes',
  async run(context) {
    const show = (report: ConvergenceReport) => context.print(context.values.json ? formatJson(report) : formatConvergence(report));
    const report = await context.migrator.converge(context.positionals).catch((error: unknown) => {
      if (error instanceof SchemasDifferError) show(error.convergence);
      throw error;
    });
    show(report);
    return { msg: 'every database converges to the fresh install', outcome: 'converged', databases: report.results.length };
  },
};

const generateCommand: Command = {
  name: 'generate',
  summary: 'write the next versioned migration from the difference between the declared tables and the versioned history',
  usage: 'migrator generate <slug> [--from dump.sql] [--scratch docker [--scratch-image postgres:17]] | migrator generate --check [...]',
  details:
    'Builds two scratch databases on the server of DATABASE_URL (CREATEDB needed; always dropped): the versioned\n' +
    "phase alone on --from (the latest release's dump) or on an empty database, and the table-creation phase alone\n" +
    'on an empty database. Writes versioned/<next id>_<slug>.sql and its down file with guarded DDL for every\n' +
    'difference; drops, type changes and possible renames come out commented under a REVIEW line (exit 9).\n' +
    'MIGRATOR_IGNORE_TABLES leaves tables out of the comparison.\n' +
    '--check         write nothing; exit 6 when the declared tables and the versioned history disagree.\n' +
    '--scratch docker  make them in a throwaway PostgreSQL container instead (Docker needed; always removed;\n' +
    '                no DATABASE_URL needed); --scratch-image picks its image (default ' +
    DEFAULT_SCRATCH_IMAGE +
    ').\n' +
    'Needs the dev dependencies @pgkit/migra, @pgkit/schemainspect, libpg-query (and for docker @testcontainers/postgresql).',
  options: { from: { type: 'string' }, check: { type: 'boolean' }, scratch: { type: 'string' }, 'scratch-image': { type: 'string' } },
  positionals: [0, 1],
  printsResult: () => true,
  database: (values) => (values.scratch === 'docker' ? 'none' : 'writes'),
  async run(context) {
    const check = context.values.check === true;
    const slug = context.positionals[0];
    if (check === (slug !== undefined)) throw new ConfigError('give a slug, or --check (not both)');
    const from = typeof context.values.from === 'string' ? context.values.from : undefined;
    const scratch = context.values.scratch ?? 'server';
    if (scratch !== 'server' && scratch !== 'docker')
      throw new ConfigError(`--scratch must be server or docker (got "${String(scratch)}")`, '--scratch');
    const scratchImage = typeof context.values['scratch-image'] === 'string' ? context.values['scratch-image'] : undefined;
    if (scratchImage !== undefined && scratch !== 'docker')
      throw new ConfigError('--scratch-image needs --scratch docker', '--scratch-image');
    const showDifferences = (differences: string[]) => context.print(differences.map((statement) => `${statement.trim()}\n`).join(''));
    const showFiles = (result: GenerateResult) => context.print(`${result.file}\n${result.downFile}\n`);
    const result = await context.migrator.generate({ slug, from, check, scratch, scratchImage }).catch((error: unknown) => {
      if (error instanceof DeclarationsDifferError) showDifferences(error.differences);
      if (error instanceof NeedsReviewError) showFiles(error.result);
      throw error;
    });
    if (check) {
      showDifferences(result.differences);
      return { msg: 'the declared tables and the versioned history agree', outcome: 'ok' };
    }
    if (!result.file) return { msg: 'nothing to generate: the declared tables and the versioned history agree', outcome: 'up-to-date' };
    showFiles(result);
    return { msg: 'migration generated', outcome: 'ok', file: result.file, downFile: result.downFile };
  },
};

const fleetCommand: Command = {
  name: 'fleet',
  summary: "run up, check, plan or status on every tenant: a schema of DATABASE_URL's database or a database on its server",
  usage:
    'migrator fleet up|check|plan|status (--targets-sql QUERY | --targets-file FILE) [--parallel N] [--canary K] [--max-failures F] [--shard I/N] [--post-deploy] [--sql] [--json] [--wait]',
  details:
    'The same pipeline per target, each with its own history, declared tables and lock; the files are read and checked once,\n' +
    `before any target is touched. One log line per target, then a summary (${docsLink('fleet.md')}). Exit 0 when every target\n` +
    'succeeded (check: is current); otherwise the code of its targets that a retry is least likely to fix.\n' +
    "--targets-sql QUERY  a query on DATABASE_URL's database (read-only) returning one column, named schema or database\n" +
    '--targets-file FILE  one schema:NAME or database:NAME per line (# comments)\n' +
    `--parallel N         targets at once, each on a connection of its own (default ${FLEET_DEFAULTS.parallel})\n` +
    '--canary K           run the first K targets alone first; a failure among them starts no other\n' +
    '--max-failures F     failures tolerated before no new target starts; running ones finish (default 0)\n' +
    '--shard I/N          only the targets whose stable hash falls in shard I of N (an Indexed Job: $(JOB_COMPLETION_INDEX)/N)\n' +
    '--post-deploy        up and plan: post-deploy migrations too\n' +
    '--sql, --json        plan: with the SQL; status and plan: as JSON\n' +
    '--wait               check, plan and status: with no DATABASE_URL or PG* variable set (libpq defaults), wait for the\n' +
    '                     database up to MIGRATOR_WAIT_TIMEOUT as up does, instead of trying once',
  options: {
    'targets-sql': { type: 'string' },
    'targets-file': { type: 'string' },
    parallel: { type: 'string' },
    canary: { type: 'string' },
    'max-failures': { type: 'string' },
    shard: { type: 'string' },
    'post-deploy': { type: 'boolean' },
    sql: { type: 'boolean' },
    ...json,
    ...waitOption,
  },
  positionals: [1, 1],
  printsResult: (_values, positionals) => positionals[0] === 'status' || positionals[0] === 'plan',
  database: (_values, positionals) => (positionals[0] === 'up' ? 'writes' : 'reads'),
  async run(context) {
    const action = context.positionals[0];
    if (!(FLEET_ACTIONS as readonly string[]).includes(action)) {
      throw new ConfigError(`fleet needs one of ${FLEET_ACTIONS.join(', ')} (got "${action}")`, 'fleet');
    }
    const { values } = context;
    const text = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
    const count = (name: string, least: number) => {
      const given = text(name);
      if (given === undefined) return undefined;
      const value = wholeNumber(given, `--${name}`);
      if (value < least) throw new ConfigError(`--${name} must be at least ${least} (got ${value})`, `--${name}`);
      return value;
    };
    if (values['post-deploy'] && (action === 'check' || action === 'status')) {
      throw new ConfigError(`--post-deploy is for fleet up and fleet plan`, '--post-deploy');
    }
    const shard = text('shard');
    let failed = 0;
    const onTarget = (result: TargetResult, done: number, total: number) => {
      const exitCode = result.error ? exitCodeFor(result.error) : undefined;
      const fields = targetFields(result, exitCode);
      if (result.outcome === 'failed') {
        failed++;
        context.logger.error(fields, targetMessage(result));
      } else if (result.outcome === 'pending' && action === 'check') context.logger.warn(fields, targetMessage(result));
      else context.logger.info(fields, targetMessage(result));
      context.showLive?.(`targets ${done}/${total}, ${failed} failed`);
    };
    const show = (report: FleetReport) => {
      if (action === 'status') {
        const status = fleetStatus(report);
        context.print(values.json ? formatJson(status) : formatFleetStatus(status));
      } else if (action === 'plan') {
        // An Error serializes as {}: its message stands in for it.
        const results = report.results.map(({ error, ...result }) => ({ ...result, ...(error && { error: error.message }) }));
        context.print(values.json ? formatJson(results) : formatFleetPlan(report, values.sql === true));
      }
    };
    const report = await context.migrator
      .fleet(action as FleetAction, {
        targetsSql: text('targets-sql'),
        targetsFile: text('targets-file'),
        parallel: count('parallel', 1),
        canary: count('canary', 0),
        maxFailures: count('max-failures', 0),
        shard: shard === undefined ? undefined : parseShard(shard),
        postDeploy: values['post-deploy'] === true,
        onTarget,
      })
      .catch((error: unknown) => {
        context.showLive?.(undefined);
        if (error instanceof FleetFailedError) show(error.fleet);
        throw error;
      });
    context.showLive?.(undefined);
    show(report);
    return { msg: `fleet ${action} finished`, outcome: 'ok', ...fleetSummary(report) };
  },
};

export const COMMANDS: Command[] = [
  up,
  statusCommand,
  checkCommand,
  planCommand,
  driftCommand,
  historyCommand,
  verifyCommand,
  newCommand,
  renumberCommand,
  manifestCommand,
  baselineCommand,
  importCommand,
  rollbackCommand,
  lintCommand,
  convergeCommand,
  generateCommand,
  fleetCommand,
];

/** The outcome of plan and status, by the rule check exits with: "pending" whenever the schema is not current. */
function outcomeOf(plan: Plan): 'up-to-date' | 'pending' {
  return whyNotCurrent(plan) === undefined ? 'up-to-date' : 'pending';
}

/** --schema NAME or --database NAME: one tenant, as `fleet` runs it. */
function oneTarget(values: CommandContext['values']): Target | undefined {
  const { schema, database } = values;
  if (schema !== undefined && database !== undefined) throw new ConfigError('give --schema or --database, not both', '--schema');
  if (schema !== undefined) return { kind: 'schema', name: String(schema) };
  if (database !== undefined) return { kind: 'database', name: String(database) };
  return undefined;
}

function wholeNumber(text: string, what: string): number {
  if (!/^\d+$/.test(text)) throw new ConfigError(`${what} must be a whole number (got "${text}")`);
  return Number(text);
}
