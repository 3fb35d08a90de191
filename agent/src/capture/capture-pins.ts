import { mkdirSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BpfLink } from '@weft/native';
import { collectFailures } from './cleanup.js';

/**
 * Where the agent pins its maps and links on bpffs. Pins keep the capture in the kernel
 * between two agents (an upgrade, a crash): the next agent reuses the maps and switches the
 * links to its own programs, so enrolled pods are never left uncaptured. They also make the
 * state visible to `bpftool`.
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

/** The links a previous agent pinned under root: its cgroup programs' and its pods'. */
export interface PinnedLinks {
  /** By program name (links/cgroup-<program>). */
  cgroup: Map<string, BpfLink>;
  /** By pod uid (links/pod-<uid>). */
  pods: Map<string, BpfLink>;
}

/** Opens every link pinned under root, changing nothing; one that cannot be opened is an error. */
export function openPinnedLinks(pins: CapturePins): PinnedLinks {
  const found: PinnedLinks = { cgroup: new Map(), pods: new Map() };
  const failures = collectFailures(
    readdirSync(pins.linksDir).map((name) => () => {
      const link = BpfLink.fromPin(join(pins.linksDir, name));
      if (name.startsWith('pod-')) found.pods.set(name.slice('pod-'.length), link);
      else if (name.startsWith('cgroup-')) found.cgroup.set(name.slice('cgroup-'.length), link);
      else link.close();
    }),
  );
  if (failures.length > 0) {
    for (const link of [...found.cgroup.values(), ...found.pods.values()]) link.close();
    throw new AggregateError(failures, `could not open the links pinned under ${pins.linksDir}`);
  }
  return found;
}

/**
 * Clears the way for maps of another layout: the previous agent's cgroup links are detached
 * and its map pins removed. Its pods' sk_lookup links stay attached, unpinned and held by
 * fd, so STRICT pods stay closed until they are enrolled again (or let go).
 */
export function clearIncompatiblePins(pins: CapturePins): Map<string, BpfLink> {
  const { cgroup, pods } = openPinnedLinks(pins);
  const steps: (() => void)[] = [...cgroup.values()].map((link) => () => link.destroy());
  for (const link of pods.values()) steps.push(() => link.unpin());
  for (const name of readdirSync(pins.mapsDir)) steps.push(() => rmSync(join(pins.mapsDir, name), { force: true }));
  const failures = collectFailures(steps);
  if (failures.length > 0) {
    for (const link of pods.values()) link.close();
    throw new AggregateError(failures, `could not clear the pins under ${pins.root}`);
  }
  return pods;
}
