// Privileged tier: an agent killed with SIGKILL leaves its capture in the kernel. While no
// agent runs, an enrolled pod's outbound connections are refused — never sent around the
// mesh — and STRICT pods stay closed; the next agent takes the maps and links over without
// a gap, and lets go of pods that are not the node's any more.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { NetnsLab } from '../testing/netns-lab.js';
import { ProcessOutput } from '../testing/process-output.js';
import { captureObjectPath, fixture } from '../testing/paths.js';
import { snapshotKernelState, type KernelState } from '../testing/kernel-state.js';
import { CaptureManager, type CapturedConnection } from './capture-manager.js';

interface ProbeResult {
  ok: boolean;
  error?: string;
}

const ip = { client: '198.18.1.1', strict: '198.18.1.2', permissive: '198.18.1.3', outsider: '198.18.1.4' };

describe('capture after an agent crash (privileged)', () => {
  let lab: NetnsLab;
  const ns = { client: '', strict: '', permissive: '', outsider: '' };
  let cgroup: string;
  let pinRoot: string;
  let baseline: KernelState;

  /** One TCP exchange from a namespace; `inCgroup`: from inside the capture cgroup (an enrolled pod's process). */
  async function probe(from: string, host: string, inCgroup = false): Promise<ProbeResult> {
    const out = new ProcessOutput(lab.spawn(from, process.execPath, [fixture('tcp-probe-client'), JSON.stringify({ host, port: 8080, count: 1, timeout: 1000 })], inCgroup ? { cgroup } : {}));
    await out.exit();
    const [result] = out.json<ProbeResult>();
    assert.ok(result, out.stderr);
    return result;
  }

  const state = (): KernelState => snapshotKernelState({ cgroup, pinRoot, namespaces: lab.namespaces() });

  before(async () => {
    lab = NetnsLab.create();
    try {
      for (const name of ['client', 'strict', 'permissive', 'outsider'] as const) {
        ns[name] = lab.addNamespace(name.slice(0, 6));
        lab.attach(ns[name], [`${ip[name]}/24`]);
      }
      cgroup = lab.cgroup();
      pinRoot = lab.bpffs();
      for (const netns of [ns.strict, ns.permissive]) {
        const server = new ProcessOutput(lab.spawn(netns, process.execPath, [fixture('tcp-echo-server'), '0.0.0.0', '8080']));
        await server.waitFor((l) => l === 'listening');
      }
      baseline = state();
    } catch (error) {
      await lab.cleanup();
      throw error;
    }
  });

  after(() => lab.cleanup());

  it('keeps enrolled pods captured while no agent runs, and the next agent takes the capture over', async () => {
    const pods = [
      { uid: 'client', netnsPath: ns.client, ips: [ip.client] },
      { uid: 'strict', netnsPath: ns.strict, ips: [ip.strict], strict: true },
      { uid: 'permissive', netnsPath: ns.permissive, ips: [ip.permissive] },
    ];
    const agent = new ProcessOutput(lab.spawn('/proc/self/ns/net', process.execPath, [fixture('capture-agent'), JSON.stringify({ objectPath: captureObjectPath, cgroupPath: cgroup, pinRoot, pods })]));
    await agent.waitFor((l) => l === 'ready');
    const before = state();
    agent.child.kill('SIGKILL');
    await agent.exit();

    // The kernel keeps what was pinned: programs, maps and links stay; listeners died with the process.
    assert.equal(readdirSync(`${pinRoot}/links`).length, 6, 'three cgroup links and three pod links outlive the agent');
    const crashed = state();
    assert.deepEqual(crashed.cgroupAttachments, before.cgroupAttachments, 'the capture programs stay attached');
    assert.equal(crashed.netnsLinks.length, 3, 'sk_lookup links outlive the agent');
    const refused = await probe(ns.client, ip.permissive, true);
    assert.equal(refused.ok, false, 'the enrolled client’s connection is refused while no agent listens: it never goes around the mesh');
    assert.match(refused.error ?? '', /ECONNREFUSED/);
    assert.equal((await probe(ns.outsider, ip.strict)).ok, false, 'a STRICT pod is closed while no agent listens');
    assert.equal((await probe(ns.outsider, ip.permissive)).ok, true, 'a PERMISSIVE pod takes plaintext from outside the mesh, as its mode allows');

    // A new agent takes over: the same maps and links, switched to its programs in place.
    const captured: CapturedConnection[] = [];
    const manager = CaptureManager.start({
      objectPath: captureObjectPath,
      cgroupPath: cgroup,
      pinRoot,
      onConnection: (connection) => {
        captured.push(connection);
        connection.socket.resume();
        connection.socket.end('not forwarded\n');
      },
    });
    const restarted = state();
    assert.equal(restarted.cgroupAttachments.length, 3, 'still exactly three cgroup programs: replaced, not added');
    assert.notDeepEqual(restarted.cgroupAttachments, [], 'and attached all along');
    assert.equal(restarted.netnsLinks.length, 3, 'the pods’ sk_lookup links are kept, running the new agent’s program');
    assert.notDeepEqual(restarted.netnsLinks, crashed.netnsLinks, 'their program is the new agent’s');
    assert.match((await probe(ns.client, ip.permissive, true)).error ?? '', /ECONNREFUSED/, 'the client is still captured, refused until enrolled again');
    assert.equal((await probe(ns.outsider, ip.strict)).ok, false, 'STRICT stays closed across the restart');

    await manager.enroll(pods[0] ?? assert.fail());
    await manager.enroll(pods[1] ?? assert.fail());
    await probe(ns.client, ip.permissive, true);
    await probe(ns.outsider, ip.strict);
    assert.deepEqual(
      captured.map((c) => [c.direction, c.pod.uid, c.originalDestination.address]),
      [
        ['outbound', 'client', ip.permissive],
        ['inbound', 'strict', ip.strict],
      ],
      'the pods enrolled again are served by the new agent, with their original destinations',
    );
    assert.deepEqual(
      manager.pods().map((p) => p.inboundSlot).sort(),
      [...new Set(manager.pods().map((p) => p.inboundSlot))].sort(),
      'each pod has a slot of its own',
    );
    assert.equal(state().netnsLinks.length, 3, 'links were kept, not added to');

    manager.releasePrevious(['client', 'strict']);
    assert.equal(state().netnsLinks.length, 2, 'the permissive pod, not the node’s any more, lost its link');
    assert.equal((await probe(ns.outsider, ip.permissive)).ok, true, 'and is reached directly');
    assert.equal(existsSync(`${pinRoot}/links/pod-permissive`), false);
    await manager.stop();
    assert.deepEqual(state(), baseline);
    assert.equal(existsSync(`${pinRoot}/links`), false);
  });
});
