import { WeftError } from '@weft/api';

/** Fields the addon attaches to the errors it throws (native/src/weft_errors.cc). */
interface AddonErrorFields {
  errno?: number;
  errnoName?: string;
  syscall?: string;
  detail?: string;
}

interface Diagnosis {
  code: `WEFT_NATIVE_${string}`;
  hint: string;
}

const permissionHint =
  'run the agent as root or grant CAP_BPF, CAP_NET_ADMIN and CAP_SYS_ADMIN; ' +
  'in Kubernetes the agent pod needs securityContext.privileged: true';

/**
 * How errno values read for each kind of call. The first rule whose errno and syscall
 * prefix match wins, so specific rules come before general ones.
 */
const kernelRefused: Diagnosis = {
  code: 'WEFT_NATIVE_KERNEL_REFUSED',
  hint: "the kernel refused a program: run 'weft check --pre' to see which BPF feature is missing (Linux >= 5.15 with BTF is needed); the verifier log is in error.detail",
};

const rules: { errno: string; syscall?: string; detail?: RegExp; diagnosis: Diagnosis }[] = [
  // The verifier answers EACCES or EINVAL; its log, not the errno, tells it from a
  // permission problem.
  { errno: 'EACCES', syscall: 'bpf_object__load', detail: /BEGIN PROG LOAD LOG/, diagnosis: kernelRefused },
  { errno: 'EPERM', diagnosis: { code: 'WEFT_NATIVE_PERMISSION', hint: permissionHint } },
  { errno: 'EACCES', diagnosis: { code: 'WEFT_NATIVE_PERMISSION', hint: permissionHint } },
  {
    errno: 'ENOENT',
    syscall: 'open(',
    diagnosis: { code: 'WEFT_NATIVE_NOT_FOUND', hint: 'the path does not exist: has the pod (or its network namespace) gone away?' },
  },
  {
    errno: 'ENOENT',
    syscall: 'bpf_object__open_file',
    diagnosis: { code: 'WEFT_NATIVE_NOT_FOUND', hint: "the BPF object file is missing: run 'make build' (it builds bpf/build/weft_capture.o)" },
  },
  {
    errno: 'ENOENT',
    syscall: 'bpf_obj_get',
    diagnosis: { code: 'WEFT_NATIVE_NOT_FOUND', hint: 'nothing is pinned at that path' },
  },
  {
    errno: 'EINVAL',
    syscall: 'setns',
    diagnosis: { code: 'WEFT_NATIVE_NOT_A_NETNS', hint: 'the path is not a network namespace (use /run/netns/<name> or /proc/<pid>/ns/net)' },
  },
  {
    errno: 'EINVAL',
    syscall: 'bpf_object__load',
    detail: /couldn't reuse pinned map/,
    diagnosis: {
      code: 'WEFT_NATIVE_PINNED_MAP_MISMATCH',
      hint: 'a map pinned by another build of the agent has a different layout: that agent still owns the node (see docs/upgrades.md)',
    },
  },
  {
    errno: 'EINVAL',
    syscall: 'bpf_object__open_file',
    diagnosis: { code: 'WEFT_NATIVE_BAD_OBJECT', hint: 'the file is not a BPF ELF object built with clang -target bpf -g' },
  },
  { errno: 'EINVAL', syscall: 'bpf_object__load', diagnosis: kernelRefused },
  {
    errno: 'EINVAL',
    syscall: 'bpf_link_create',
    diagnosis: { code: 'WEFT_NATIVE_ATTACH_FAILED', hint: 'the target does not fit this program: cgroup programs need a cgroup v2 directory, sk_lookup needs a network namespace' },
  },
  {
    errno: 'EINVAL',
    syscall: 'inet_pton',
    diagnosis: { code: 'WEFT_NATIVE_BAD_ADDRESS', hint: 'give an IP address of the socket family (4 or 6)' },
  },
  {
    errno: 'LIBBPF_BAD_OBJECT',
    diagnosis: { code: 'WEFT_NATIVE_BAD_OBJECT', hint: 'the file is not a BPF ELF object built with clang -target bpf -g' },
  },
  { errno: 'LIBBPF_REFUSED', diagnosis: kernelRefused },
  { errno: 'LIBBPF_PROGTYPE', diagnosis: { code: 'WEFT_NATIVE_KERNEL_FEATURE', hint: "this kernel cannot load a program type Weft needs: run 'weft check --pre'" } },
  { errno: 'EBADF', diagnosis: { code: 'WEFT_NATIVE_BAD_FD', hint: 'the file descriptor is closed or was never a BPF object of that kind' } },
  { errno: 'ENOTSUPP', diagnosis: { code: 'WEFT_NATIVE_KERNEL_FEATURE', hint: "this kernel lacks a BPF feature Weft needs: run 'weft check --pre'" } },
  { errno: 'EOPNOTSUPP', diagnosis: { code: 'WEFT_NATIVE_KERNEL_FEATURE', hint: "this kernel lacks a BPF feature Weft needs: run 'weft check --pre'" } },
  { errno: 'E2BIG', diagnosis: { code: 'WEFT_NATIVE_MAP_FULL', hint: 'a BPF map is full: more pods are enrolled on this node than the agent supports' } },
  { errno: 'ENOSPC', diagnosis: { code: 'WEFT_NATIVE_MAP_FULL', hint: 'a BPF map is full: more pods are enrolled on this node than the agent supports' } },
  { errno: 'EADDRINUSE', syscall: 'bind(@', diagnosis: { code: 'WEFT_NATIVE_NAME_IN_USE', hint: 'another process listens on that abstract socket name' } },
  { errno: 'EADDRINUSE', diagnosis: { code: 'WEFT_NATIVE_ADDRESS_IN_USE', hint: "another process in the pod already listens on Weft's port; the ports are listed in docs/ARCHITECTURE.md" } },
  { errno: 'EADDRNOTAVAIL', diagnosis: { code: 'WEFT_NATIVE_ADDRESS_NOT_AVAILABLE', hint: 'the address is not configured in that network namespace (is loopback up, is IPv6 enabled?)' } },
  { errno: 'EAFNOSUPPORT', diagnosis: { code: 'WEFT_NATIVE_ADDRESS_NOT_AVAILABLE', hint: 'the address family is disabled in that network namespace' } },
  { errno: 'ECONNREFUSED', syscall: 'connect(@', diagnosis: { code: 'WEFT_NATIVE_NO_LISTENER', hint: 'no process listens on that abstract socket name' } },
  { errno: 'ECONNREFUSED', diagnosis: { code: 'WEFT_NATIVE_CONNECTION_REFUSED', hint: 'nothing listens at the destination' } },
  { errno: 'ETIMEDOUT', diagnosis: { code: 'WEFT_NATIVE_TIMEOUT', hint: 'the destination did not answer: is a route or a policy dropping the traffic?' } },
  { errno: 'EAGAIN', syscall: 'sendmsg', diagnosis: { code: 'WEFT_NATIVE_WOULD_BLOCK', hint: 'the socket buffer is full: send again once the peer has read' } },
  { errno: 'EMFILE', diagnosis: { code: 'WEFT_NATIVE_TOO_MANY_FILES', hint: 'raise the open-file limit (ulimit -n) of the agent' } },
  { errno: 'EEXIST', diagnosis: { code: 'WEFT_NATIVE_EXISTS', hint: 'something is already pinned at that path; a previous agent may have crashed without cleaning up' } },
];

/** An operating-system or libbpf failure inside the addon, with errno and a hint. */
export class NativeError extends WeftError {
  readonly errno: number;
  readonly errnoName: string;
  readonly syscall: string;
  /** Extra text from the kernel, e.g. the verifier log of a failed load. */
  readonly detail: string | undefined;

  constructor(raw: Error & AddonErrorFields) {
    const errnoName = raw.errnoName ?? 'E?';
    const syscall = raw.syscall ?? 'unknown';
    const rule = rules.find(
      (r) =>
        r.errno === errnoName &&
        (r.syscall === undefined || syscall.startsWith(r.syscall)) &&
        (r.detail === undefined || r.detail.test(raw.detail ?? '')),
    );
    const diagnosis: Diagnosis = rule?.diagnosis ?? { code: 'WEFT_NATIVE_SYSTEM', hint: `the system call failed with ${errnoName}` };
    super(diagnosis.code, raw.message, { cause: raw, hint: diagnosis.hint });
    this.errno = raw.errno ?? 0;
    this.errnoName = errnoName;
    this.syscall = syscall;
    this.detail = raw.detail;
  }
}

function isAddonError(error: unknown): error is Error & AddonErrorFields {
  return error instanceof Error && typeof (error as AddonErrorFields).errno === 'number';
}

/** Runs an addon call; its errno failures become NativeErrors, argument errors pass as they are. */
export function native<T>(call: () => T): T {
  try {
    return call();
  } catch (error) {
    throw isAddonError(error) ? new NativeError(error) : error;
  }
}

/** The async twin of native(). */
export async function nativeAsync<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw isAddonError(error) ? new NativeError(error) : error;
  }
}
