import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface KernelStateScope {
  cgroup: string;
  pinRoot: string;
  namespaces: string[];
}

/** What capture may leave behind, seen the way an operator would look at it. */
export interface KernelState {
  /** `bpftool cgroup show <cgroup>`: attach type and program name. */
  cgroupAttachments: string[];
  /** Files under the pin folder, or ['(absent)']. */
  pins: string[];
  /** sk_lookup links (`bpftool link show`) in the scope's namespaces. */
  netnsLinks: string[];
  /** `ss -tln` in each namespace. */
  listeners: Record<string, string[]>;
  /** This process's open BPF object fds by kind (anon_inode:bpf-map, bpf-prog, bpf_link). */
  bpfFds: Record<string, number>;
}

function bpftoolJson(args: string[]): unknown {
  return JSON.parse(execFileSync('bpftool', ['-j', ...args], { encoding: 'utf8' }).trim() || '[]');
}

function listFiles(root: string): string[] {
  if (!existsSync(root)) return ['(absent)'];
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      out.push(relative(root, path));
      if (statSync(path).isDirectory()) walk(path);
    }
  };
  walk(root);
  return out.sort();
}

export function snapshotKernelState(scope: KernelStateScope): KernelState {
  const attachments = bpftoolJson(['cgroup', 'show', scope.cgroup]) as { attach_type: string; name: string }[];
  const inodes = new Set(scope.namespaces.map((ns) => statSync(ns).ino));
  const links = bpftoolJson(['link', 'show']) as { type: string; netns_ino?: number; prog_id: number; attach_type?: string }[];
  const listeners: Record<string, string[]> = {};
  for (const ns of scope.namespaces) {
    const out = execFileSync('nsenter', [`--net=${ns}`, '--', 'ss', '-Htln'], { encoding: 'utf8' });
    listeners[ns] = out
      .split('\n')
      .map((l) => l.trim().split(/\s+/).slice(3, 4).join(''))
      .filter(Boolean)
      .sort();
  }
  const bpfFds: Record<string, number> = {};
  for (const fd of readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue;
    }
    if (target.startsWith('anon_inode:bpf')) bpfFds[target] = (bpfFds[target] ?? 0) + 1;
  }
  return {
    cgroupAttachments: attachments.map((a) => `${a.attach_type} ${a.name}`).sort(),
    pins: listFiles(scope.pinRoot),
    netnsLinks: links
      .filter((l) => l.type === 'netns' && l.netns_ino !== undefined && inodes.has(l.netns_ino))
      .map((l) => `${l.netns_ino} ${l.attach_type ?? ''} prog ${l.prog_id}`)
      .sort(),
    listeners,
    bpfFds,
  };
}
