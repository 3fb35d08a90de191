import { existsSync, readdirSync, rmdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findCgroup2Root } from '@weft/agent';
import { run, tryRun } from './shell.js';
import { netnsName, netnsPath, testbed } from './testbed-config.js';

/**
 * The testbed's network: a bridge in its own namespace ("fabric"), the control plane and
 * every node each in a namespace with one veth on the bridge, and the host joined by one
 * veth whose only route is the fabric subnet. No namespace has a default route.
 */
export function createFabric(): void {
  const fabric = netnsName('fabric');
  addNamespace('fabric');
  run('ip', ['-n', fabric, 'link', 'add', 'br0', 'type', 'bridge']);
  run('ip', ['-n', fabric, 'link', 'set', 'br0', 'up']);
  // The host's single link into the fabric.
  const hostSide = `${testbed.prefix}-host`;
  run('ip', ['link', 'add', hostSide, 'type', 'veth', 'peer', 'name', 'host', 'netns', fabric]);
  run('ip', ['-n', fabric, 'link', 'set', 'host', 'master', 'br0', 'up']);
  run('ip', ['addr', 'add', `${testbed.hostAddress}/24`, 'dev', hostSide]);
  run('ip', ['link', 'set', hostSide, 'up']);
}

export function addNamespace(role: string): string {
  const name = netnsName(role);
  run('ip', ['netns', 'add', name]);
  run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  return netnsPath(role);
}

/** A namespace joined to the fabric bridge at `address` (/24), as device eth0. */
export function addFabricMember(role: string, address: string): string {
  const path = addNamespace(role);
  const fabric = netnsName('fabric');
  const outer = `${testbed.prefix}f-${role}`.slice(0, 15);
  run('ip', ['-n', fabric, 'link', 'add', outer, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netnsName(role)]);
  run('ip', ['-n', fabric, 'link', 'set', outer, 'master', 'br0', 'up']);
  run('ip', ['-n', netnsName(role), 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
  run('ip', ['-n', netnsName(role), 'link', 'set', 'eth0', 'up']);
  return path;
}

export function addRoute(role: string, destination: string, via: string): void {
  run('ip', ['-n', netnsName(role), 'route', 'replace', destination, 'via', via]);
}

export function setSysctl(role: string, key: string, value: string): void {
  run('ip', ['netns', 'exec', netnsName(role), 'sysctl', '-q', '-w', `${key}=${value}`]);
}

/** Every namespace the testbed owns (by prefix), e.g. after a crash of `up`. */
export function testbedNamespaces(): string[] {
  if (!existsSync('/run/netns')) return [];
  return readdirSync('/run/netns').filter((n) => n.startsWith(`${testbed.prefix}-`));
}

/** PIDs of every process inside the testbed's namespaces. */
export function processesInNamespaces(): number[] {
  return testbedNamespaces().flatMap((ns) =>
    run('ip', ['netns', 'pids', ns])
      .split('\n')
      .filter(Boolean)
      .map(Number),
  );
}

/** Removes every namespace and the host link the testbed made. */
export function destroyNetwork(): void {
  for (const ns of testbedNamespaces()) tryRun('ip', ['netns', 'del', ns]);
  tryRun('ip', ['link', 'del', `${testbed.prefix}-host`]);
}

/** The cgroup v2 folder of the testbed's pods (under the hierarchy's root). */
export function cgroupRoot(): string {
  const root = findCgroup2Root();
  if (!root) throw new Error('no cgroup v2 hierarchy is mounted');
  return join(root, `${testbed.prefix}-pods`);
}

/**
 * Removes the testbed's cgroups, deepest first. Processes still inside are pod processes
 * the node emulator started: they are killed by PID first.
 */
export function destroyCgroups(): void {
  const root = cgroupRoot();
  if (!existsSync(root)) return;
  const remove = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) remove(join(dir, entry.name));
    writeFileSync(join(dir, 'cgroup.kill'), '1');
    for (let i = 0; i < 100 && readFileSync(join(dir, 'cgroup.procs'), 'utf8').trim(); i++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    rmdirSync(dir);
  };
  remove(root);
}
