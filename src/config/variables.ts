/**
 * Every environment variable the migrator reads, with its default and meaning: the one table that
 * the check for misspelled variables uses and that docs/configuration.md is generated from
 * (npm run docs; a test fails when the page is stale). Text is Markdown.
 */

export interface Variable {
  /** One row may document several variables that go together. */
  names: string[];
  /** What applies when it is not set ('' for nothing). */
  default: string;
  meaning: string;
}

export const VARIABLES: readonly Variable[] = [
  {
    names: ['DATABASE_URL'],
    default: '',
    meaning:
      "`postgres://user:password@host:port/database?sslmode=...`; parts it leaves out come from the `PG*` variables. Its parameters are libpq's, read as libpq reads them: `host`, `port`, `user`, `password`, `dbname`, `sslmode`, `sslrootcert`, `sslcert`, `sslkey`, `application_name`, `options`, `connect_timeout`, `passfile`; they win over the variables. Any other parameter is refused (exit 2, with the closest name: `?sslmod=require` is not taken for plain text). As in libpq, `user:password@` runs up to the first `@` before any `/`, so a password may hold `?`, `#` or `:` as they are; a URL with any other `@` (a password holding `/` or `@`) is refused (exit 2) without echoing any of it: percent-encode the password (`/` as `%2F`, `@` as `%40`, `%` as `%25`)",
  },
  {
    names: ['DATABASE_URL_FILE'],
    default: '',
    meaning: 'read `DATABASE_URL` from this file (Docker/Kubernetes secrets); not together with `DATABASE_URL`',
  },
  {
    names: ['PGHOST'],
    default: '`localhost`',
    meaning: 'host name, or a socket folder; one host (a list is refused)',
  },
  {
    names: ['PGPORT'],
    default: '`5432`',
    meaning: 'port',
  },
  {
    names: ['PGUSER'],
    default: '`postgres`',
    meaning: 'user',
  },
  {
    names: ['PGPASSWORD'],
    default: '',
    meaning: 'password',
  },
  {
    names: ['PGPASSWORD_FILE'],
    default: '',
    meaning: 'read the password from this file; not together with `PGPASSWORD`',
  },
  {
    names: ['PGPASSFILE'],
    default: '`~/.pgpass`',
    meaning:
      'a libpq password file, read at start when no password is given otherwise (`DATABASE_URL`, `PGPASSWORD`, `PGPASSWORD_FILE`): the first `host:port:database:user:password` line that matches, `*` matching anything. A file named here must exist; like libpq, the migrator refuses one that group or others may read (exit 2)',
  },
  {
    names: ['PGDATABASE'],
    default: 'the user name',
    meaning: 'database',
  },
  {
    names: ['PGSSLMODE'],
    default: '`disable` (`verify-full` with `sslrootcert=system`)',
    meaning:
      '`disable`, `allow`, `prefer` (these three connect without TLS: node-postgres cannot fall back), `require` (TLS; as in libpq, the certificate chain is checked when a root certificate is there, the host name is not), `verify-ca` (checks the chain), `verify-full` (checks the chain and host name). As in libpq, `verify-ca` and `verify-full` need a root certificate: without one they are refused (exit 2)',
  },
  {
    names: ['PGSSLROOTCERT', 'PGSSLCERT', 'PGSSLKEY'],
    default: '`~/.postgresql/root.crt`, `postgresql.crt`, `postgresql.key` when they exist',
    meaning:
      "CA bundle, client certificate and key files for TLS. `PGSSLROOTCERT=system` (or `sslrootcert=system`) trusts the system's roots, as libpq 16 does, and then only `verify-full` is accepted",
  },
  {
    names: ['PGAPPNAME'],
    default: '`pg-init-migrator`',
    meaning: '`application_name`, shown in `pg_stat_activity`',
  },
  {
    names: ['PGOPTIONS'],
    default: '',
    meaning: "server settings for the session, as libpq's `options`: `-c search_path=app -c work_mem=64MB`",
  },
  {
    names: ['PGCONNECT_TIMEOUT'],
    default: '`10`',
    meaning:
      "seconds one connection attempt may take (libpq's `connect_timeout`; 1 counts as 2, 0 means the migrator's own 10 s); attempts are retried until `MIGRATOR_WAIT_TIMEOUT`",
  },
  {
    names: ['MIGRATIONS_DIR'],
    default: '`./migrations`',
    meaning: 'folder holding `legacy/`, `tables/`, `versioned/`',
  },
  {
    names: ['MIGRATOR_WAIT_TIMEOUT'],
    default: '`60`',
    meaning:
      'seconds to keep retrying the first connection while the database starts. With no connection set at all (no `DATABASE_URL`, `DATABASE_URL_FILE`, `--url` or `PG*` variable), `status`, `plan`, `history`, `verify` and `check` try once instead, unless given `--wait`',
  },
  {
    names: ['MIGRATOR_LOCK_WAIT'],
    default: '`300`',
    meaning:
      "seconds to wait for another runner's lock before exit 5 (tried again every second at most, with short statements that hold no snapshot between tries; a server that stops answering meanwhile ends the wait with exit 4 about 20 s later, see [A server that stops answering](how-a-run-behaves.md#a-server-that-stops-answering))",
  },
  {
    names: ['MIGRATOR_LOCK_TIMEOUT'],
    default: "the server's `lock_timeout`",
    meaning:
      'seconds a migration statement may wait for a table lock (PostgreSQL `lock_timeout`); past it the step is rolled back and retried. `0` disables',
  },
  {
    names: ['MIGRATOR_LOCK_RETRIES'],
    default: '`3`',
    meaning: 'how many times a step that hit `MIGRATOR_LOCK_TIMEOUT` is tried again (after 1 s, 2 s, 4 s ... at most 10 s) before exit 1',
  },
  {
    names: ['MIGRATOR_STATEMENT_TIMEOUT'],
    default: "the server's `statement_timeout`",
    meaning:
      'seconds any statement may run (PostgreSQL `statement_timeout`, enforced by the server, for each statement of a file); past it the step fails with exit 1. `0` disables. A server that stops answering is given up on about 20 s after it stopped, with or without it (exit 4, see [A server that stops answering](how-a-run-behaves.md#a-server-that-stops-answering))',
  },
  {
    names: ['MIGRATOR_ON_AHEAD'],
    default: '`warn`',
    meaning:
      '`warn` or `fail` when the database has versioned migrations these files lack (an older image started after a newer one migrated: with `warn` it logs a warning and exits 0, the expand/contract rollback case)',
  },
  {
    names: ['MIGRATOR_ON_DRIFT'],
    default: '`ignore`',
    meaning:
      '`ignore`, `warn` or `fail`: what `up` and `check` do, before planning, when the schema differs from what the last `up` recorded (a column added by hand, an index dropped, a view or function replaced; see [Drift](drift.md)). `warn` logs the objects and carries on; `fail` refuses with them (exit 10) before anything is planned; `ignore` does not compare. `up` records the schema whatever this says',
  },
  {
    names: ['MIGRATOR_TERMINATION_LOG'],
    default: '`/dev/termination-log`',
    meaning:
      'on failure, a one-paragraph summary (what failed, where, what the exit code means; no secrets) is written here, where Kubernetes shows it in `kubectl describe pod`; skipped quietly when the file cannot be written. Read from `.env` too, like every variable. The default file is only written when it exists (the kubelet creates it), never created elsewhere',
  },
  {
    names: ['MIGRATOR_BACKUP_COMMAND'],
    default: '',
    meaning:
      'shell command run before `up` changes anything, only when it has work to do (see [Backup before change](tools.md#backup-before-change))',
  },
  {
    names: ['MIGRATOR_IGNORE_TABLES'],
    default: '',
    meaning:
      'comma-separated tables that `converge` leaves out of the comparison, and drift detection out of the schema it records (with their columns, indexes, constraints and triggers), for tables other software manages: `table` (in any schema) or `schema.table`, as the catalog spells them',
  },
  {
    names: ['LOG_LEVEL'],
    default: '`info`',
    meaning: '`trace`, `debug`, `info`, `warn`, `error`, `fatal`, `silent`',
  },
  {
    names: ['LOG_FORMAT'],
    default: '`pretty` when the logs go to a terminal, else `json`',
    meaning:
      '`json` or `pretty`; logs go to stdout, or to stderr for commands that print a result there (`status`, `plan`, `history`, `lint`, ...) and for usage and configuration errors',
  },
  {
    names: ['NO_COLOR'],
    default: '',
    meaning: 'any value but an empty one: pretty logs without colours ([no-color.org](https://no-color.org))',
  },
];

/** The names, as the check for variables that look like ours but are not reads them. */
export const CONFIG_VARIABLES: readonly string[] = VARIABLES.flatMap((variable) => variable.names);

/**
 * Variables this project's own compose files and example pipelines set beside the migrator's, for
 * the tools around it: they look like ours, so the check for misspelled variables would refuse a
 * shell or a `.env` that compose shares with the migrator. They are left alone, and never read.
 */
export const NEIGHBOUR_VARIABLES: ReadonlyArray<{ name: string; setBy: string }> = [
  { name: 'MIGRATOR_IMAGE', setBy: 'compose.yml: the tag the migrator image is built as' },
  { name: 'MIGRATIONS_IMAGE', setBy: 'the example pipelines (examples/ci/): the repository the migrations image is pushed to' },
];
