/**
 * Masking never corrupts output. The same runs (a successful up, a failing one, plan --sql,
 * status --json, a refused login, configuration errors; the URL in DATABASE_URL or in --url) with passwords that are common words,
 * very short, long and random, or full of characters that JSON and URLs escape, print exactly
 * what they print with another random password, masks included, and never the password.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { runMigrator } from '../support/cli';
import { createDatabase, type TestDatabase } from '../support/database';
import { tempMigrations, type TempMigrations } from '../support/fixtures';

function randomPassword(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(length), (byte) => alphabet[byte % alphabet.length]).join('');
}

const REFERENCE = randomPassword(30);
const PASSWORDS = ['postgres', 'info', 'app', 'x', 'ro', randomPassword(30), 'p"a\\ss%w@r/d:1'];
/** Passwords that never occur by chance, so they must not occur at all. */
const NEVER_BY_CHANCE = (password: string) => password.length >= 12 || /\W/.test(password);

// Words with the short passwords inside them, as user files and tool output have them.
const TABLE = 'CREATE TABLE accounts (id int PRIMARY KEY, application text, x_coord int, rollout text);\n';
const MARKED = `-- postgres-migrations disable-transaction
CREATE INDEX IF NOT EXISTS accounts_application ON accounts (application);
SELECT count(*) FROM information_schema.tables WHERE table_name = 'accounts';
`;
const BACKUP = `printf 'pw=%s\\n' "$PGPASSWORD" >&2; echo "dump of $PGDATABASE by $PGUSER to /backups/app-x.dump (information, rollout)" >&2`;

interface Output {
  run: string;
  code: number | null;
  stdout: string;
  stderr: string;
  terminationMessage: string;
}

describe('redaction', () => {
  const id = randomBytes(4).toString('hex');
  const role = `redact_${id}`;
  const database = `redact_${id}_db`;
  let admin: TestDatabase;
  let migrations: TempMigrations;
  let terminationLog: string;
  let reference: Output[];

  beforeAll(async () => {
    admin = await createDatabase();
    await admin.query(`CREATE ROLE ${role} LOGIN`);
    migrations = tempMigrations();
    terminationLog = path.join(migrations.dir, '..', `termination-${id}`);
    reference = await outputsWith(REFERENCE);
  });
  afterAll(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.query(`DROP ROLE IF EXISTS ${role}`);
    await admin.drop();
    migrations.remove();
    rmSync(terminationLog, { force: true });
  });

  /** Every run of the matrix against a new database, as a role with this password. */
  async function outputsWith(password: string): Promise<Output[]> {
    const literal = `'${password.replace(/'/g, "''")}'`;
    await admin.query(`ALTER ROLE ${role} PASSWORD ${literal}`);
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${database} OWNER ${role}`);
    rmSync(path.join(migrations.dir, 'versioned', '2_secret_check.sql'), { force: true });
    migrations.write('tables/010_accounts.sql', TABLE);
    migrations.write('versioned/1_app_settings.sql', MARKED);

    const url = (user: string) => `postgres://${user}:${encodeURIComponent(password)}@${admin.host}:${admin.port}/${database}`;
    const env = {
      DATABASE_URL: url(role),
      MIGRATIONS_DIR: migrations.dir,
      MIGRATOR_BACKUP_COMMAND: BACKUP,
      MIGRATOR_TERMINATION_LOG: terminationLog,
    };
    const outputs: Output[] = [];
    const run = async (label: string, args: string[], extra: Record<string, string | undefined> = {}) => {
      rmSync(terminationLog, { force: true });
      const result = await runMigrator(args, { env: { ...env, ...extra } });
      let terminationMessage = '';
      try {
        terminationMessage = readFileSync(terminationLog, 'utf8');
      } catch {
        // a successful run writes none
      }
      outputs.push({ run: label, code: result.code, stdout: result.stdout, stderr: result.stderr, terminationMessage });
    };

    await run('plan --sql', ['plan', '--sql']);
    await run('status --json', ['status', '--json']);
    await run('up', ['up']);
    // The server's error quotes the password back, from a file that holds it.
    migrations.write('versioned/2_secret_check.sql', `SELECT ${literal}::int;\n`);
    await run('plan --sql, a file with the password', ['plan', '--sql']);
    await run('status --json, a file with the password', ['status', '--json']);
    await run('failing up', ['up']);
    await run('refused login', ['up'], { DATABASE_URL: url(`nobody_${id}`) });
    await run('config error quoting the password', ['up'], { MIGRATOR_ON_AHEAD: password });
    await run('config error with its example URL', ['up'], {
      DATABASE_URL: `${url(role).replace(`:${admin.port}/`, ':port/')}`,
      PGPASSWORD: password,
    });
    await run('config error listing the values it takes', ['up'], { LOG_LEVEL: 'loud' });
    await run('misspelled variable', ['up'], { MIGRATOR_LOCK_TIMOUT: '5' });
    await run('unknown URL parameter', ['up'], { DATABASE_URL: `${url(role)}?sslmod=require` });
    // A pasting mistake: the URL's own password, quoted back by the errors about its query.
    await run('sslmode quoting the password', ['up'], { DATABASE_URL: `${url(role)}?sslmode=${encodeURIComponent(password)}` });
    await run('unknown URL parameter quoting the password', ['up'], { DATABASE_URL: `${url(role)}?${encodeURIComponent(password)}=1` });
    // The same URLs typed on the command line (--url, -d) instead of DATABASE_URL.
    const typed = { DATABASE_URL: undefined };
    await run('failing up, --url', ['up', '--url', url(role)], typed);
    await run('refused login, -d', ['-d', url(`nobody_${id}`), 'up'], typed);
    await run('sslmode quoting the password, --url', ['up', `--url=${url(role)}?sslmode=${encodeURIComponent(password)}`], typed);
    await run('unknown URL parameter quoting the password, -d', ['up', '-d', `${url(role)}?${encodeURIComponent(password)}=1`], typed);
    return outputs;
  }

  /** Times, durations and memory differ from run to run. */
  const normalize = (text: string) =>
    text.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<time>').replace(/"(durationMs|peakRssMb|waitedMs)":\d+/g, '"$1":0');

  test('the reference run itself: every run ends as expected, with the password masked where it was injected', () => {
    expect(reference.map(({ run, code }) => [run, code])).toEqual([
      ['plan --sql', 0],
      ['status --json', 0],
      ['up', 0],
      ['plan --sql, a file with the password', 0],
      ['status --json, a file with the password', 0],
      ['failing up', 1],
      ['refused login', 4],
      ['config error quoting the password', 2],
      ['config error with its example URL', 2],
      ['config error listing the values it takes', 2],
      ['misspelled variable', 2],
      ['unknown URL parameter', 2],
      ['sslmode quoting the password', 2],
      ['unknown URL parameter quoting the password', 2],
      ['failing up, --url', 1],
      ['refused login, -d', 4],
      ['sslmode quoting the password, --url', 2],
      ['unknown URL parameter quoting the password, -d', 2],
    ]);
    const all = reference.map((output) => output.stdout + output.stderr + output.terminationMessage).join('\n');
    expect(all).not.toContain(REFERENCE);
    expect(all).toContain('pw=[REDACTED]');
    expect(all).toContain(`SELECT '[REDACTED]'::int;`);
    expect(all).toContain('invalid input syntax for type integer: \\"[REDACTED]\\"');
    expect(all).toContain('(got \\"[REDACTED]\\")');
    expect(all).toContain('DATABASE_URL: parameter [REDACTED] is not a libpq connection parameter');
    expect(all).toContain('--url: parameter [REDACTED] is not a libpq connection parameter');
    // Files without the password are printed byte for byte.
    expect(reference[0].stdout).toContain(`${TABLE.trimEnd()}\n`);
    expect(reference[0].stdout).toContain(`${MARKED.trimEnd()}\n`);
  });

  test.each(PASSWORDS)('password %j: output equal to the reference run, and without the password', async (password) => {
    const outputs = await outputsWith(password);

    for (const [index, output] of outputs.entries()) {
      const expected = reference[index];
      const label = `${output.run} with ${JSON.stringify(password)}`;
      expect({
        label,
        code: output.code,
        stdout: normalize(output.stdout),
        stderr: normalize(output.stderr),
        terminationMessage: normalize(output.terminationMessage),
      }).toEqual({
        label,
        code: expected.code,
        stdout: normalize(expected.stdout),
        stderr: normalize(expected.stderr),
        terminationMessage: normalize(expected.terminationMessage),
      });
      // Every log line is JSON with the reference's keys, whatever the password.
      const logLines = (text: string) => text.split('\n').filter((line) => line.startsWith('{"level"'));
      const keys = (text: string) => logLines(text).map((line) => Object.keys(JSON.parse(line) as object));
      expect(keys(output.stdout + output.stderr)).toEqual(keys(expected.stdout + expected.stderr));

      const printed = output.stdout + output.stderr + output.terminationMessage;
      for (const leak of [`pw=${password}`, `'${password}'`, `got "${password}"`, `got \\"${password}\\"`, `integer: \\"${password}`]) {
        expect(printed).not.toContain(leak);
      }
      if (NEVER_BY_CHANCE(password)) {
        for (const form of [password, JSON.stringify(password).slice(1, -1), encodeURIComponent(password)])
          expect(printed).not.toContain(form);
      }
    }
  });
});
