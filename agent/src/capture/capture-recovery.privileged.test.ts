// Privileged tier: an agent killed with SIGKILL leaves its pins; STRICT pods stay closed
// meanwhile, and the next agent removes every leftover when it starts.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { NetnsLab } from '../testing/netns-lab.js';
import { ProcessOutput } from '../testing/process-output.js';
import { captureObjectPath, fixture } from '../testing/paths.js';
import { snapshotKernelState, type KernelState } from '../testing/kernel-state.js';
import { CaptureManager } from './capture-manager.js';

interface ProbeResult {
  ok: boolean;
  error?: string;
}

describe('capture after an agent crash (privileged)', () => {
  let lab: NetnsLab;
  const ns = { client: '', strict: '', permissive: '' };
  let cgroup: string;
  let pinRoot: string;
  let baseline: KernelState;

  async function probe(host: string): Promise<ProbeResult> {
    const out = new ProcessOutput(lab.spawn(ns.client, process.execPath, [fixture('tcp-probe-client'), JSON.stringify({ host, port: 8080, count: 1, timeout: 1000 })]));
    await out.exit();
    const [result] = out.json<ProbeResult>();
    assert.ok(result, out.stderr);
    return result;
  }

  before(async () => {
    lab = NetnsLab.create();
    try {
      ns.client = lab.addNamespace('client');
      ns.strict = lab.addNamespace('strict');
      ns.permissive = lab.addNamespace('perm');
      lab.attach(ns.client, ['198.18.1.1/24']);
      lab.attach(ns.strict, ['198.18.1.2/24']);
      lab.attach(ns.permissive, ['198.18.1.3/24']);
      cgroup = lab.cgroup();
      pinRoot = lab.bpffs();
      for (const netns of [ns.strict, ns.permissive]) {
        const server = new ProcessOutput(lab.spawn(netns, process.execPath, [fixture('tcp-echo-server'), '0.0.0.0', '8080']));
        await server.waitFor((l) => l === 'listening');
      }
      baseline = snapshotKernelState({ cgroup, pinRoot, namespaces: lab.namespaces() });
    } catch (error) {
      await lab.cleanup();
      throw error;
    }
  });

  after(() => lab.cleanup());

  it('fails closed while the agent is dead, and a new agent cleans up what the dead one left', async () => {
    const agent = new ProcessOutput(
      lab.spawn('/proc/self/ns/net', process.execPath, [
        fixture('capture-agent'),
        JSON.stringify({
          objectPath: captureObjectPath,
          cgroupPath: cgroup,
          pinRoot,
          pods: [
            { uid: 'strict', netnsPath: ns.strict, ips: ['198.18.1.2'], strict: true },
            { uid: 'permissive', netnsPath: ns.permissive, ips: ['198.18.1.3'] },
          ],
        }),
      ]),
    );
    await agent.waitFor((l) => l === 'ready');
    agent.child.kill('SIGKILL');
    await agent.exit();

    // The kernel keeps what was pinned: links stay attached, listeners died with the process.
    assert.ok(readdirSync(`${pinRoot}/links`).length >= 5, 'pinned links outlive the agent');
    const crashed = snapshotKernelState({ cgroup, pinRoot, namespaces: lab.namespaces() });
    assert.equal(crashed.netnsLinks.length, 2, 'sk_lookup links outlive the agent');
    assert.equal((await probe('198.18.1.2')).ok, false, 'STRICT pod is closed while no agent listens');
    assert.equal((await probe('198.18.1.3')).ok, true, 'PERMISSIVE pod is reached directly');

    // A new agent takes over: STRICT stays closed until the pod is enrolled again.
    let inbound = 0;
    const manager = CaptureManager.start({
      objectPath: captureObjectPath,
      cgroupPath: cgroup,
      pinRoot,
      onConnection: ({ socket }) => {
        inbound++;
        socket.resume();
        socket.end('not forwarded\n');
      },
    });
    const restarted = snapshotKernelState({ cgroup, pinRoot, namespaces: lab.namespaces() });
    assert.equal(restarted.cgroupAttachments.length, 3, 'only the new agent’s three cgroup programs are attached');
    assert.equal(restarted.netnsLinks.length, 2, 'the dead agent’s sk_lookup links stay until the pods are taken over');
    assert.equal((await probe('198.18.1.2')).ok, false, 'STRICT stays closed across the restart');
    await manager.enroll({ uid: 'strict', netnsPath: ns.strict, ips: ['198.18.1.2'], strict: true });
    await probe('198.18.1.2');
    assert.equal(inbound, 1, 'the re-enrolled STRICT pod is captured by the new agent');
    assert.equal(snapshotKernelState({ cgroup, pinRoot, namespaces: lab.namespaces() }).netnsLinks.length, 2, 'its old link was replaced, not added to');
    manager.releaseStale();
    assert.equal(snapshotKernelState({ cgroup, pinRoot, namespaces: lab.namespaces() }).netnsLinks.length, 1, 'the permissive pod’s old link is gone');
    assert.equal((await probe('198.18.1.3')).ok, true, 'the permissive pod, not enrolled any more, is reached directly');
    await manager.stop();
    assert.deepEqual(snapshotKernelState({ cgroup, pinRoot, namespaces: lab.namespaces() }), baseline);
    assert.equal(existsSync(`${pinRoot}/links`), false);
  });
});
