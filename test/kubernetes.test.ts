/**
 * examples/kubernetes/ rendered with `kubectl kustomize` as users apply it: every object valid for
 * the Kubernetes API, every pod spec within the Pod Security "restricted" profile, and the Jobs
 * bounded, not retrying what retrying cannot fix. Each check also fails on a broken copy.
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

const OVERLAYS = ['overlays/init-container', 'overlays/jobs'];

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

describeWithKubectl(`examples/kubernetes (${kubectl})`, () => {
  const rendered = new Map<string, KubernetesObject[]>();
  beforeAll(async () => {
    for (const overlay of OVERLAYS) rendered.set(overlay, await render(overlay));
  });
  const all = () => [...rendered.values()].flat();

  test('the init-container overlay is the Secret and the Deployment; the jobs overlay adds a pre-deploy and a post-deploy Job', () => {
    const kinds = (overlay: string) => rendered.get(overlay)!.map((object) => `${object.kind}/${object.metadata.name}`);
    expect(kinds('overlays/init-container')).toEqual(['Secret/app-database', 'Deployment/app']);
    expect(kinds('overlays/jobs')).toEqual([
      'Secret/app-database',
      'Deployment/app',
      'Job/app-migrate-post-deploy',
      'Job/app-migrate-pre-deploy',
    ]);
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
    expect(specs.length).toBe(4);
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

  test('the Jobs are bounded and fail at once on exit codes no retry can fix (2 configuration, 6 validation)', () => {
    const found = jobs(all());
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
      expect(codes).toEqual(expect.arrayContaining([EXIT.usage, EXIT.validationFailed]));
      // A retry can get past these: a lock held too long, a database not up yet, a lost connection.
      for (const retried of [EXIT.migrationFailed, EXIT.databaseUnavailable, EXIT.lockTimeout]) expect(codes).not.toContain(retried);
      for (const rule of failJob) expect(rule.onExitCodes!.containerName).toBe(spec.template.spec!.containers[0].name);
    }
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
