/**
 * examples/kubernetes/ rendered with `kubectl kustomize` as users apply it: every object valid for
 * the Kubernetes API, every pod spec within the Pod Security "restricted" profile, the Jobs
 * bounded, not retrying what retrying cannot fix, and the fleet's Indexed Job with one pod per
 * shard. Each check also fails on a broken copy.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import { EXIT } from '../src/cli/exit-codes';
import { POD_RULES, podSpecViolations } from './support/pod-security';
import {
  KUBERNETES_EXAMPLES,
  kubectlVersion,
  parseObjects,
  render,
  schemaProblems,
  typeProblems,
  type KubernetesObject,
} from './support/kubernetes';

const OVERLAYS = ['overlays/init-container', 'overlays/jobs', 'overlays/fleet'];

const kubectl = kubectlVersion();
if (kubectl === undefined && process.env.CI)
  throw new Error('kubectl is missing: CI must have it (.ci/run installs it when the machine lacks it)');
if (kubectl === undefined) {
  console.warn(
    'SKIPPING test/kubernetes.test.ts: no kubectl on PATH to render examples/kubernetes/ (install kubectl 1.32, or see .ci/run)',
  );
}
const describeWithKubectl = kubectl === undefined ? describe.skip : describe;

const podSpecs = (objects: KubernetesObject[]) =>
  objects.flatMap((object) => {
    const spec = (object as unknown as IDeployment | IJob).spec?.template?.spec;
    return spec === undefined ? [] : [{ where: `${object.kind}/${object.metadata.name}`, spec }];
  });
const jobs = (objects: KubernetesObject[]) =>
  objects.filter((object) => object.kind === 'Job') as unknown as Array<IJob & KubernetesObject>;
const clone = <T>(value: T): T => structuredClone(value);

/** The value after a flag in a container's args. */
const argAfter = (args: string[], flag: string) => {
  const at = args.indexOf(flag);
  return at === -1 ? undefined : args[at + 1];
};
/** `--shard $(JOB_COMPLETION_INDEX)/N`: Kubernetes expands $(VAR) in args from the container's environment, where an Indexed Job's pods have JOB_COMPLETION_INDEX. */
const SHARD_OF_INDEX = /^\$\(JOB_COMPLETION_INDEX\)\/(\d+)$/;
/** The exit codes retrying will not fix: a tenant's migration failed, usage or configuration, validation. */
const FAIL_INDEX_CODES = [EXIT.migrationFailed, EXIT.usage, EXIT.validationFailed, EXIT.driftFound];

/**
 * What the fleet's Indexed Job needs, rule by rule, each returning what breaks it: one pod per
 * shard, each shard retried only on the codes a retry can fix, and the others carrying on.
 */
const FLEET_JOB_RULES: Record<string, (job: IJob) => string[]> = {
  'runs fleet up': (job) => {
    const args = job.spec!.template.spec!.containers[0].args ?? [];
    return args[0] === 'fleet' && args[1] === 'up' && argAfter(args, '--targets-sql') !== undefined
      ? []
      : [`args are ${JSON.stringify(args)}`];
  },
  'Indexed, one pod per shard': (job) => {
    const { completionMode, completions } = job.spec!;
    const shard = argAfter(job.spec!.template.spec!.containers[0].args ?? [], '--shard');
    const shards = SHARD_OF_INDEX.exec(shard ?? '')?.[1];
    if (completionMode !== 'Indexed') return [`completionMode is ${completionMode}`];
    if (shards === undefined) return [`--shard is ${shard}, not $(JOB_COMPLETION_INDEX)/N`];
    return Number(shards) === completions ? [] : [`completions is ${completions}, --shard says ${shards} shards`];
  },
  'parallelism within completions': ({ spec }) =>
    spec!.parallelism !== undefined && spec!.parallelism >= 1 && spec!.parallelism <= spec!.completions!
      ? []
      : [`parallelism is ${spec!.parallelism}`],
  'restartPolicy Never': ({ spec }) =>
    spec!.template.spec!.restartPolicy === 'Never' ? [] : [`restartPolicy is ${spec!.template.spec!.restartPolicy}`],
  'retries per index, bounded': ({ spec }) => [
    ...(spec!.backoffLimitPerIndex !== undefined && spec!.backoffLimitPerIndex >= 1
      ? []
      : [`backoffLimitPerIndex is ${spec!.backoffLimitPerIndex}`]),
    ...(spec!.maxFailedIndexes !== undefined && spec!.maxFailedIndexes <= spec!.completions!
      ? []
      : [`maxFailedIndexes is ${spec!.maxFailedIndexes}`]),
    ...(['activeDeadlineSeconds', 'ttlSecondsAfterFinished'] as const)
      .filter((field) => spec![field] === undefined)
      .map((field) => `no ${field}`),
  ],
  'FailIndex on exactly 1, 2, 6 and 10': ({ spec }) => {
    const rules = spec!.podFailurePolicy?.rules ?? [];
    const failIndex = rules.filter((rule) => rule.action === 'FailIndex');
    const container = spec!.template.spec!.containers[0].name;
    const codes = failIndex.flatMap((rule) =>
      rule.onExitCodes?.operator === 'In' && rule.onExitCodes.containerName === container ? rule.onExitCodes.values : [],
    );
    return [
      ...(JSON.stringify([...codes].sort((a, b) => a - b)) === JSON.stringify(FAIL_INDEX_CODES)
        ? []
        : [`FailIndex on ${JSON.stringify(codes)}`]),
      // FailJob would stop every shard for one tenant's failure; maxFailedIndexes decides that.
      ...rules.filter((rule) => rule.action === 'FailJob').map(() => 'a FailJob rule'),
    ];
  },
  'Ignore on DisruptionTarget': ({ spec }) =>
    (spec!.podFailurePolicy?.rules ?? []).some(
      (rule) =>
        rule.action === 'Ignore' &&
        rule.onPodConditions?.some((pattern) => pattern.type === 'DisruptionTarget' && (pattern.status ?? 'True') === 'True'),
    )
      ? []
      : ['no Ignore rule on the DisruptionTarget condition'],
};
const fleetJobProblems = (job: IJob) =>
  Object.entries(FLEET_JOB_RULES).flatMap(([name, rule]) => rule(job).map((problem) => `${name}: ${problem}`));

describeWithKubectl(`examples/kubernetes (${kubectl})`, () => {
  const rendered = new Map<string, KubernetesObject[]>();
  beforeAll(async () => {
    for (const overlay of OVERLAYS) rendered.set(overlay, await render(overlay));
  });
  const all = () => [...rendered.values()].flat();

  test('the init-container overlay is the Secret and the Deployment; the jobs overlay adds a pre-deploy and a post-deploy Job, the fleet overlay the fleet Job', () => {
    const kinds = (overlay: string) => rendered.get(overlay)!.map((object) => `${object.kind}/${object.metadata.name}`);
    expect(kinds('overlays/init-container')).toEqual(['Secret/app-database', 'Deployment/app']);
    expect(kinds('overlays/jobs')).toEqual([
      'Secret/app-database',
      'Deployment/app',
      'Job/app-migrate-post-deploy',
      'Job/app-migrate-pre-deploy',
    ]);
    expect(kinds('overlays/fleet')).toEqual(['Secret/app-database', 'Deployment/app', 'Job/app-migrate-fleet']);
  });

  test('every object passes the Kubernetes OpenAPI schemas and names only fields the API has', async () => {
    expect(await schemaProblems(all())).toEqual([]);
    expect(typeProblems(all())).toEqual([]);
  });

  test('negative controls: a wrong type fails the schemas, a misspelled field fails the field check', async () => {
    const [, deployment] = rendered.get('overlays/init-container')!;
    const wrongType = clone(deployment);
    (wrongType.spec as Record<string, unknown>).replicas = 'three';
    expect(await schemaProblems([wrongType])).toEqual([expect.stringMatching(/^Deployment\/app: .*replicas must be integer/)]);

    const misspelled = clone(deployment) as unknown as IDeployment;
    const container = misspelled.spec!.template.spec!.initContainers![0] as unknown as Record<string, unknown>;
    container.sercurityContext = container.securityContext;
    delete container.securityContext;
    expect(typeProblems([misspelled as unknown as KubernetesObject])).toEqual([
      expect.stringMatching(/^Deployment\/app: .*sercurityContext\W+ does not exist in type 'IContainer'/),
    ]);
  });

  test('every pod spec meets the restricted profile, with requests and a memory limit on every container', () => {
    const specs = podSpecs(all());
    expect(specs.length).toBe(6);
    for (const { where, spec } of specs) expect({ where, violations: podSpecViolations(spec) }).toEqual({ where, violations: [] });
  });

  // One broken copy of the init-container overlay's pod spec per rule: each must be caught by its rule.
  const breakages: Record<keyof typeof POD_RULES, (pod: IPodSpec) => void> = {
    'host namespaces': (pod) => (pod.hostPID = true),
    'volume types': (pod) => pod.volumes!.push({ name: 'node', hostPath: { path: '/' } }),
    'no privileged containers': (pod) => (pod.containers[0].securityContext!.privileged = true),
    'no host ports': (pod) => (pod.containers[0].ports = [{ containerPort: 8080, hostPort: 8080 }]),
    'allowPrivilegeEscalation false': (pod) => delete pod.initContainers![0].securityContext!.allowPrivilegeEscalation,
    runAsNonRoot: (pod) => delete pod.securityContext!.runAsNonRoot,
    'runAsUser not 0': (pod) => (pod.initContainers![0].securityContext!.runAsUser = 0),
    'seccompProfile RuntimeDefault': (pod) => (pod.securityContext!.seccompProfile = { type: 'Unconfined' }),
    'capabilities drop ALL': (pod) => (pod.initContainers![0].securityContext!.capabilities = { drop: ['ALL'], add: ['NET_ADMIN'] }),
    readOnlyRootFilesystem: (pod) => (pod.containers[0].securityContext!.readOnlyRootFilesystem = false),
    'no service account token': (pod) => delete pod.automountServiceAccountToken,
    'requests and a memory limit': (pod) => delete pod.initContainers![0].resources!.limits,
  };
  test.each(Object.keys(POD_RULES))('negative control: a pod spec that breaks "%s" fails it', (rule) => {
    const [{ spec }] = podSpecs(rendered.get('overlays/init-container')!);
    const broken = clone(spec);
    breakages[rule](broken);
    const violations = podSpecViolations(broken);
    expect(violations.length).toBeGreaterThan(0);
    expect(violations.filter((violation) => !violation.startsWith(`${rule}: `))).toEqual([]);
  });

  test('every migrator container runs the migrations image with the tag its overlay sets', () => {
    for (const overlay of OVERLAYS) {
      const kustomization = parseObjects(
        readFileSync(path.join(KUBERNETES_EXAMPLES, overlay, 'kustomization.yaml'), 'utf8'),
        overlay,
      )[0] as unknown as {
        images: Array<{ name: string; newTag: string }>;
      };
      const [{ name, newTag }] = kustomization.images;
      const migrators = podSpecs(rendered.get(overlay)!).flatMap(({ spec }) =>
        [...(spec.initContainers ?? []), ...spec.containers].filter((container) => container.args),
      );
      expect(migrators.length).toBeGreaterThan(0);
      for (const container of migrators)
        expect({ container: container.name, image: container.image }).toEqual({ container: container.name, image: `${name}:${newTag}` });
    }
  });

  test('the release Jobs are bounded and fail at once on exit codes no retry can fix (2 configuration, 6 validation)', () => {
    const found = jobs(rendered.get('overlays/jobs')!);
    expect(found).toHaveLength(2);
    for (const job of found) {
      const spec = job.spec!;
      expect(spec).toMatchObject({
        backoffLimit: expect.any(Number),
        activeDeadlineSeconds: expect.any(Number),
        ttlSecondsAfterFinished: expect.any(Number),
      });
      expect(spec.template.spec!.restartPolicy).toBe('Never');
      const failJob = spec.podFailurePolicy!.rules.filter((rule) => rule.action === 'FailJob' && rule.onExitCodes?.operator === 'In');
      const codes = failJob.flatMap((rule) => rule.onExitCodes!.values);
      expect(codes).toEqual(expect.arrayContaining([EXIT.usage, EXIT.validationFailed, EXIT.driftFound]));
      // A retry can get past these: a lock held too long, a database not up yet, a lost connection.
      for (const retried of [EXIT.migrationFailed, EXIT.databaseUnavailable, EXIT.lockTimeout]) expect(codes).not.toContain(retried);
      for (const rule of failJob) expect(rule.onExitCodes!.containerName).toBe(spec.template.spec!.containers[0].name);
    }
  });

  test('the fleet Job is Indexed with one pod per shard, fails a shard at once on 1, 2, 6 and 10, retries it on 4 and 5, and ignores disruptions', () => {
    const [job] = jobs(rendered.get('overlays/fleet')!);
    expect(fleetJobProblems(job)).toEqual([]);
    const args = job.spec!.template.spec!.containers[0].args!;
    expect(args.slice(0, 3)).toEqual(['fleet', 'up', '--targets-sql']);
    // The underscore escaped: LIKE 'tenant_%' would also take "tenantx".
    expect(argAfter(args, '--targets-sql')).toBe(String.raw`SELECT nspname AS schema FROM pg_namespace WHERE nspname LIKE 'tenant\_%'`);
    expect(argAfter(args, '--shard')).toBe(`$(JOB_COMPLETION_INDEX)/${job.spec!.completions}`);
    const failIndexCodes = job.spec!.podFailurePolicy!.rules.flatMap((rule) =>
      rule.action === 'FailIndex' ? rule.onExitCodes!.values : [],
    );
    for (const retried of [EXIT.databaseUnavailable, EXIT.lockTimeout, EXIT.interruptedBySigterm])
      expect(failIndexCodes).not.toContain(retried);
    // A pre-deploy hook like the pre-deploy Job: before the rollout.
    expect(job.metadata.annotations).toMatchObject({ 'helm.sh/hook': 'pre-install,pre-upgrade', 'argocd.argoproj.io/hook': 'PreSync' });
  });

  // Broken copies of the fleet Job: each must be caught by the rule named, and by no other.
  const fleetBreakages: Array<[rule: string, how: string, breakage: (job: IJob) => void]> = [
    ['runs fleet up', 'the command is up', (job) => job.spec!.template.spec!.containers[0].args!.splice(0, 1)],
    ['Indexed, one pod per shard', 'completionMode NonIndexed', (job) => (job.spec!.completionMode = 'NonIndexed')],
    ['Indexed, one pod per shard', 'completions 9 against --shard .../8', (job) => (job.spec!.completions = 9)],
    [
      'Indexed, one pod per shard',
      'the shell form $JOB_COMPLETION_INDEX, which args do not expand',
      (job) => {
        const args = job.spec!.template.spec!.containers[0].args!;
        args[args.indexOf('--shard') + 1] = `$JOB_COMPLETION_INDEX/${job.spec!.completions}`;
      },
    ],
    ['parallelism within completions', 'parallelism above completions', (job) => (job.spec!.parallelism = job.spec!.completions! + 1)],
    ['restartPolicy Never', 'restartPolicy OnFailure', (job) => (job.spec!.template.spec!.restartPolicy = 'OnFailure')],
    ['retries per index, bounded', 'no backoffLimitPerIndex', (job) => delete job.spec!.backoffLimitPerIndex],
    ['retries per index, bounded', 'no activeDeadlineSeconds', (job) => delete job.spec!.activeDeadlineSeconds],
    [
      'FailIndex on exactly 1, 2, 6 and 10',
      'exit 6 left out',
      (job) => (job.spec!.podFailurePolicy!.rules[0].onExitCodes!.values = [EXIT.migrationFailed, EXIT.usage]),
    ],
    [
      'FailIndex on exactly 1, 2, 6 and 10',
      'exit 4 added, which a retry can fix',
      (job) => job.spec!.podFailurePolicy!.rules[0].onExitCodes!.values.push(EXIT.databaseUnavailable),
    ],
    [
      'FailIndex on exactly 1, 2, 6 and 10',
      'FailJob instead of FailIndex',
      (job) => (job.spec!.podFailurePolicy!.rules[0].action = 'FailJob'),
    ],
    [
      'FailIndex on exactly 1, 2, 6 and 10',
      'another container named',
      (job) => (job.spec!.podFailurePolicy!.rules[0].onExitCodes!.containerName = 'app'),
    ],
    [
      'Ignore on DisruptionTarget',
      'no Ignore rule',
      (job) => (job.spec!.podFailurePolicy!.rules = job.spec!.podFailurePolicy!.rules.filter((rule) => rule.action !== 'Ignore')),
    ],
  ];
  test.each(fleetBreakages)('negative control: a fleet Job that breaks "%s" (%s) fails it', (rule, _how, breakage) => {
    const broken = clone(jobs(rendered.get('overlays/fleet')!)[0]);
    breakage(broken);
    const problems = fleetJobProblems(broken);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.filter((problem) => !problem.startsWith(`${rule}: `))).toEqual([]);
  });

  test('the pre-deploy Job runs up in the pre hooks, the post-deploy Job up --post-deploy in the post hooks', () => {
    const byName = new Map(jobs(all()).map((job) => [job.metadata.name, job]));
    const hooksAndArgs = (name: string) => {
      const job = byName.get(name)!;
      return { annotations: job.metadata.annotations, args: job.spec!.template.spec!.containers[0].args };
    };
    expect(hooksAndArgs('app-migrate-pre-deploy')).toMatchObject({
      annotations: { 'helm.sh/hook': 'pre-install,pre-upgrade', 'argocd.argoproj.io/hook': 'PreSync' },
      args: ['up'],
    });
    expect(hooksAndArgs('app-migrate-post-deploy')).toMatchObject({
      annotations: { 'helm.sh/hook': 'post-install,post-upgrade', 'argocd.argoproj.io/hook': 'PostSync' },
      args: ['up', '--post-deploy'],
    });
  });

  test('the app waits for the Jobs with check --wait under its own read-only role; the init container migrates with the owner role', () => {
    const initContainers = (overlay: string) =>
      (rendered.get(overlay)!.find((object) => object.kind === 'Deployment') as unknown as IDeployment).spec!.template.spec!
        .initContainers!;
    const secretKey = (container: { env?: Array<{ name: string; valueFrom?: { secretKeyRef?: { key: string } } }> }) =>
      container.env!.find((variable) => variable.name === 'DATABASE_URL')!.valueFrom!.secretKeyRef!.key;

    const [gate] = initContainers('overlays/jobs');
    expect(gate.args).toEqual(['check', '--wait', '--timeout', '600']);
    expect(secretKey(gate)).toBe('app-url');

    const [migrator] = initContainers('overlays/init-container');
    expect(migrator.args).toEqual(['up']);
    expect(secretKey(migrator)).toBe('migrator-url');
    for (const job of jobs(all())) expect(secretKey(job.spec!.template.spec!.containers[0])).toBe('migrator-url');
  });
});
