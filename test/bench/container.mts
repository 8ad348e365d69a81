/**
 * The image as users run it: its size against its base image's, and the no-op in a container
 * against the same no-op outside one. The image is built from this checkout's Dockerfile; its
 * containers are created once and started again for every run (`docker start -a`), on the host
 * network so that they reach the benchmark's server on loopback as the outside run does, with
 * the no-op set mounted at /app/migrations. A container from the same image that only runs
 * `node -e ""` shows what starting any container costs on this machine, and one of an image made
 * from it with the set copied in and its manifest written shows the image's own migrations. The
 * images and the containers are removed at the end.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nodeSubject, type Context, type Run, type Subject } from './measure.mts';

/** The Dockerfile's runtime base: the image may add at most 20 MB to it. */
export const BASE_IMAGE = 'node:24-bookworm-slim';

function docker(args: string[], cwd?: string): string {
  const result = spawnSync('docker', args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`docker ${args.join(' ')} exited ${result.status}:\n${result.stdout}${result.stderr}`);
  return result.stdout.trim();
}

const imageMB = (image: string) => Number(docker(['image', 'inspect', '--format', '{{.Size}}', image])) / 1e6;

export interface ImageUnderTest {
  /** The image's and its base's size, for the report. */
  sizes: { imageMB: number; baseMB: number };
  /** The subjects of the container scenario: the outside run first (the floor). */
  subjects: Subject[];
  /** The names of the rows the 1.5× target applies to. */
  targeted: string[];
  remove(): void;
}

/**
 * Builds the image and creates its containers. `outside` is the bundle's no-op as the image runs
 * it (compile cache written beforehand); `check` throws when a run was not a no-op.
 */
export function prepareImage(
  projectRoot: string,
  databaseUrl: string,
  migrationsDir: string,
  outside: Subject,
  check: (run: Run) => Promise<void>,
): ImageUnderTest {
  const tag = `pg-init-migrator-bench:${randomBytes(4).toString('hex')}`;
  docker(['build', '--quiet', '--tag', tag, '.'], projectRoot);
  const containers: string[] = [];
  const tags = [tag];
  const create = (args: string[]) => {
    containers.push(docker(['create', '--network', 'host', '--read-only', ...args]));
    return containers[containers.length - 1];
  };
  const remove = () => {
    if (containers.length > 0) spawnSync('docker', ['rm', '--force', ...containers.splice(0)]);
    spawnSync('docker', ['rmi', '--force', ...tags.splice(0).reverse()]);
  };
  try {
    // The image's user (1000) reads the mounted set: the benchmark's temporary folders are private.
    spawnSync('chmod', ['-R', 'a+rX', migrationsDir]);
    const migrator = create(['--env', `DATABASE_URL=${databaseUrl}`, '--volume', `${migrationsDir}:/app/migrations:ro`, tag, 'up']);
    const bare = create(['--entrypoint', 'node', tag, '-e', '']);
    const derived = buildDerived(tag, migrationsDir);
    tags.push(derived);
    const holding = create(['--env', `DATABASE_URL=${databaseUrl}`, derived, 'up']);
    const inContainer = 'migrator up in a container, the set mounted (docker start -a)';
    const inDerived = 'migrator up in a container of an image holding the set and its manifest (docker start -a)';
    return {
      sizes: { imageMB: imageMB(tag), baseMB: imageMB(BASE_IMAGE) },
      subjects: [
        outside,
        { name: 'node -e "" in a container of the image (docker start -a)', command: 'docker', args: ['start', '--attach', bare] },
        { name: inContainer, command: 'docker', args: ['start', '--attach', migrator], after: check },
        { name: inDerived, command: 'docker', args: ['start', '--attach', holding], after: check },
      ],
      targeted: [inContainer, inDerived],
      remove,
    };
  } catch (error) {
    remove();
    throw error;
  }
}

/**
 * An image made from the image under test the way a project ships its migrations: the set copied
 * over /app/migrations and its manifest written, in a build context of its own.
 */
function buildDerived(base: string, migrationsDir: string): string {
  const tag = `${base}-with-set`;
  const context = mkdtempSync(path.join(os.tmpdir(), 'migrator-bench-image-'));
  try {
    cpSync(migrationsDir, path.join(context, 'migrations'), { recursive: true });
    writeFileSync(
      path.join(context, 'Dockerfile'),
      [
        `FROM ${base}`,
        'USER 0:0',
        'RUN rm -rf /app/migrations',
        'COPY migrations /app/migrations',
        'RUN MIGRATIONS_DIR=/app/migrations node dist/migrator.js manifest >/dev/null',
        'USER 1000:1000',
        '',
      ].join('\n'),
    );
    docker(['build', '--quiet', '--tag', tag, '.'], context);
    return tag;
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

/** The outside run the container is compared with. */
export function outsideSubject(bundle: string, compileCache: string, check: (run: Run) => Promise<void>): Subject {
  return nodeSubject('migrator up outside a container (dist/migrator.js, NODE_COMPILE_CACHE)', [bundle, 'up'], {
    env: { NODE_COMPILE_CACHE: compileCache },
    after: check,
  });
}

/** docker needs its own variables (DOCKER_HOST, ...) on top of the benchmark's minimal environment. */
export function dockerContext(base: Context): Context {
  const dockerEnv = Object.fromEntries(
    Object.entries(process.env).filter((entry): entry is [string, string] => entry[0].startsWith('DOCKER_') && entry[1] !== undefined),
  );
  return { ...base, env: { ...base.env, ...dockerEnv, HOME: process.env.HOME ?? '' } };
}
