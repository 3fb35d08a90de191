import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The testbed's address plan and places: one home for every constant (documented in
 * e2e/README.md). Every address lives in namespaces the testbed creates; the host joins
 * the fabric through one veth whose only route is the fabric subnet.
 */
export const testbed = {
  /** Prefix of every network namespace, veth and cgroup the testbed makes. */
  prefix: 'wtb',
  fabricSubnet: '198.18.0.0/24',
  hostAddress: '198.18.0.1',
  controlPlaneAddress: '198.18.0.2',
  apiserverPort: 6443,
  /** Node i (1-based) is 198.18.0.(10+i) on the fabric, pods in 198.19.i.0/24. */
  nodeAddress: (i: number): string => `198.18.0.${10 + i}`,
  podCidr: (i: number): string => `198.19.${i}.0/24`,
  serviceCidr: '198.18.128.0/20',
  /** First address of the service range: the `kubernetes` Service. */
  kubernetesServiceIp: '198.18.128.1',
  clusterDomain: 'cluster.local',
  defaultNodes: 2,
  /** Where a node has bpffs; the testbed mounts it when the host has none. */
  bpffs: '/sys/fs/bpf',
  /** Agents on the testbed pin under <bpfPinRoot>/<node>: several nodes share one host. */
  bpfPinRoot: '/sys/fs/bpf/wtb',
} as const;

/** The WEFT_* variables the testbed reads, declared in one place. */
export const env = {
  /** Where the running testbed keeps its PKI, data, logs and PIDs (default /run/weft-testbed). */
  WEFT_TESTBED_DIR: 'WEFT_TESTBED_DIR',
  /** Cache of built upstream binaries (default ~/.cache/weft). */
  WEFT_CACHE_DIR: 'WEFT_CACHE_DIR',
} as const;

// Root-owned /run, not /tmp: the folder holds the cluster CA key and pods' tokens.
export const stateDir = process.env[env.WEFT_TESTBED_DIR] ?? '/run/weft-testbed';
export const cacheDir = process.env[env.WEFT_CACHE_DIR] ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'weft');

/** The repository's e2e/ folder, from this compiled file (e2e/dist/testbed/). */
export const e2eRoot = fileURLToPath(new URL('../../', import.meta.url));

export const paths = {
  pki: join(stateDir, 'pki'),
  etcdData: join(stateDir, 'etcd'),
  logs: join(stateDir, 'logs'),
  pids: join(stateDir, 'pids'),
  kubeconfig: join(stateDir, 'kubeconfig'),
  /** Host folders the node emulator made as mount points, one per line. */
  createdMountPoints: join(stateDir, 'created-mount-points'),
  componentKubeconfig: (name: string): string => join(stateDir, `${name}.kubeconfig`),
};

export function netnsName(role: string): string {
  return `${testbed.prefix}-${role}`;
}

export function netnsPath(role: string): string {
  return `/run/netns/${netnsName(role)}`;
}
