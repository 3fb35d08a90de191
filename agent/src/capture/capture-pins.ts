import { existsSync, mkdirSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BpfLink } from '@weft/native';

/**
 * Where the agent pins its maps and links on bpffs. Pins make the capture state visible
 * to `bpftool` and let a restarted agent find, and detach, what a crashed one left.
 *
 *   <root>/maps/<map name>
 *   <root>/links/cgroup-<program>
 *   <root>/links/pod-<pod uid>
 */
export class CapturePins {
  readonly root: string;

  constructor(root: string) {
    this.root = root;
    mkdirSync(this.mapsDir, { recursive: true });
    mkdirSync(this.linksDir, { recursive: true });
  }

  get mapsDir(): string {
    return join(this.root, 'maps');
  }

  get linksDir(): string {
    return join(this.root, 'links');
  }

  map(name: string): string {
    return join(this.mapsDir, name);
  }

  cgroupLink(program: string): string {
    return join(this.linksDir, `cgroup-${program}`);
  }

  podLink(uid: string): string {
    return join(this.linksDir, `pod-${uid}`);
  }

  /** Removes the pin folders, root included (it is Weft's own), when nothing is left in them. */
  removeFolders(): void {
    for (const dir of [this.mapsDir, this.linksDir, this.root]) rmdirIfEmpty(dir);
  }
}

function rmdirIfEmpty(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // Not empty or already gone: leave it for the operator to see.
  }
}

/**
 * Detaches every link pinned under root/links and unpins every map under root/maps:
 * the leftovers of an agent that did not stop cleanly. Returns what was removed.
 */
export function removeStalePins(root: string): string[] {
  const removed: string[] = [];
  const linksDir = join(root, 'links');
  if (existsSync(linksDir)) {
    for (const name of readdirSync(linksDir)) {
      const path = join(linksDir, name);
      BpfLink.fromPin(path).destroy();
      removed.push(path);
    }
  }
  const mapsDir = join(root, 'maps');
  if (existsSync(mapsDir)) {
    for (const name of readdirSync(mapsDir)) {
      rmSync(join(mapsDir, name), { force: true });
      removed.push(join(mapsDir, name));
    }
  }
  return removed;
}
