/**
 * The examples (examples/kubernetes/, examples/ci/, the compose files) parse as YAML, and every
 * migrator command, flag and environment variable they use exists: checked against the CLI's own
 * definitions, so the examples cannot drift. The Kubernetes manifests run the image the pipelines
 * push, and README.md points at these files instead of copying them.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { COMMANDS, GLOBAL_OPTIONS } from '../src/cli/commands';
import { CONFIG_VARIABLES } from '../src/config';
import { runMigrator } from './support/cli';
import { SAMPLE_MIGRATIONS } from './support/fixtures';

const ROOT = path.resolve(__dirname, '..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

/** A migrator invocation found in an example: the command and the flags after it. */
interface Invocation {
  where: string;
  command: string;
  flags: string[];
}

function parseYaml(text: string, where: string): unknown[] {
  const documents = parseAllDocuments(text);
  for (const document of documents) {
    if (document.errors.length > 0) throw new Error(`${where}: ${document.errors[0].message}`);
  }
  return documents.map((document) => document.toJS());
}

/** Every value in a parsed YAML tree, with the key it stands under. */
function* walk(node: unknown, key = ''): Generator<[string, unknown]> {
  yield [key, node];
  if (Array.isArray(node)) for (const item of node) yield* walk(item, key);
  else if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) yield* walk(v, k);
}

/** Names that configure the migrator (the pipelines' own helpers and PostgreSQL's image variables aside). */
const looksLikeOurs = (name: string) => /^(PG|MIGRATOR_|DATABASE_URL|MIGRATIONS_DIR|LOG_)/.test(name);

/** `$RUN_MIGRATOR verify`, `docker run ... "$MIGRATIONS_IMAGE:$GITHUB_SHA" up`: the command and its flags (up to a shell operator). */
function invocationsInScripts(documents: unknown[], where: string): Invocation[] {
  const found: Invocation[] = [];
  for (const [, value] of documents.flatMap((document) => [...walk(document)])) {
    if (typeof value !== 'string') continue;
    for (const line of value.split('\n')) {
      const match = /(?:\$RUN_MIGRATOR|"\$MIGRATIONS_IMAGE:[^"]*")\s+([a-z][a-z-]*)(.*)$/.exec(line);
      if (!match) continue;
      const args = match[2].split(/\s*(?:\|\||&&|;|\|)/)[0];
      found.push({ where, command: match[1], flags: [...args.matchAll(/(?:^|\s)(--?[a-z][a-z-]*)/g)].map((m) => m[1]) });
    }
  }
  return found;
}

/** Containers running a migrator image in Kubernetes objects: `args` is the command line. */
function invocationsInManifests(documents: unknown[], where: string): Invocation[] {
  const found: Invocation[] = [];
  for (const [, value] of documents.flatMap((document) => [...walk(document)])) {
    const container = value as { image?: unknown; args?: unknown };
    if (typeof container?.image === 'string' && /migrat/.test(container.image) && Array.isArray(container.args)) {
      const [command, ...rest] = container.args as string[];
      found.push({ where, command, flags: rest.filter((arg) => arg.startsWith('-')) });
    }
  }
  return found;
}

/** Environment variable names: keys of env/variables maps, `name:` of Kubernetes env entries, `-e NAME` of docker run. */
function environmentNames(documents: unknown[]): string[] {
  const names = new Set<string>();
  for (const [key, value] of documents.flatMap((document) => [...walk(document)])) {
    if ((key === 'env' || key === 'variables') && value && typeof value === 'object' && !Array.isArray(value)) {
      for (const name of Object.keys(value)) names.add(name);
    }
    if (key === 'env' && Array.isArray(value)) for (const entry of value) names.add((entry as { name: string }).name);
    if (typeof value === 'string') for (const match of value.matchAll(/-e ([A-Z][A-Z0-9_]*)/g)) names.add(match[1]);
  }
  return [...names].filter(looksLikeOurs);
}

/** What of an invocation the CLI does not define: an unknown command, or flags it does not take. */
function notInCli(invocation: Invocation): string[] {
  const command = COMMANDS.find((candidate) => candidate.name === invocation.command);
  if (command === undefined) return [`command ${invocation.command}`];
  const flags = [
    ...[...Object.keys(command.options), ...GLOBAL_OPTIONS.map((option) => option.name)].map((name) => `--${name}`),
    ...GLOBAL_OPTIONS.flatMap((option) => (option.short ? [`-${option.short}`] : [])),
    '--help',
    '-h',
  ];
  return invocation.flags.filter((flag) => !flags.includes(flag)).map((flag) => `flag ${flag}`);
}

/** Every file under a folder of the repository, as paths relative to the root. */
function filesUnder(folder: string): string[] {
  return readdirSync(path.join(ROOT, folder), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(ROOT, path.join(entry.parentPath, entry.name)))
    .sort();
}

const parsed = (files: string[]) => files.map((file) => ({ file, documents: parseYaml(read(file), file) }));
const pipelines = parsed(['examples/ci/github-migrations.yml', 'examples/ci/gitlab-ci.yml']);
const manifestFiles = filesUnder('examples/kubernetes');
const manifests = parsed(manifestFiles);
/** The compose files' services that run the migrator's image (not postgres): their environment is the migrator's, their command its command line. */
/** The compose files beside examples/compose/app/, the example app's own folder (its image's sources). */
const composeExamples = filesUnder('examples/compose').filter(
  (file) => path.dirname(file) === path.join('examples', 'compose') && file.endsWith('.yml'),
);
const composeServices = parsed(['compose.yml', 'compose.dev.yml', ...composeExamples]).map(({ file, documents }) => {
  const services = documents.flatMap((document) =>
    Object.entries((document as { services?: Record<string, ComposeService> }).services ?? {}),
  );
  // An override without an image (compose.dev.yml) is of the service it names.
  const runsMigratorImage = ([name, service]: [string, ComposeService]) =>
    service.image === undefined ? name !== 'postgres' : /MIGRATOR_IMAGE/.test(service.image);
  return { file, services: services.filter(runsMigratorImage).map(([, service]) => service) };
});
interface ComposeService {
  image?: string;
  entrypoint?: unknown;
  command?: unknown;
  environment?: Record<string, string>;
}
const composeMigrators = composeServices.map(({ file, services }) => ({
  file,
  documents: services.map((service) => ({ env: service.environment ?? {} })),
}));
const composeInvocations = composeServices.flatMap(({ file, services }) =>
  services
    .filter((service) => service.entrypoint === undefined && Array.isArray(service.command))
    .map(({ command }) => {
      const [name, ...rest] = command as string[];
      return { where: file, command: name, flags: rest.filter((arg) => arg.startsWith('-')) };
    }),
);

/** The repository the pipelines push the migrations image to (their MIGRATIONS_IMAGE). */
function pushedRepository({ file, documents }: (typeof pipelines)[number]): string {
  const top = documents[0] as { env?: Record<string, string>; variables?: Record<string, string> };
  const image = (top.env ?? top.variables)?.MIGRATIONS_IMAGE;
  expect({ file, image }).toEqual({ file, image: expect.stringMatching(/^[a-z0-9.-]+\/[a-z0-9/-]+$/) });
  return image!;
}

describe('examples', () => {
  test('every example file parses as YAML; the Kubernetes ones hold the Secret, the Deployment and both Jobs', () => {
    for (const { file, documents } of [...pipelines, ...manifests, ...composeMigrators])
      expect({ file, documents: documents.length }).not.toEqual({ file, documents: 0 });
    const kinds = manifests.flatMap(({ documents }) => documents.map((document) => (document as { kind?: string }).kind));
    expect(kinds).toEqual(expect.arrayContaining(['Secret', 'Deployment', 'Job', 'Kustomization', 'Component']));
  });

  test('the docs show the Kubernetes and pipeline examples by path, and copy none of them', () => {
    const kubernetes = read('docs/kubernetes.md');
    const ci = read('docs/ci.md');
    for (const folder of new Set(manifestFiles.map((file) => path.dirname(file)))) expect(kubernetes).toContain(folder);
    for (const { file } of pipelines) expect(ci).toContain(file);
    for (const page of [kubernetes, ci]) expect(page).not.toMatch(/```ya?ml/);
  });

  test('the Kubernetes manifests run the image the pipelines push, tagged by every overlay', () => {
    const [repository, ...others] = pipelines.map(pushedRepository);
    expect(others).toEqual(others.map(() => repository));
    for (const { file, documents } of pipelines) {
      const scripts = documents
        .flatMap((document) => [...walk(document)])
        .map(([, value]) => value)
        .filter((value) => typeof value === 'string');
      expect({ file, pushes: scripts.some((script) => /docker push "\$MIGRATIONS_IMAGE:\$[A-Z_]+"/.test(script)) }).toEqual({
        file,
        pushes: true,
      });
    }
    expect(manifests.flatMap(({ file, documents }) => invocationsInManifests(documents, file)).length).toBeGreaterThanOrEqual(4);
    for (const { file, documents } of manifests) {
      for (const [, value] of documents.flatMap((document) => [...walk(document)])) {
        const container = value as { image?: unknown; args?: unknown };
        if (typeof container?.image === 'string' && Array.isArray(container.args))
          expect({ file, image: container.image }).toEqual({ file, image: repository });
      }
      const kustomization = documents[0] as { kind?: string; resources?: string[]; images?: Array<{ name: string; newTag?: string }> };
      if (kustomization.kind === 'Kustomization' && file.includes('/overlays/')) {
        expect({ file, images: kustomization.images }).toEqual({ file, images: [{ name: repository, newTag: expect.any(String) }] });
      }
    }
  });

  const invocations = [
    ...pipelines.flatMap(({ file, documents }) => invocationsInScripts(documents, file)),
    ...manifests.flatMap(({ file, documents }) => invocationsInManifests(documents, file)),
    ...composeInvocations,
  ];

  test('the pipelines run verify, lint and plan --sql on review, check and up on deploy; the manifests up, up --post-deploy and check --wait; the secrets example up --post-deploy and check', () => {
    const used = (where: (file: string) => boolean) =>
      invocations.filter((invocation) => where(invocation.where)).map((invocation) => [invocation.command, ...invocation.flags].join(' '));
    for (const { file } of pipelines)
      expect(used((where) => where === file)).toEqual(expect.arrayContaining(['verify', 'lint --since', 'plan --sql', 'check', 'up']));
    expect(used((where) => where.startsWith('examples/kubernetes/'))).toEqual(
      expect.arrayContaining(['up', 'up --post-deploy', 'check --wait --timeout']),
    );
    expect(used((where) => where.startsWith('examples/compose/'))).toEqual(['up --post-deploy', 'check']);
  });

  test.each(invocations.map((invocation) => [`${invocation.where}: ${invocation.command} ${invocation.flags.join(' ')}`, invocation]))(
    'exists in the CLI: %s',
    (_label, invocation) => expect(notInCli(invocation)).toEqual([]),
  );

  /** A pipeline's `lint` line as its shell runs it: "$LAST_RELEASED_ID" replaced by the value the file sets. */
  function lintArgs(file: string): string[] {
    const text = read(file);
    const since = /LAST_RELEASED_ID: "(\d+)"/.exec(text)?.[1];
    const line = /\$RUN_MIGRATOR (lint[^\n]*)/.exec(text)?.[1];
    if (since === undefined || line === undefined) throw new Error(`${file}: no LAST_RELEASED_ID or no lint line`);
    return line.split(' ').map((arg) => (arg === '"$LAST_RELEASED_ID"' ? since : arg));
  }

  test.each(pipelines.map(({ file }) => [file]))(
    '%s: its lint command line passes on the sample, whose migration 3 of release 2 lint flags',
    async (file) => {
      const args = lintArgs(file);
      expect(args).toEqual(['lint', '--since', '3']);
      const pipeline = await runMigrator(args, { env: { MIGRATIONS_DIR: SAMPLE_MIGRATIONS } });
      expect(pipeline.stdout).toBe('no problems in 6 file(s)\n');
      expect(pipeline.code).toBe(0);
      // What the pipeline leaves out fails: without --since the same files exit 6.
      expect((await runMigrator(['lint'], { env: { MIGRATIONS_DIR: SAMPLE_MIGRATIONS } })).code).toBe(6);
    },
    60_000,
  );

  test('negative control: a command or flag the CLI lacks is reported', () => {
    const [misspelled] = invocationsInScripts(parseYaml('script: ["$RUN_MIGRATOR check --wiat || true"]', 'control'), 'control');
    expect(misspelled).toEqual({ where: 'control', command: 'check', flags: ['--wiat'] });
    expect(notInCli(misspelled)).toEqual(['flag --wiat']);
    expect(notInCli({ where: 'control', command: 'up', flags: ['--post-deploi'] })).toEqual(['flag --post-deploi']);
    expect(notInCli({ where: 'control', command: 'migrate', flags: [] })).toEqual(['command migrate']);
  });

  test('every environment variable the examples set for the migrator is one it reads', () => {
    const names = [...pipelines, ...manifests, ...composeMigrators].flatMap(({ documents }) => environmentNames(documents));
    expect(names.length).toBeGreaterThan(5);
    expect(names).toEqual(expect.arrayContaining(['PGSSLROOTCERT', 'MIGRATOR_LOCK_TIMEOUT', 'PGPASSWORD_FILE', 'DATABASE_URL_FILE']));
    for (const name of names) expect(CONFIG_VARIABLES).toContain(name);
  });

  test('every variable the migrator reads is documented in docs/configuration.md', () => {
    const page = read('docs/configuration.md');
    for (const name of CONFIG_VARIABLES) expect(page).toContain(`\`${name}\``);
  });
});
