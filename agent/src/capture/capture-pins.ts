import { existsSync, mkdirSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BpfLink } from '@weft/native';
import { collectFailures } from './cleanup.js';

/**
 * Where the agent pins its maps and links on bpffs. Pins make the capture state visible
 * to `bpftool` and let a restarted agent find what a crashed one left.
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
 * What a crashed agent left under root. Its cgroup links are detached and its map pins
 * removed at once (the new agent attaches its own). Its pods' sk_lookup links are kept
 * attached, unpinned and held by fd, so STRICT pods stay closed until the new agent
 * enrolls them again or lets them go (CaptureManager.releaseStale).
 */
export function takeStalePins(root: string): Map<string, BpfLink> {
  const podLinks = new Map<string, BpfLink>();
  const linksDir = join(root, 'links');
  const steps: (() => void)[] = [];
  if (existsSync(linksDir)) {
    for (const name of readdirSync(linksDir)) {
      const path = join(linksDir, name);
      steps.push(() => {
        const link = BpfLink.fromPin(path);
        if (name.startsWith('pod-')) {
          link.unpin();
          podLinks.set(name.slice('pod-'.length), link);
        } else {
          link.destroy();
        }
      });
    }
  }
  const mapsDir = join(root, 'maps');
  if (existsSync(mapsDir)) {
    for (const name of readdirSync(mapsDir)) steps.push(() => rmSync(join(mapsDir, name), { force: true }));
  }
  const failures = collectFailures(steps);
  if (failures.length > 0) {
    for (const link of podLinks.values()) link.destroy();
    throw new AggregateError(failures, `could not take over the pins under ${root}`);
  }
  return podLinks;
}
