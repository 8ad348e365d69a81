/**
 * examples/compose/compose.secrets.yml brought up with Compose v2 as its comment says: the passwords
 * reach postgres, the roles script, the migrator (PGPASSWORD_FILE), the gate (DATABASE_URL_FILE)
 * and the app only as secret files; everything runs, and no password shows in
 * `docker compose config`, the output of `up`, any log or any container's configuration.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseLines } from '../support/cli';
import { BUILD_TIMEOUT_MS, ComposeProject, ROOT, containerState, docker, dockerOk, removeImage, uniqueImageTag } from '../support/docker';

const COMPOSE_FILE = path.join(ROOT, 'examples', 'compose', 'compose.secrets.yml');
const image = uniqueImageTag();
const appImage = uniqueImageTag('pg-init-migrator-example-app');
afterAll(() => Promise.all([removeImage(image), removeImage(appImage)]));

/** The four secret files the example's comment lists, in a private folder, each readable by the containers' users. */
function secretFiles() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pgim-secrets-'));
  const passwords = {
    postgres: randomBytes(12).toString('hex'),
    migrator: randomBytes(12).toString('hex'),
    app: randomBytes(12).toString('hex'),
  };
  const files = {
    'postgres-password': `${passwords.postgres}\n`,
    'migrator-db-password': `${passwords.migrator}\n`,
    'app-db-password': `${passwords.app}\n`,
    'app-database-url': `postgres://app_user:${passwords.app}@postgres:5432/app\n`,
  };
  for (const [name, content] of Object.entries(files)) {
    writeFileSync(path.join(dir, name), content);
    chmodSync(path.join(dir, name), 0o644);
  }
  return { dir, passwords: Object.values(passwords), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

describe('examples/compose/compose.secrets.yml', () => {
  test(
    'up --wait exits 0: the migrator applied, the gate found the schema current, the app is healthy; no password in config, output, logs or container settings',
    async () => {
      const secrets = secretFiles();
      const stack = new ComposeProject(`pgim_secrets_${randomBytes(4).toString('hex')}`, [COMPOSE_FILE], {
        MIGRATOR_IMAGE: image,
        APP_IMAGE: appImage,
        SECRETS_DIR: secrets.dir,
      });
      try {
        const config = await stack.run(['config']);
        expect(config.code).toBe(0);
        expect(config.stdout).toContain('PGPASSWORD_FILE: /run/secrets/migrator-db-password');

        const up = await stack.run(['up', '--wait', '--build']);
        expect(up.code).toBe(0);
        const [migrator, gate, app] = await Promise.all(['migrator', 'schema-check', 'app'].map((service) => stack.container(service)));
        expect(await containerState(migrator!)).toMatchObject({ Status: 'exited', ExitCode: 0 });
        expect(await containerState(gate!)).toMatchObject({ Status: 'exited', ExitCode: 0 });
        expect((await containerState(app!)).Health?.Status).toBe('healthy');
        const last = async (id: string) => parseLines(await dockerOk(['logs', id])).at(-1);
        expect(await last(migrator!)).toMatchObject({ outcome: 'applied', exitCode: 0 });
        expect(await last(gate!)).toMatchObject({ command: 'check', outcome: 'up-to-date', exitCode: 0 });

        const logs = await stack.run(['logs', '--no-color']);
        expect(logs.stdout).toContain('database system is ready to accept connections');
        const settings = await Promise.all([migrator!, gate!, app!].map((id) => dockerOk(['inspect', '--format', '{{json .Config}}', id])));
        const everything = [config.stdout, up.stdout, up.stderr, logs.stdout, logs.stderr, ...settings].join('\n');
        for (const password of secrets.passwords) expect(everything).not.toContain(password);
      } finally {
        expect((await stack.down()).code).toBe(0);
        expect(await stack.leftovers()).toEqual({ containers: [], volumes: [], networks: [] });
        secrets.remove();
      }
    },
    BUILD_TIMEOUT_MS,
  );

  test('negative control: compose.yml, with the password in an environment variable, shows it in docker compose config', async () => {
    const password = randomBytes(12).toString('hex');
    const config = await docker(['compose', '-p', 'pgim_config_only', '-f', path.join(ROOT, 'compose.yml'), 'config'], {
      MIGRATOR_DB_PASSWORD: password,
    });
    expect(config.code).toBe(0);
    expect(config.stdout).toContain(password);
  });
});
