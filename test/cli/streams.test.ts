/**
 * What goes where: results on stdout, usage and configuration errors on stderr, so that
 * `migrator status --json > s.json` never holds an error line; pretty logs only when the stream
 * they go to is a terminal, colours unless NO_COLOR; help for every command.
 */
import { spawnSync } from 'node:child_process';
import { CLI, NODE, runMigrator } from '../support/cli';
import type { TestDatabase } from '../support/database';
import type { TempMigrations } from '../support/fixtures';
import { withFreshDatabase } from '../support/fresh';

/** Runs the CLI under a pseudo-terminal (util-linux script): what it writes to the terminal, escapes and all. */
function onTerminal(args: string[], env: Record<string, string>, redirect = ''): string {
  const command = [NODE, CLI, ...args].map((part) => `'${part}'`).join(' ');
  const run = spawnSync('script', ['-qec', `${command} ${redirect}`, '/dev/null'], {
    env: { PATH: process.env.PATH, TERM: 'xterm', ...env },
    encoding: 'utf8',
  });
  return run.stdout;
}

// eslint-disable-next-line no-control-regex
const ESCAPES = /\u001b\[/;

describe('streams and terminals', () => {
  let db: TestDatabase;
  let migrations: TempMigrations;
  let env: Record<string, string>;
  withFreshDatabase('basic', (fresh) => ({ db, migrations, env } = fresh));

  test.each([
    ['a configuration error', ['status', '--json'], { MIGRATOR_LOCK_WAIT: 'soon' }],
    [
      'an unreachable database',
      ['status', '--json'],
      { DATABASE_URL: 'postgres://nobody:pw@127.0.0.1:1/none', MIGRATOR_WAIT_TIMEOUT: '1' },
    ],
    ['a configuration error of up', ['up'], { MIGRATOR_ON_AHEAD: 'ignore' }],
  ])('%s: stdout stays empty, the error line is on stderr', async (_case, args, extra) => {
    const result = await runMigrator(args, { env: { ...env, ...extra } });

    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/"outcome":"failed"/);
  });

  test('a usage error: stdout stays empty, the plain-text answer is on stderr', async () => {
    const result = await runMigrator(['status', '--jsn'], { env });

    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^migrator: unknown option --jsn for status \(did you mean --json\?\)/);
  });

  test('a result on stdout, the logs on stderr', async () => {
    const result = await runMigrator(['status', '--json'], { env });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ steps: expect.any(Array) });
    expect(result.stderr).toMatch(/"msg":"status"/);
  });

  test('migrator help, and help for a command; an unknown one is a usage error', async () => {
    const help = await runMigrator(['help']);
    const up = await runMigrator(['help', 'up']);
    const unknown = await runMigrator(['help', 'upp']);

    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: migrator \[command\] \[options\]/);
    expect(help.stdout).toMatch(/ {2}9 {2}a migration was generated with parts commented out for review/);
    expect(up.stdout).toMatch(/^Usage: migrator up \[--post-deploy\] \[--dry-run\]/);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe('');
  });

  test('pretty and coloured on a terminal; no colours with NO_COLOR; JSON when the logs go elsewhere', async () => {
    expect(await db.query('SELECT 1 AS up')).toEqual([{ up: 1 }]);
    const coloured = onTerminal(['up'], env);
    const plain = onTerminal(['up'], { ...env, NO_COLOR: '1' });
    // status logs to stderr: sent to a file, its lines are JSON although stdout is the terminal.
    const log = `${migrations.dir}/status.log`;
    const status = onTerminal(['status'], env, `2>'${log}'`);
    const { readFileSync } = await import('node:fs');

    expect(coloured).toMatch(/INFO/);
    expect(coloured).toMatch(ESCAPES);
    expect(plain).toMatch(/INFO.*migrator finished/);
    expect(plain).not.toMatch(ESCAPES);
    expect(status).toMatch(/the schema is current/);
    expect(JSON.parse(readFileSync(log, 'utf8').trim().split('\n').at(-1)!)).toMatchObject({ msg: 'status' });
  });

  test('on a terminal, the running step is a live line with its elapsed time; in JSON, each step says its index and the total', async () => {
    migrations.write('versioned/3_slow.sql', 'SELECT pg_sleep(3);\n');
    const screen = onTerminal(['up'], { ...env, NO_COLOR: '1' });

    expect(screen).toContain('\r\u001b[2Kapplying 5/5 versioned/3_slow.sql  0 s');
    expect(screen).toContain('\r\u001b[2Kapplying 5/5 versioned/3_slow.sql  2 s');
    expect(screen).toMatch(/INFO.*5 step\(s\) pending: legacy 0, tables 2, versioned 3/);
    expect(screen).toMatch(/INFO.*migration applied/);

    await db.query('DROP TABLE customers, orders, migrations, migrator_declared_columns');
    const json = await runMigrator(['up'], { env });
    expect(json.lines.filter((line) => String(line.msg).startsWith('applying ')).map((line) => [line.step, line.steps, line.file])).toEqual(
      [
        [1, 5, '010_customers.sql'],
        [2, 5, '020_orders.sql'],
        [3, 5, '1_orders_customer_index.sql'],
        [4, 5, '2_customers_display_name.sql'],
        [5, 5, '3_slow.sql'],
      ],
    );
  });

  test('a non-blocking stdout that a slow reader fills: every line still arrives, and the run exits 0', async () => {
    for (let id = 3; id <= 300; id++) migrations.write(`versioned/${id}_step_${id}.sql`, `SELECT ${id};\n`);
    const out = `${migrations.dir}/out.log`;
    // O_NONBLOCK set on the pipe's shared file description, as another process on the pipe may leave it.
    const nonBlocking = `import fcntl, os, sys; fcntl.fcntl(1, fcntl.F_SETFL, fcntl.fcntl(1, fcntl.F_GETFL) | os.O_NONBLOCK); os.execv(sys.argv[1], sys.argv[1:])`;
    const run = spawnSync(
      'bash',
      ['-c', `python3 -c "$0" "$@" | (sleep 3; cat > '${out}'); exit \${PIPESTATUS[0]}`, nonBlocking, NODE, CLI, 'up'],
      { env: { PATH: process.env.PATH, ...env, LOG_LEVEL: 'debug' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const { readFileSync } = await import('node:fs');

    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines.length).toBeGreaterThan(600);
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ msg: 'migrator finished', versioned: 300 });
  });
});
