import { closeSync, fstatSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface PodNetnsFinderOptions {
  /** The host's /proc (the agent runs with hostPID). */
  procRoot?: string;
}

/**
 * Finds the network namespace of a pod on this node from its uid, the way every container
 * runtime leaves it: the pod's processes live in a cgroup whose path names the uid
 * (kubepods/…/pod<uid>, kubepods-…-pod<uid_with_underscores>.slice, or the testbed's
 * <node>/<uid>). The namespace is held open by a file descriptor until release(), and its
 * path is /proc/self/fd/<fd>: a PID can be reused, the descriptor cannot be.
 */
export class PodNetnsFinder {
  readonly #procRoot: string;
  readonly #held = new Map<string, { fd: number; path: string }>();
  readonly #ownNetns: number;

  constructor(options: PodNetnsFinderOptions = {}) {
    this.#procRoot = options.procRoot ?? '/proc';
    this.#ownNetns = statSync('/proc/self/ns/net').ino;
  }

  /** The netns path of each pod found; pods not found (no process yet) are left out. */
  find(uids: Iterable<string>): Map<string, string> {
    const found = new Map<string, string>();
    const wanted = new Map<string, string[]>();
    for (const uid of uids) {
      const held = this.#held.get(uid);
      if (held) found.set(uid, held.path);
      else wanted.set(uid, [uid, uid.replaceAll('-', '_')]);
    }
    if (wanted.size === 0) return found;
    for (const pid of this.#pids()) {
      const cgroups = this.#read(join(this.#procRoot, pid, 'cgroup'));
      if (!cgroups) continue;
      for (const [uid, spellings] of wanted) {
        if (!spellings.some((s) => cgroups.includes(s))) continue;
        const path = this.#hold(uid, pid);
        if (path) {
          found.set(uid, path);
          wanted.delete(uid);
        }
        break;
      }
      if (wanted.size === 0) break;
    }
    return found;
  }

  /** Lets the namespace of a pod that left go. */
  release(uid: string): void {
    const held = this.#held.get(uid);
    if (!held) return;
    this.#held.delete(uid);
    closeSync(held.fd);
  }

  /** The pods whose namespaces are held. */
  held(): string[] {
    return [...this.#held.keys()];
  }

  releaseAll(): void {
    for (const uid of [...this.#held.keys()]) this.release(uid);
  }

  #pids(): string[] {
    return readdirSync(this.#procRoot).filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid);
  }

  #read(path: string): string | undefined {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined; // the process ended meanwhile
    }
  }

  #hold(uid: string, pid: string): string | undefined {
    let fd: number;
    try {
      fd = openSync(join(this.#procRoot, pid, 'ns', 'net'), 'r');
    } catch {
      return undefined;
    }
    // A process of the pod that shares the host's namespace (the agent's own, say) is no pod netns.
    if (fstatSync(fd).ino === this.#ownNetns) {
      closeSync(fd);
      return undefined;
    }
    const path = `/proc/self/fd/${fd}`;
    this.#held.set(uid, { fd, path });
    return path;
  }
}
