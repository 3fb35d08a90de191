import { existsSync, readFileSync } from 'node:fs';
import { BpfObject, probeHelper, probeMapType, probeProgramType } from '@weft/native';
import { findCgroup2Root, findMounts, isOnBpffs } from './kernel-mounts.js';

/** Where the probe looks; every path can be moved for tests and odd hosts. */
export interface ProbeEnvironment {
  mountinfoPath: string;
  btfPath: string;
  statusPath: string;
  /** bpffs folder the agent will pin under. */
  pinRoot: string;
  /** The capture object: loading it is the final proof that the kernel accepts Weft. */
  objectPath: string;
}

/** One prerequisite: what it is, how to test it, and what to do when it is missing. */
export interface FeatureCheck {
  id: string;
  description: string;
  hint: string;
  /** True when present; a thrown error counts as missing, with its message as detail. */
  run(env: ProbeEnvironment): boolean;
}

export interface FeatureResult {
  id: string;
  description: string;
  ok: boolean;
  hint?: string;
  detail?: string;
}

// CAP_SYS_RESOURCE is not needed: since Linux 5.11 BPF memory is charged to the memory cgroup,
// not to RLIMIT_MEMLOCK (and this project's CI runs without it).
const capabilities = { CAP_NET_ADMIN: 12, CAP_SYS_ADMIN: 21, CAP_BPF: 39 } as const;

function effectiveCapabilities(statusPath: string): bigint {
  const line = readFileSync(statusPath, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('CapEff:'));
  return BigInt(`0x${line?.split(/\s+/)[1] ?? '0'}`);
}

const programTypes = ['cgroup_sock_addr', 'sock_ops', 'sk_lookup'];
const mapTypes = ['hash', 'lru_hash', 'array', 'sockmap'];
const helpers: [string, string][] = [
  ['cgroup_sock_addr', 'get_netns_cookie'],
  ['cgroup_sock_addr', 'get_socket_cookie'],
  ['sock_ops', 'get_netns_cookie'],
  ['sock_ops', 'get_socket_cookie'],
  ['sk_lookup', 'sk_assign'],
  ['sk_lookup', 'sk_release'],
];

const kernelHint = 'Weft needs Linux >= 5.15 built with CONFIG_BPF_SYSCALL, CONFIG_CGROUP_BPF and CONFIG_BPF_JIT';

/** Every prerequisite of capture, in the order a user should fix them. */
export const featureChecks: FeatureCheck[] = [
  {
    id: 'capabilities',
    description: 'the agent has CAP_BPF, CAP_NET_ADMIN and CAP_SYS_ADMIN',
    hint: 'run as root; in Kubernetes the agent pod needs securityContext.privileged: true',
    run: (env) => {
      const have = effectiveCapabilities(env.statusPath);
      return Object.values(capabilities).every((bit) => (have >> BigInt(bit)) & 1n);
    },
  },
  {
    id: 'btf',
    description: 'the kernel exposes its BTF type information',
    hint: 'use a kernel built with CONFIG_DEBUG_INFO_BTF=y (all major distributions since 2021)',
    run: (env) => existsSync(env.btfPath),
  },
  {
    id: 'cgroup2',
    description: 'a cgroup v2 hierarchy is mounted',
    hint: "mount one ('mount -t cgroup2 none /sys/fs/cgroup/unified') or boot with systemd.unified_cgroup_hierarchy=1",
    run: (env) => findCgroup2Root(env.mountinfoPath) !== undefined,
  },
  {
    id: 'bpffs',
    description: 'a BPF filesystem is mounted for pins',
    hint: "mount it with 'mount -t bpf bpf /sys/fs/bpf' (in Kubernetes: a hostPath volume of /sys/fs/bpf)",
    run: (env) => isOnBpffs(env.pinRoot) && findMounts('bpf', env.mountinfoPath).length > 0,
  },
  ...programTypes.map((type) => ({
    id: `program-type:${type}`,
    description: `the kernel loads BPF programs of type ${type}`,
    hint: kernelHint,
    run: () => probeProgramType(type),
  })),
  ...mapTypes.map((type) => ({
    id: `map-type:${type}`,
    description: `the kernel creates BPF maps of type ${type}`,
    hint: kernelHint,
    run: () => probeMapType(type),
  })),
  ...helpers.map(([type, helper]) => ({
    id: `helper:${type}:${helper}`,
    description: `${type} programs may call bpf_${helper}`,
    hint: kernelHint,
    run: () => probeHelper(type, helper),
  })),
  {
    id: 'capture-programs',
    description: "the kernel's verifier accepts Weft's capture programs",
    hint: 'the error detail holds the verifier log; report it with your kernel version (uname -r)',
    run: (env) => {
      BpfObject.load(env.objectPath).close();
      return true;
    },
  },
];

/** Runs every check; never throws. */
export function probeKernel(env: ProbeEnvironment, checks: FeatureCheck[] = featureChecks): FeatureResult[] {
  return checks.map((check) => {
    const base = { id: check.id, description: check.description };
    try {
      return check.run(env) ? { ...base, ok: true } : { ...base, ok: false, hint: check.hint };
    } catch (error) {
      return { ...base, ok: false, hint: check.hint, detail: error instanceof Error ? error.message : String(error) };
    }
  });
}
