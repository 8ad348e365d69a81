/**
 * The docker and docker compose command lines, run the way users run them: building the image,
 * one-shot migrator containers, compose projects, and what containers report about themselves.
 * Compose containers are found by their labels, which Compose v1 (project_service_1) and v2
 * (project-service-1) both set, never by name.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, cpSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parseLines } from './cli';
import { tempMigrations, type TempMigrations } from './fixtures';

export const ROOT = path.resolve(__dirname, '..', '..');
/**
 * A tag of its own for each test file's image (MIGRATOR_IMAGE, APP_IMAGE in compose.yml): runs of the suite
 * from other checkouts on the same Docker engine must not swap images under each other.
 */
export function uniqueImageTag(repository = 'pg-init-migrator'): string {
  return `${repository}:test-${randomBytes(4).toString('hex')}`;
}

/** Untags (and so deletes) a test image; the layer cache stays for the next build. */
export async function removeImage(tag: string): Promise<void> {
  await docker(['image', 'rm', tag]);
}
/** How long an image build may take on a cold machine (npm ci in two stages). */
export const BUILD_TIMEOUT_MS = 10 * 60_000;

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout as JSON lines (non-JSON lines kept as { raw }). */
  lines: Array<Record<string, unknown>>;
}

export function docker(args: string[], env: Record<string, string> = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, lines: parseLines(stdout) }));
  });
}

/** Runs docker and returns its stdout; a non-zero exit is an error carrying the output. */
export async function dockerOk(args: string[], env: Record<string, string> = {}): Promise<string> {
  const result = await docker(args, env);
  if (result.code !== 0) {
    throw new Error(`docker ${args.join(' ')} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

/** docker build from the project's Dockerfile, as README.md tells users to. */
export async function buildImage(tag: string): Promise<void> {
  await dockerOk(['build', '-t', tag, ROOT]);
}

/** The example app's image (APP_IMAGE in compose.yml), built from the repository's root as compose.yml builds it. */
export async function buildExampleAppImage(tag: string): Promise<void> {
  await dockerOk(['build', '-f', path.join(ROOT, 'examples', 'compose', 'app', 'Dockerfile'), '-t', tag, ROOT]);
}

/**
 * A writable copy of the project's migrations/ that the image can read: mkdtemp makes the folder
 * private (0700) and the image runs as uid 1000, so it is opened for reading, as a checkout is.
 */
export function copyOfProjectMigrations(): TempMigrations & { nextVersionedId: number } {
  const migrations = tempMigrations();
  cpSync(path.join(ROOT, 'migrations'), migrations.dir, { recursive: true });
  chmodSync(migrations.dir, 0o755);
  const ids = readdirSync(path.join(migrations.dir, 'versioned')).map((name) => parseInt(name, 10) || 0);
  return { ...migrations, nextVersionedId: Math.max(0, ...ids) + 1 };
}

export interface ContainerState {
  Status: string;
  Running: boolean;
  ExitCode: number;
  StartedAt: string;
  FinishedAt: string;
  Health?: { Status: string };
}

export async function containerState(id: string): Promise<ContainerState> {
  return JSON.parse(await dockerOk(['inspect', '--format', '{{json .State}}', id])) as ContainerState;
}

/** Docker's zero time: the container was created but never started. */
export function everStarted(state: ContainerState): boolean {
  return !state.StartedAt.startsWith('0001-01-01');
}

/**
 * Polls until the container's healthcheck passes; fails fast when it exits or turns unhealthy. A
 * container created but not started yet (compose holds it until its dependencies are ready) is waited for.
 */
export async function waitUntilHealthy(id: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await containerState(id);
    if (state.Health?.Status === 'healthy') return;
    if ((!state.Running && everStarted(state)) || state.Health?.Status === 'unhealthy' || Date.now() > deadline) {
      const logs = await docker(['logs', id]);
      throw new Error(`container ${id} did not become healthy: ${JSON.stringify(state)}\n${logs.stdout}${logs.stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Polls the container's log until a JSON line matches; fails when it exits first or time runs out. */
export async function waitForLogLine(id: string, predicate: (line: Record<string, unknown>) => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const logs = await docker(['logs', id]);
    if (logs.lines.some(predicate)) return;
    if (!(await containerState(id)).Running || Date.now() > deadline) {
      throw new Error(`no matching log line from container ${id}:\n${logs.stdout}${logs.stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** GET a URL from inside a container, with the container's own node; retries until something listens. */
export async function httpGetInside(id: string, url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const script = `fetch(${JSON.stringify(url)}).then(async (r) => console.log(JSON.stringify({ status: r.status, body: await r.json() })))`;
  for (let attempt = 1; ; attempt++) {
    const result = await docker(['exec', id, 'node', '-e', script]);
    if (result.code === 0) return JSON.parse(result.stdout) as { status: number; body: Record<string, unknown> };
    if (attempt >= 60) throw new Error(`GET ${url} in ${id} kept failing:\n${result.stdout}${result.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** A compose project of the repository's compose files, under a name of its own. */
export class ComposeProject {
  constructor(
    readonly name: string,
    private readonly files: string[],
    private readonly env: Record<string, string> = {},
  ) {}

  run(args: string[]): Promise<CommandResult> {
    return docker(['compose', '-p', this.name, ...this.files.flatMap((file) => ['-f', file]), ...args], this.env);
  }

  down(): Promise<CommandResult> {
    return this.run(['down', '-v', '--remove-orphans', '-t', '10']);
  }

  /** Id of the service's container, also when it has exited; undefined when there is none. */
  async container(service: string): Promise<string | undefined> {
    const [id] = lines(
      await dockerOk([
        'ps',
        '--all',
        '--quiet',
        '--filter',
        `label=com.docker.compose.project=${this.name}`,
        '--filter',
        `label=com.docker.compose.service=${service}`,
      ]),
    );
    return id;
  }

  /** What the project left behind: containers, volumes and networks, found by label and by name. */
  async leftovers(): Promise<{ containers: string[]; volumes: string[]; networks: string[] }> {
    const ids = async (command: string[]) => {
      const byLabel = lines(await dockerOk([...command, '--quiet', '--filter', `label=com.docker.compose.project=${this.name}`]));
      const byName = lines(await dockerOk([...command, '--quiet', '--filter', `name=${this.name}`]));
      return [...new Set([...byLabel, ...byName])];
    };
    return { containers: await ids(['ps', '--all']), volumes: await ids(['volume', 'ls']), networks: await ids(['network', 'ls']) };
  }
}

function lines(text: string): string[] {
  return text.split('\n').filter((line) => line.trim() !== '');
}
