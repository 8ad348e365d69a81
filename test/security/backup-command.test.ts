/**
 * MIGRATOR_BACKUP_COMMAND is handed the password (pg_dump needs it): whatever it prints passes
 * through the same masking as our own output, and it gets exactly the connection we use.
 */
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
