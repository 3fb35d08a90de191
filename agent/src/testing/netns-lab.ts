import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findCgroup2Root } from '../capture/kernel-mounts.js';

/**
 * A private network lab for privileged tests: network namespaces joined by a bridge in a
 * namespace of their own, a cgroup v2 folder, a private bpffs mount and the processes
 * run inside. Nothing has a route to the world; cleanup() removes everything the lab
 * made and stops only the processes it started, by PID.
 */
export class NetnsLab {
  readonly id: string;
  readonly #namespaces: string[] = [];
  readonly #processes: ChildProcess[] = [];
  readonly #cleanups: (() => void)[] = [];
  #fabric: string | undefined;
  #vethCount = 0;

  private constructor(id: string) {
    this.id = id;
  }

  /** Fails loudly when the test cannot run: privileged tests never skip. */
  static create(): NetnsLab {
    if (process.getuid?.() !== 0) {
      throw new Error('privileged test: must run as root (CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_BPF); run `sudo make test`');
    }
    for (const tool of ['ip', 'nsenter', 'bpftool']) {
      try {
        execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
      } catch {
        throw new Error(`privileged test: '${tool}' is missing; run 'make deps'`);
      }
    }
    // 'wt-' marks everything a lab makes, so tools/clean-test-leftovers.sh can find it after a crash.
    return new NetnsLab(`wt-${process.pid.toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`);
  }

  /** Creates a network namespace with loopback up and returns its path. */
  addNamespace(name: string): string {
    const ns = `${this.id}-${name}`;
    run('ip', ['netns', 'add', ns]);
    this.#namespaces.push(ns);
    run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    return `/run/netns/${ns}`;
  }

  /** Joins a namespace to the lab's bridge with the given addresses (CIDR, v4 or v6). */
  attach(netnsPath: string, addresses: string[]): void {
    const fabric = this.#ensureFabric();
    const ns = nameOf(netnsPath);
    const n = this.#vethCount++;
    const outer = `${this.id}v${n}`;
    run('ip', ['-n', fabric, 'link', 'add', outer, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    run('ip', ['-n', fabric, 'link', 'set', outer, 'master', 'br0', 'up']);
    run('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
    for (const cidr of addresses) this.addAddress(netnsPath, 'eth0', cidr);
  }

  /**
   * Joins two namespaces with a veth pair (a point-to-point link, e.g. a pod to its node
   * or a node to another), with optional addresses on each end.
   */
  link(a: { netnsPath: string; device: string; cidr?: string }, b: { netnsPath: string; device: string; cidr?: string }): void {
    const temporary = `${this.id}l${this.#vethCount++}`;
    run('ip', ['-n', nameOf(a.netnsPath), 'link', 'add', a.device, 'type', 'veth', 'peer', 'name', temporary, 'netns', nameOf(b.netnsPath)]);
    run('ip', ['-n', nameOf(b.netnsPath), 'link', 'set', temporary, 'name', b.device]);
    for (const end of [a, b]) {
      run('ip', ['-n', nameOf(end.netnsPath), 'link', 'set', end.device, 'up']);
      if (end.cidr) this.addAddress(end.netnsPath, end.device, end.cidr);
    }
  }

  /** Sets a sysctl inside a namespace (net.* keys are per namespace). */
  sysctl(netnsPath: string, key: string, value: string): void {
    run('nsenter', [`--net=${netnsPath}`, '--', 'sysctl', '-q', '-w', `${key}=${value}`]);
  }

  addAddress(netnsPath: string, device: string, cidr: string): void {
    const v6 = cidr.includes(':');
    run('ip', ['-n', nameOf(netnsPath), ...(v6 ? ['-6'] : []), 'addr', 'add', cidr, 'dev', device, ...(v6 ? ['nodad'] : [])]);
  }

  addRoute(netnsPath: string, destination: string, via: string): void {
    run('ip', ['-n', nameOf(netnsPath), 'route', 'add', destination, 'via', via]);
  }

  /** A cgroup v2 folder of the lab's own; processes moved in are put back by cleanup(). */
  cgroup(name = ''): string {
    const root = findCgroup2Root();
    if (!root) throw new Error('privileged test: no cgroup v2 hierarchy is mounted (see /proc/self/mountinfo)');
    const path = join(root, `weft-test-${this.id}${name ? `-${name}` : ''}`);
    mkdirSync(path);
    this.#cleanups.push(() => {
      const procs = readFileSync(join(path, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean);
      for (const pid of procs) writeFileSync(join(root, 'cgroup.procs'), pid);
      rmdirSync(path);
    });
    return path;
  }

  /** Moves this test process into a cgroup (as the agent runs below the attach point). */
  enterCgroup(cgroupPath: string): void {
    writeFileSync(join(cgroupPath, 'cgroup.procs'), String(process.pid));
  }

  /** Mounts a private bpffs and returns a folder on it for pins. */
  bpffs(): string {
    const dir = mkdtempSync(join(tmpdir(), `weft-bpffs-${this.id}-`));
    run('mount', ['-t', 'bpf', 'bpf', dir]);
    this.#cleanups.push(() => {
      run('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    });
    return join(dir, 'weft');
  }

  /** Starts a process inside a namespace, optionally inside a cgroup, and tracks its PID. */
  spawn(netnsPath: string, command: string, args: string[], options: { cgroup?: string } = {}): ChildProcess {
    const inner = ['nsenter', `--net=${netnsPath}`, '--', command, ...args];
    const child = options.cgroup
      ? spawn('sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', options.cgroup, ...inner], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(inner[0] as string, inner.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#processes.push(child);
    return child;
  }

  /** Runs a command in a namespace and returns its output. */
  exec(netnsPath: string, command: string, args: string[]): string {
    return execFileSync('nsenter', [`--net=${netnsPath}`, '--', command, ...args], { encoding: 'utf8' });
  }

  namespaces(): string[] {
    return this.#namespaces.map((ns) => `/run/netns/${ns}`);
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.#processes.map(stopProcess));
    for (const undo of this.#cleanups.reverse()) {
      try {
        undo();
      } catch (error) {
        process.stderr.write(`netns-lab cleanup: ${String(error)}\n`);
      }
    }
    for (const ns of this.#namespaces.reverse()) run('ip', ['netns', 'del', ns]);
  }

  #ensureFabric(): string {
    if (!this.#fabric) {
      this.addNamespace('fabric');
      this.#fabric = `${this.id}-fabric`;
      run('ip', ['-n', this.#fabric, 'link', 'add', 'br0', 'type', 'bridge']);
      run('ip', ['-n', this.#fabric, 'link', 'set', 'br0', 'up']);
    }
    return this.#fabric;
  }
}

function nameOf(netnsPath: string): string {
  return netnsPath.replace(/^\/run\/netns\//, '');
}

function run(command: string, args: string[]): void {
  execFileSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    process.kill(child.pid as number, 'SIGKILL');
  });
}
