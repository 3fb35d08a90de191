import { existsSync, mkdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './shell.js';
import { stateDir, testbed } from './testbed-config.js';

const BPF_FS_MAGIC = 0xcafe4a11;
/** Written when `up` mounted bpffs itself, so that `down` unmounts only what it mounted. */
const marker = (): string => join(stateDir, 'mounted-bpffs');

function isBpffs(path: string): boolean {
  try {
    return statfsSync(path).type === BPF_FS_MAGIC;
  } catch {
    return false;
  }
}

/**
 * A node has bpffs at /sys/fs/bpf (systemd mounts it); the agents pin their maps and links
 * there, each node under its own folder of testbed.bpfPinRoot. When the host has none, the
 * testbed mounts it, and says so in its state folder.
 */
export function ensureBpffs(): void {
  if (!isBpffs(testbed.bpffs)) {
    mkdirSync(testbed.bpffs, { recursive: true });
    run('mount', ['-t', 'bpf', 'bpf', testbed.bpffs]);
    writeFileSync(marker(), `${testbed.bpffs}\n`);
  }
  mkdirSync(testbed.bpfPinRoot, { recursive: true });
}

/** Removes the agents' pins, and bpffs itself when `up` mounted it. */
export function releaseBpffs(): void {
  if (isBpffs(testbed.bpffs)) rmSync(testbed.bpfPinRoot, { recursive: true, force: true });
  if (existsSync(marker())) {
    run('umount', [testbed.bpffs]);
    rmSync(marker());
  }
}
