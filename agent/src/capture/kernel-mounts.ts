import { readFileSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';

const BPF_FS_MAGIC = 0xcafe4a11;
const CGROUP2_SUPER_MAGIC = 0x63677270;

/** The filesystem type of the nearest existing folder at or above `path`. */
function fsTypeOf(path: string): number | undefined {
  for (let p = path; ; p = dirname(p)) {
    try {
      return statfsSync(p).type;
    } catch {
      if (p === dirname(p)) return undefined;
    }
  }
}

/** True when `path` (or, when it does not exist yet, the folder it would be made in) is on bpffs. */
export function isOnBpffs(path: string): boolean {
  return fsTypeOf(path) === BPF_FS_MAGIC;
}

export function isCgroup2(path: string): boolean {
  try {
    return statfsSync(path).type === CGROUP2_SUPER_MAGIC;
  } catch {
    return false;
  }
}

/**
 * Mount points of a filesystem type, from a mountinfo file (field 5 is the mount point,
 * the type follows the " - " separator). Octal escapes such as \040 are decoded.
 */
export function findMounts(fsType: string, mountinfoPath = '/proc/self/mountinfo'): string[] {
  const found: string[] = [];
  for (const line of readFileSync(mountinfoPath, 'utf8').split('\n')) {
    const [before, after] = line.split(' - ');
    if (!before || !after) continue;
    if (after.split(' ')[0] !== fsType) continue;
    const mountPoint = before.split(' ')[4];
    if (mountPoint) found.push(mountPoint.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
  }
  return found;
}

/** The cgroup v2 root: /sys/fs/cgroup on unified hosts, /sys/fs/cgroup/unified on hybrid ones. */
export function findCgroup2Root(mountinfoPath?: string): string | undefined {
  const mounts = findMounts('cgroup2', mountinfoPath);
  return mounts.find((m) => m === '/sys/fs/cgroup') ?? mounts[0];
}
