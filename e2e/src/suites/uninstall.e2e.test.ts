// Tier 3 (e2e), suite "uninstall": `helm uninstall` of Weft while enrolled pods talk — no
// pin, link, cgroup attachment or listener of Weft remains, and traffic flows directly.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cgroupRoot } from '../testbed/network.js';
import { eventually, podsOf, type Pod } from '../testbed/testbed-client.js';
import { testbed } from '../testbed/testbed-config.js';
import { helm } from '../testbed/weft-chart.js';
import { deployShop, nextTotals, pod, podPids, startMeshTestbed, watchWire, type Kubectl, type shopPods } from './mesh-testbed.js';

const weftPorts = [15001, 15006, 15008];

/** Every file under a folder, however deep. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

/** TCP ports listening in a pod's network namespace. */
function listeningPorts(p: Pod): number[] {
  const [pid] = podPids(p);
  const out = execFileSync('nsenter', [`--net=/proc/${pid ?? ''}/ns/net`, 'ss', '-Hltn'], { encoding: 'utf8' });
  return out.split('\n').flatMap((line) => {
    const local = line.trim().split(/\s+/)[3];
    const port = Number(local?.slice(local.lastIndexOf(':') + 1));
    return Number.isInteger(port) ? [port] : [];
  });
}

describe('helm uninstall (e2e, suite "uninstall")', () => {
  let kubectl: Kubectl;
  let stop = (): Promise<void> => Promise.resolve();
  let pods: Awaited<ReturnType<typeof shopPods>>;

  before(async () => {
    ({ kubectl, stop } = await startMeshTestbed());
    pods = await deployShop(kubectl, { enrolled: true });
  });

  after(() => stop());

  it('removes every trace of Weft from the nodes and the pods, and the pods go on talking directly', async () => {
    const client = pod(kubectl, 'shop', 'client');
    const meshed = [...pods.client, ...pods.servers];
    assert.ok(meshed.some((p) => listeningPorts(p).includes(15008)), 'before: Weft listens in the enrolled pods');
    assert.ok(filesUnder(testbed.bpfPinRoot).length > 0, 'before: the agents have pins');
    const podNetns = new Set(meshed.map((p) => Number(/net:\[(\d+)\]/.exec(execFileSync('readlink', [`/proc/${podPids(p)[0] ?? ''}/ns/net`], { encoding: 'utf8' }))?.[1])));
    const cgroupAttachments = (): unknown[] => JSON.parse(execFileSync('bpftool', ['-j', 'cgroup', 'tree', cgroupRoot()], { encoding: 'utf8' })) as unknown[];
    const podLinks = (): unknown[] =>
      (JSON.parse(execFileSync('bpftool', ['-j', 'link', 'show'], { encoding: 'utf8' })) as { type?: string; netns_ino?: number }[]).filter((l) => l.type === 'netns' && podNetns.has(l.netns_ino ?? -1));
    assert.ok(cgroupAttachments().length > 0, 'before: the capture programs are attached to the nodes’ cgroups');
    assert.equal(podLinks().length, meshed.length, 'before: one sk_lookup link per enrolled pod');

    helm(['uninstall', 'weft', '--namespace', 'weft-system', '--wait', '--timeout', '120s']);
    await eventually('the agents and the control plane to be gone', () => podsOf(kubectl, 'weft-system').length === 0, 60_000);

    assert.deepEqual(filesUnder(testbed.bpfPinRoot), [], 'no pin is left');
    assert.deepEqual(cgroupAttachments(), [], 'no program is attached to the testbed’s cgroups');
    assert.deepEqual(podLinks(), [], 'no sk_lookup link is left on the pods’ namespaces');
    for (const p of meshed) assert.deepEqual(listeningPorts(p).filter((port) => weftPorts.includes(port)), [], `no Weft listener in ${p.metadata.name}`);

    const before = await nextTotals(client);
    const wire = await watchWire('node1', 3, { plainPort: 8080, text: '"path":"/"', host: client.status.podIP ?? '' });
    const after = await nextTotals(client);
    assert.ok(wire.plain > 0 && wire.hbone === 0, `traffic crosses the wire directly now (${JSON.stringify(wire)})`);
    assert.ok(after.ok > before.ok && after.failed === before.failed, `and succeeds (${JSON.stringify(after)})`);
    // CRDs stay (helm never deletes them), so the cluster's policies are not lost with a reinstall.
    assert.match(kubectl(['get', 'crd', 'authorizationpolicies.policy.weft.dev', '-o', 'name']), /authorizationpolicies\.policy\.weft\.dev/);
  });
});
