/**
 * MIGRATOR_BACKUP_COMMAND is handed the password (pg_dump needs it): whatever it prints passes
 * through the same masking as our own output, and it gets exactly the connection we use.
 */
import { createRedactor, lineRedactor } from '../../src/redact';
import { runMigrator, summaryLine } from '../support/cli';
import type { TestDatabase } from '../support/database';
import { withFreshDatabase } from '../support/fresh';

// Long and with characters that JSON and URLs escape, so it is masked wherever it occurs.
const PASSWORD = 'backup "pw" w/ 100% @ :';

describe('the backup command', () => {
  let db: TestDatabase;
  let env: Record<string, string>;
  withFreshDatabase('basic', (fresh) => ({ db, env } = fresh));
  beforeEach(async () => {
    const role = `backup_${db.name}`;
    await db.query(
      `CREATE ROLE ${role} LOGIN PASSWORD '${PASSWORD}'; ALTER DATABASE ${db.name} OWNER TO ${role}; GRANT ALL ON SCHEMA public TO ${role}`,
    );
    env = { ...env, DATABASE_URL: `postgres://${role}:${encodeURIComponent(PASSWORD)}@${db.host}:${db.port}/${db.name}` };
  });

  test('a failing command that prints the password: exit 7, the password masked on stderr', async () => {
    const result = await runMigrator(['up'], { env: { ...env, MIGRATOR_BACKUP_COMMAND: 'printf "pw=%s\\n" "$PGPASSWORD" >&2; exit 3' } });

    expect(result.code).toBe(7);
    expect(summaryLine(result).msg).toMatch(/the backup command failed \(exit 3\)/);
    expect(result.stderr).toBe('pw=[REDACTED]\n');
    expect(result.stdout).not.toContain(PASSWORD);
  });

  test('stdout and stderr, split across writes, are masked line by line and go to stderr', async () => {
    // The password reaches the pipe in two writes, the second line without a newline.
    const command = `printf 'out: %s' "\${PGPASSWORD%%w/*}"; sleep 0.2; printf '%s\\n' "w/\${PGPASSWORD#*w/}"; printf 'err: %s' "$PGPASSWORD" >&2`;

    const result = await runMigrator(['up'], { env: { ...env, MIGRATOR_BACKUP_COMMAND: command } });

    expect(result.code).toBe(0);
    expect(result.stderr.split('\n').sort()).toEqual(['err: [REDACTED]', 'out: [REDACTED]']);
    expect(result.lines.every((line) => !('raw' in line))).toBe(true);
  });

  test('a line over 64 KiB, written in two parts that split the password, is masked at every split', async () => {
    // Each line: 65,530 x, a pause, 6 x and the password's first `split` characters (the line now
    // passes 64 KiB), a pause, the password's rest.
    const splits = [1, 2, 7, 12, PASSWORD.length - 1];
    const lines = splits.map(
      (split) =>
        `head -c 65530 /dev/zero | tr '\\0' x; sleep 0.2; printf xxxxxx; printf '%s' "$PGPASSWORD" | cut -c1-${split} | tr -d '\\n'; ` +
        `sleep 0.2; printf '%s\\n' "$PGPASSWORD" | cut -c${split + 1}-`,
    );

    const result = await runMigrator(['up'], { env: { ...env, MIGRATOR_BACKUP_COMMAND: lines.join('; ') } });

    expect(result.code).toBe(0);
    expect(result.stderr.split('\n')).toEqual([...splits.map(() => `${'x'.repeat(65536)}[REDACTED]`), '']);
  });

  test('it gets the connection as PG* variables, and none of ours that could point elsewhere', async () => {
    const command = `env | grep -E '^(PG|DATABASE_URL)' | sort`;

    const result = await runMigrator(['up'], {
      env: { ...env, MIGRATOR_BACKUP_COMMAND: command, PGHOST: 'elsewhere.invalid', PGDATA: '/var/lib/postgresql/data' },
    });

    expect(result.code).toBe(0);
    expect(result.stderr.trim().split('\n')).toEqual([
      'PGAPPNAME=pg-init-migrator-backup',
      `PGDATABASE=${db.name}`,
      `PGHOST=${db.host}`,
      'PGPASSWORD=[REDACTED]',
      `PGPORT=${db.port}`,
      'PGSSLMODE=disable',
      `PGUSER=backup_${db.name}`,
    ]);
  });
});

describe('lineRedactor', () => {
  const LONG = 64 * 1024;
  function masked(secret: string, chunks: string[]): string {
    let out = '';
    const output = lineRedactor(createRedactor([secret]), (text) => (out += text));
    for (const chunk of chunks) output.write(Buffer.from(chunk));
    output.end();
    return out;
  }

  test.each([PASSWORD, 'Zq8rTw2mVx7pLk', 'app'])('a line over 64 KiB is masked whatever the chunks: %p', (secret) => {
    const line = `${'x'.repeat(LONG - 5)} ${secret} application ${'y'.repeat(LONG)} ${secret}\n`;
    const expected = `${'x'.repeat(LONG - 5)} [REDACTED] application ${'y'.repeat(LONG)} [REDACTED]\n`;
    const first = line.indexOf(secret);
    const second = line.lastIndexOf(secret);
    for (const at of [
      first - 3,
      first,
      first + 1,
      first + secret.length - 1,
      first + secret.length + 4,
      second + 1,
      second + secret.length,
    ]) {
      expect(masked(secret, [line.slice(0, at), line.slice(at)])).toBe(expected);
    }
    for (const size of [1000, 4096, 65536, 65537]) {
      const chunks = Array.from({ length: Math.ceil(line.length / size) }, (_, index) => line.slice(index * size, (index + 1) * size));
      expect(masked(secret, chunks)).toBe(expected);
    }
  });

  test('a line is passed on whole as soon as it ends, a secret at its very end or start included', () => {
    const writes: string[] = [];
    const output = lineRedactor(createRedactor([PASSWORD]), (text) => writes.push(text));
    const lines = [`out: ${PASSWORD}\n`, `${PASSWORD}\n`, `${PASSWORD} x\n`, `pw=${PASSWORD}.\n`];
    for (const line of lines) {
      const split = line.indexOf('w/');
      output.write(Buffer.from(line.slice(0, split)));
      output.write(Buffer.from(line.slice(split)));
    }

    expect(writes).toEqual(['out: [REDACTED]\n', '[REDACTED]\n', '[REDACTED] x\n', 'pw=[REDACTED].\n']);
  });

  test('a URL with credentials that straddles a split is masked too', () => {
    const line = `${'x'.repeat(LONG + 10)} postgres://u:hunter2hunter2@db/app\n`;
    const at = line.indexOf('hunter2') + 3;
    expect(masked('unrelated-secret', [line.slice(0, at), line.slice(at)])).toBe(
      `${'x'.repeat(LONG + 10)} postgres://u:[REDACTED]@db/app\n`,
    );
  });

  test('a line that is nothing but overlapping secrets, past the bound, is cut and masked, never passed on', () => {
    const out = masked('abab', ['ab'.repeat(3 * LONG)]);
    expect(out).not.toContain('abab');
    expect(out).toMatch(/^(\[REDACTED\])+(ab?)?$/);
  });
});
