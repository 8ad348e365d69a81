/**
 * The Pod Security Standards' "restricted" controls, with baseline's host, privilege and port
 * controls (its AppArmor, SELinux, /proc mount and sysctl controls are left out: the examples set
 * none of those fields), plus what this project asks on top: a read-only root filesystem, no
 * service account token, and requests and a memory limit on every container. Each rule returns
 * what breaks it, so that a test can show both that the examples pass and that a broken spec fails.
 * https://kubernetes.io/docs/concepts/security/pod-security-standards/
 */
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';

/** The volume types "restricted" allows: nothing that reaches into the node. */
const RESTRICTED_VOLUME_TYPES = [
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
];
const ALLOWED_SECCOMP = ['RuntimeDefault', 'Localhost'];

type Rule = (pod: IPodSpec, containers: IContainer[]) => string[];

const each = (containers: IContainer[], broken: (container: IContainer) => string | undefined) =>
  containers.flatMap((container) => {
    const problem = broken(container);
    return problem === undefined ? [] : [`container ${container.name}: ${problem}`];
  });

/** Rules by name; a test breaks each one on purpose. */
export const POD_RULES: Record<string, Rule> = {
  'host namespaces': (pod) =>
    (['hostNetwork', 'hostPID', 'hostIPC'] as const).filter((key) => pod[key] === true).map((key) => `${key} is true`),
  'volume types': (pod) =>
    (pod.volumes ?? []).flatMap((volume) => {
      const types = Object.keys(volume).filter((key) => key !== 'name');
      return types.every((type) => RESTRICTED_VOLUME_TYPES.includes(type)) ? [] : [`volume ${volume.name} is ${types.join(', ')}`];
    }),
  'no privileged containers': (_pod, containers) => each(containers, (c) => (c.securityContext?.privileged ? 'privileged' : undefined)),
  'no host ports': (_pod, containers) =>
    each(containers, (c) => ((c.ports ?? []).some((port) => port.hostPort) ? 'uses a host port' : undefined)),
  'allowPrivilegeEscalation false': (_pod, containers) =>
    each(containers, (c) => (c.securityContext?.allowPrivilegeEscalation === false ? undefined : 'allowPrivilegeEscalation is not false')),
  runAsNonRoot: (pod, containers) =>
    each(containers, (c) =>
      (c.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot) === true ? undefined : 'runAsNonRoot is not true',
    ),
  'runAsUser not 0': (pod, containers) =>
    each(containers, (c) => ((c.securityContext?.runAsUser ?? pod.securityContext?.runAsUser) === 0 ? 'runs as uid 0' : undefined)),
  'seccompProfile RuntimeDefault': (pod, containers) =>
    each(containers, (c) => {
      const type = (c.securityContext?.seccompProfile ?? pod.securityContext?.seccompProfile)?.type;
      return type !== undefined && ALLOWED_SECCOMP.includes(type) ? undefined : `seccompProfile is ${type ?? 'unset'}`;
    }),
  'capabilities drop ALL': (_pod, containers) =>
    each(containers, (c) => {
      const { drop = [], add = [] } = c.securityContext?.capabilities ?? {};
      if (!drop.includes('ALL')) return 'capabilities do not drop ALL';
      return add.every((capability) => capability === 'NET_BIND_SERVICE') ? undefined : `capabilities add ${add.join(', ')}`;
    }),
  readOnlyRootFilesystem: (_pod, containers) =>
    each(containers, (c) => (c.securityContext?.readOnlyRootFilesystem === true ? undefined : 'readOnlyRootFilesystem is not true')),
  'no service account token': (pod) => (pod.automountServiceAccountToken === false ? [] : ['automountServiceAccountToken is not false']),
  'requests and a memory limit': (_pod, containers) =>
    each(containers, (c) => {
      const missing = [
        ...['cpu', 'memory']
          .filter((resource) => c.resources?.requests?.[resource] === undefined)
          .map((resource) => `requests.${resource}`),
        ...(c.resources?.limits?.memory === undefined ? ['limits.memory'] : []),
      ];
      return missing.length === 0 ? undefined : `no ${missing.join(', ')}`;
    }),
};

/** Every rule's problems with a pod spec, each prefixed with the rule's name; empty when it passes. */
export function podSpecViolations(pod: IPodSpec): string[] {
  const containers = [...(pod.initContainers ?? []), ...pod.containers];
  return Object.entries(POD_RULES).flatMap(([name, rule]) => rule(pod, containers).map((problem) => `${name}: ${problem}`));
}
