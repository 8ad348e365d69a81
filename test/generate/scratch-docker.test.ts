/**
 * `migrator generate --scratch docker`: the scratch databases live in a throwaway PostgreSQL
 * container, so no server is configured (PGHOST names a host that does not exist). The container
 * is gone after every run: one that succeeds, one whose declarations fail, one stopped by SIGTERM,
 * and one whose image cannot be had.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseLines, runMigrator, startMigrator, waitForLine, type CliResult } from '../support/cli';
import { dockerOk } from '../support/docker';
import { RELEASE_DUMPS, SAMPLE_MIGRATIONS, tempMigrations, type TempMigrations } from '../support/fixtures';

const LABEL = 'io.pg-init-migrator.scratch';

describe('migrator generate --scratch docker', () => {
  let migrations: TempMigrations;
  let env: Record<string, string | undefined>;

  beforeEach(() => {
    migrations = tempMigrations(SAMPLE_MIGRATIONS);
    env = {
      MIGRATIONS_DIR: migrations.dir,
      // No server of ours: a run that tried to use the configured one would fail.
      PGHOST: 'nowhere.invalid',
      MIGRATOR_WAIT_TIMEOUT: '1',
      // How this machine's Docker engine is reached (testcontainers reads these as docker does).
      ...Object.fromEntries(Object.entries(process.env).filter(([name]) => /^(DOCKER_|TESTCONTAINERS_)/.test(name))),
      HOME: process.env.HOME,
    };
  });
  afterEach(async () => {
    migrations.remove();
    expect(await dockerOk(['ps', '--all', '--quiet', '--filter', `label=${LABEL}`])).toBe('');
  });

  const from = ['--from', RELEASE_DUMPS.v2];
  const startedContainers = (result: CliResult) =>
    parseLines(result.stderr)
      .filter((line) => line.msg === 'scratch container started')
      .map((line) => String(line.container));
  const removedContainers = (result: CliResult) =>
    parseLines(result.stderr)
      .filter((line) => line.msg === 'scratch container removed')
      .map((line) => String(line.container));
  const generate = async (args: string[]): Promise<CliResult> => {
    const result = await runMigrator(['generate', ...args, '--scratch', 'docker'], { env });
    expect(startedContainers(result)).toHaveLength(1);
    expect(removedContainers(result)).toEqual(startedContainers(result));
    return result;
  };

  test('a new column: --check fails, generate writes the migration, --check passes after', async () => {
    const table = path.join(migrations.dir, 'tables/030_tags.sql');
    migrations.write(
      'tables/030_tags.sql',
      readFileSync(table, 'utf8').replace('name text NOT NULL,', "name text NOT NULL,\n  color text NOT NULL DEFAULT 'grey',"),
    );

    const before = await generate(['--check', ...from]);
    expect(before.code).toBe(6);
    expect(before.stdout).toContain('add column "color" text not null');

    const generated = await generate(['tags_color', ...from]);
    expect(generated.code).toBe(0);
    const file = path.join(migrations.dir, 'versioned/8_tags_color.sql');
    expect(generated.stdout).toBe(`${file}\n${path.join(migrations.dir, 'versioned/down/8_tags_color.sql')}\n`);
    expect(readFileSync(file, 'utf8')).toContain(
      `alter table "public"."tags" add column if not exists "color" text not null default 'grey'::text;`,
    );

    const after = await generate(['--check', ...from]);
    expect(after.stdout).toBe('');
    expect(after.code).toBe(0);
  });

  test('declarations that fail: exit 1 naming the scratch build, container removed', async () => {
    migrations.write(
      'tables/050_broken.sql',
      'CREATE TABLE broken (id bigint PRIMARY KEY, note_id bigint REFERENCES no_such_table (id));\n',
    );

    const result = await generate(['--check', ...from]);

    expect(result.code).toBe(1);
    // The history's build runs the table phase too, as up does: it meets the broken file first.
    expect(parseLines(result.stderr).at(-1)!.msg).toMatch(/^versioned history: tables\/050_broken\.sql failed: .*no_such_table/);
  });

  test('SIGTERM while the scratch databases are built: exit 143, container removed', async () => {
    // A declared table that takes a while to create: the history's build (its table phase) is busy in the container.
    migrations.write('tables/050_slow.sql', 'CREATE TABLE slow AS SELECT pg_sleep(30)::text AS slept;\n');
    const { child, done } = startMigrator(['generate', '--check', '--scratch', 'docker', ...from], { env });
    await waitForLine(child, (line) => line.file === '050_slow.sql' && String(line.msg).startsWith('applying'), 60_000, 'stderr');
    child.kill('SIGTERM');

    const result = await done;

    expect(result.code).toBe(143);
    expect(removedContainers(result)).toEqual(startedContainers(result));
  });

  test('an image that cannot be had: exit 4 naming it, nothing left behind', async () => {
    const result = await runMigrator(['generate', '--check', '--scratch', 'docker', '--scratch-image', 'postgres:0-no-such-tag'], { env });

    expect(result.code).toBe(4);
    expect(parseLines(result.stderr).at(-1)!.msg).toContain('could not start a PostgreSQL container from postgres:0-no-such-tag');
  });

  test('bad flags: exit 2 before anything starts', async () => {
    const unknown = await runMigrator(['generate', '--check', '--scratch', 'podman'], { env });
    expect(unknown.code).toBe(2);
    expect(parseLines(unknown.stderr).at(-1)!.msg).toBe('--scratch must be server or docker (got "podman")');

    const imageAlone = await runMigrator(['generate', '--check', '--scratch-image', 'postgres:16'], { env });
    expect(imageAlone.code).toBe(2);
    expect(parseLines(imageAlone.stderr).at(-1)!.msg).toBe('--scratch-image needs --scratch docker');
  });
});
