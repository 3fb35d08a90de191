import { existsSync, readFileSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { WeftError } from '@weft/api';
import { apiGet } from './control-plane.js';
import { cgroupRoot, setSysctl } from './network.js';
import type { TestbedPki } from './pki.js';
import { writeKubeconfig } from './pki.js';
import { startComponent } from './processes.js';
import { netnsPath, paths } from './testbed-config.js';
import type { UpstreamBinaries } from './upstream.js';

const nodeletMain = fileURLToPath(new URL('../nodelet/nodelet-main.js', import.meta.url));

/** Starts the node emulator for `count` nodes and kube-proxy in every node namespace. */
export function startNodes(bin: UpstreamBinaries, pki: TestbedPki, count: number): void {
  startComponent('nodelet', process.execPath, [nodeletMain, paths.kubeconfig, String(count), cgroupRoot()]);
  writeKubeconfig(paths.componentKubeconfig('kube-proxy'), pki, pki.kubeProxy, 'system:kube-proxy');
  for (let i = 1; i <= count; i++) {
    const node = `node${i}`;
    setSysctl(node, 'net.ipv4.ip_forward', '1');
    startComponent(`kube-proxy-${node}`, bin.kubeProxy, [
      `--kubeconfig=${paths.componentKubeconfig('kube-proxy')}`,
      `--hostname-override=${node}`,
      '--proxy-mode=iptables',
      '--cluster-cidr=198.19.0.0/16',
      '--conntrack-max-per-core=0',
      '--metrics-bind-address=127.0.0.1:10249',
      '--healthz-bind-address=127.0.0.1:10256',
      '--v=1',
    ], { netns: netnsPath(node) });
  }
}

/** Waits until every node is registered and Ready. */
export async function waitForNodes(pki: TestbedPki, count: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let ready = 0;
  while (Date.now() < deadline) {
    const { status, body } = await apiGet(pki, '/api/v1/nodes');
    if (status === 200) {
      const nodes = (JSON.parse(body) as { items: { status?: { conditions?: { type: string; status: string }[] } }[] }).items;
      ready = nodes.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
      if (ready >= count) return;
    }
    await sleep(200);
  }
  throw new WeftError('WEFT_TESTBED_NOT_READY', `only ${ready} of ${count} nodes became Ready`, { hint: `read ${paths.logs}/nodelet.log` });
}

/** Removes the host folders the node emulator made as mount points (empty ones only). */
export function removeCreatedMountPoints(): void {
  if (!existsSync(paths.createdMountPoints)) return;
  const tops = new Set(readFileSync(paths.createdMountPoints, 'utf8').split('\n').filter(Boolean));
  const removeEmpty = (dir: string): void => {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) return;
    for (const entry of readdirSync(dir)) removeEmpty(join(dir, entry));
    try {
      rmdirSync(dir);
    } catch {
      // Not empty: something else wrote there; leave it.
    }
  };
  for (const top of tops) removeEmpty(top);
}
