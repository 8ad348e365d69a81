/**
 * The example manifests and pipelines (README.md's Kubernetes section, .github/workflows,
 * .gitlab-ci.yml) parse as YAML, and every migrator command, flag and environment variable they
 * use exists: checked against the CLI's own definitions, so the examples cannot drift.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { COMMANDS } from '../src/cli/commands';
import { CONFIG_VARIABLES } from '../src/config';

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

/** `$RUN_MIGRATOR verify`, `docker run ... "$IMAGE" up`: the command and its flags (up to a shell operator). */
function invocationsInScripts(documents: unknown[], where: string): Invocation[] {
  const found: Invocation[] = [];
  for (const [, value] of documents.flatMap((document) => [...walk(document)])) {
    if (typeof value !== 'string') continue;
    for (const line of value.split('\n')) {
      const match = /(?:\$RUN_MIGRATOR|"\$IMAGE")\s+([a-z][a-z-]*)(.*)$/.exec(line);
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

/** The YAML blocks of README.md's Kubernetes section. */
function readmeManifests(): string[] {
  const readme = read('README.md');
  const start = readme.indexOf('\n## Kubernetes and pipelines\n');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  return [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1]);
}

const pipelines = ['.github/workflows/migrations.yml', '.gitlab-ci.yml'].map((file) => ({ file, documents: parseYaml(read(file), file) }));
const manifests = readmeManifests().map((text, index) => ({ file: `README.md, Kubernetes YAML block ${index + 1}`, documents: parseYaml(text, `README block ${index + 1}`) }));

describe('examples', () => {
  test('README shows the Deployment, the ConfigMap variant and the Job, and every file parses as YAML', () => {
    expect(manifests).toHaveLength(3);
    const kinds = manifests.flatMap(({ documents }) => documents.map((document) => (document as { kind?: string }).kind)).filter(Boolean);
    expect(kinds).toEqual(expect.arrayContaining(['Secret', 'Deployment', 'Job']));
    for (const { documents } of [...pipelines, ...manifests]) expect(documents.length).toBeGreaterThan(0);
  });

  test('the Job and the init container carry the settings the issue asks for', () => {
    const all = manifests.flatMap(({ documents }) => documents.flatMap((document) => [...walk(document)]));
    const keys = new Set(all.map(([key]) => key));
    for (const key of ['backoffLimit', 'activeDeadlineSeconds', 'ttlSecondsAfterFinished', 'runAsNonRoot', 'readOnlyRootFilesystem', 'resources', 'secretKeyRef', 'configMap']) {
      expect(keys).toContain(key);
    }
  });

  const invocations = [
    ...pipelines.flatMap(({ file, documents }) => invocationsInScripts(documents, file)),
    ...manifests.flatMap(({ file, documents }) => invocationsInManifests(documents, file)),
  ];

  test('the pipelines run verify, lint and plan --sql on review, check and up on deploy', () => {
    for (const { file } of pipelines) {
      const used = invocations.filter((invocation) => invocation.where === file).map((invocation) => [invocation.command, ...invocation.flags].join(' '));
      expect(used).toEqual(expect.arrayContaining(['verify', 'lint', 'plan --sql', 'check', 'up']));
    }
  });

  test.each(invocations.map((invocation) => [`${invocation.where}: ${invocation.command} ${invocation.flags.join(' ')}`, invocation]))(
    'exists in the CLI: %s',
    (_label, invocation) => {
      const command = COMMANDS.find((candidate) => candidate.name === invocation.command);
      expect(command).toBeDefined();
      const flags = Object.keys(command!.options).map((name) => `--${name}`);
      for (const flag of invocation.flags) expect([...flags, '--help', '-h']).toContain(flag);
    },
  );

  test('every environment variable the examples set for the migrator is one it reads', () => {
    const names = [...pipelines, ...manifests].flatMap(({ documents }) => environmentNames(documents));
    expect(names.length).toBeGreaterThan(5);
    for (const name of names) expect(CONFIG_VARIABLES).toContain(name);
  });

  test('every variable the migrator reads is documented in README.md', () => {
    const readme = read('README.md');
    for (const name of CONFIG_VARIABLES) expect(readme).toContain(`\`${name}\``);
  });
});
