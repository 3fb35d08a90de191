import type { RawProgram } from './addon.js';
import { addon } from './addon.js';
import { BpfLink } from './bpf-link.js';
import { native } from './native-error.js';

/** A loaded program, named by its C function name. */
export class BpfProgram {
  readonly name: string;
  /** libbpf's name of the program type, e.g. "cgroup_sock_addr". */
  readonly type: string;
  /** libbpf's name of the expected attach type, e.g. "cgroup_inet4_connect". */
  readonly attachType: string;
  readonly #attachTypeId: number;
  readonly #fd: number;

  constructor(raw: RawProgram) {
    this.name = raw.name;
    this.type = raw.type;
    this.attachType = raw.attachType;
    this.#attachTypeId = raw.attachTypeId;
    this.#fd = raw.fd;
  }

  get fd(): number {
    return this.#fd;
  }

  /** Attaches a cgroup program (sock_addr, sockops) to a cgroup v2 directory. */
  attachCgroup(cgroupPath: string): BpfLink {
    return this.#attach(cgroupPath);
  }

  /** Attaches an sk_lookup program to a network namespace (a path such as /run/netns/x). */
  attachNetns(netnsPath: string): BpfLink {
    return this.#attach(netnsPath);
  }

  #attach(target: string): BpfLink {
    return BpfLink.fromFd(native(() => addon.linkCreate(this.#fd, target, this.#attachTypeId)));
  }
}
