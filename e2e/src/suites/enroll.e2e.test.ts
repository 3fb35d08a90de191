// Tier 3 (e2e), suite "enroll": Weft installed with its Helm chart on the testbed; a
// namespace of running pods is labelled into the mesh and out again. Real control plane,
// real agents with real eBPF on every emulated node, real kube-apiserver.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { cgroupRoot } from '../testbed/network.js';
import { eventually, podsOf, type Pod } from '../testbed/testbed-client.js';
import { testbed } from '../testbed/testbed-config.js';
import {
  agentMetrics,
  agentState,
  heldNetns,
  nextTotals,
  pod,
  podNetns,
  podPids,
  sample,
  deployShop,
  shopPods,
  startMeshTestbed,
  watchWire,
  type Kubectl,
} from './mesh-testbed.js';

const nodes = ['node1', 'node2'];

/** uid → node of every pod an agent has enrolled. */
async function enrolledPods(): Promise<Map<string, string>> {
  const enrolled = new Map<string, string>();
  for (const node of nodes) for (const w of (await agentState(node)).enrolled) enrolled.set(w.uid, node);
  return enrolled;
}

/** Polls until `check` holds, and says how long that took. */
async function timed(what: string, check: () => Promise<boolean>): Promise<number> {
  const start = performance.now();
  await eventually(what, async () => (await check()) || undefined, 20_000);
  return performance.now() - start;
}

describe('enrollment by label, without restarts (e2e, suite "enroll")', () => {
  let kubectl: Kubectl;
  let stop = (): Promise<void> => Promise.resolve();
  let pids: Map<string, number[]>;
  let pods: Awaited<ReturnType<typeof shopPods>>;

  before(async () => {
    ({ kubectl, stop } = await startMeshTestbed());
    pods = await deployShop(kubectl, { enrolled: false });
    await eventually('both servers Ready', () => podsOf(kubectl, 'shop', 'app=server').filter((p) => p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length === 2, 60_000);
    pids = new Map(podsOf(kubectl, 'shop').map((p) => [p.metadata.uid, podPids(p)]));
  });

  after(() => stop());

  const servers = (): Pod[] => podsOf(kubectl, 'shop', 'app=server').filter((p) => p.status.phase === 'Running');

  it('labelling the namespace enrolls its running pods on their nodes: mTLS on the wire, nothing restarted', async () => {
    const client = pod(kubectl, 'shop', 'client');
    const before = await nextTotals(client);
    const wanted = [...pods.client, ...pods.servers];
    kubectl(['label', 'namespace', 'shop', 'weft.dev/mesh=enabled']);
    const ms = await timed('every shop pod to be enrolled', async () => {
      const enrolled = await enrolledPods();
      return wanted.every((p) => enrolled.get(p.metadata.uid) === p.spec.nodeName);
    });
    process.stdout.write(`# label → every pod captured: ${ms.toFixed(0)} ms\n`);
    const enrolled = await enrolledPods();
    assert.equal(enrolled.has(pods.loner[0]?.metadata.uid ?? ''), false, 'the pod labelled weft.dev/mesh=disabled stays out');
    assert.equal([...enrolled.keys()].filter((uid) => podsOf(kubectl, 'weft-system').some((p) => p.metadata.uid === uid)).length, 0, "the mesh's own pods are never enrolled");

    // Cross-node requests: the server pod on node2 is reached through HBONE only.
    const wire = await watchWire('node1', 3, { plainPort: 8080, text: '"path":"/"', host: client.status.podIP ?? '' });
    assert.ok(wire.hbone > 0, `TLS to 15008 crossed the wire (${JSON.stringify(wire)})`);
    assert.equal(wire.plain, 0, 'no plaintext to the app port crossed the wire');
    assert.equal(wire.sawText, false, 'no byte of the HTTP exchange crossed the wire');
    const metrics = await agentMetrics('node1');
    assert.ok(sample(metrics, 'weft_requests_total', { direction: 'outbound', source_workload: 'client', mtls: 'true', response_code: '200' }) > 0);

    const after = await nextTotals(client);
    assert.equal(after.failed - before.failed, 0, `no request failed while the namespace joined (${JSON.stringify(after)})`);
    for (const p of podsOf(kubectl, 'shop')) {
      assert.deepEqual(podPids(p), pids.get(p.metadata.uid), `${p.metadata.name} kept its processes`);
      assert.equal(JSON.stringify(p.status).includes('"restartCount":1'), false, `${p.metadata.name} did not restart`);
    }
  });

  it('removing the label sends traffic direct again, still without restarts', async () => {
    kubectl(['label', 'namespace', 'shop', 'weft.dev/mesh-']);
    const ms = await timed('no shop pod to be enrolled', async () => (await enrolledPods()).size === 0);
    process.stdout.write(`# unlabel → every pod released: ${ms.toFixed(0)} ms\n`);
    const client = pod(kubectl, 'shop', 'client');
    const before = await nextTotals(client);
    const wire = await watchWire('node1', 3, { plainPort: 8080, text: '"path":"/"', host: client.status.podIP ?? '' });
    assert.ok(wire.plain > 0, `plaintext to 8080 crosses the wire again (${JSON.stringify(wire)})`);
    assert.equal(wire.hbone, 0, 'and no more HBONE');
    const after = await nextTotals(client);
    assert.ok(after.ok > before.ok && after.failed === before.failed, `requests go on succeeding directly (${JSON.stringify(after)})`);
    for (const p of podsOf(kubectl, 'shop')) assert.deepEqual(podPids(p), pids.get(p.metadata.uid), `${p.metadata.name} kept its processes`);
  });

  it('pods created, scaled and deleted are enrolled on their own node and cleaned up after', async () => {
    kubectl(['label', 'namespace', 'shop', 'weft.dev/mesh=enabled']);
    kubectl(['scale', 'deployment/server', '-n', 'shop', '--replicas=4']);
    await timed('four servers enrolled, each by the agent of its node', async () => {
      const enrolled = await enrolledPods();
      const running = servers();
      return running.length === 4 && running.every((p) => enrolled.get(p.metadata.uid) === p.spec.nodeName);
    });
    const before = servers();
    const netns = new Map(before.map((p) => [p.metadata.uid, podNetns(p)]));
    kubectl(['scale', 'deployment/server', '-n', 'shop', '--replicas=1']);
    await eventually('three servers gone', () => podsOf(kubectl, 'shop', 'app=server').length === 1, 60_000);
    const kept = new Set(podsOf(kubectl, 'shop', 'app=server').map((p) => p.metadata.uid));
    const gone = before.filter((p) => !kept.has(p.metadata.uid));
    assert.equal(gone.length, 3);
    const agents = podsOf(kubectl, 'weft-system', 'app.kubernetes.io/name=weft-agent');
    // The agents let a pod go after their drain (5 s): listener, pins, map entries, netns handle.
    await eventually('every trace of the deleted pods to be gone', async () => {
      const enrolled = await enrolledPods();
      for (const p of gone) {
        const node = p.spec.nodeName ?? '';
        if (enrolled.has(p.metadata.uid)) return false;
        if (existsSync(`${testbed.bpfPinRoot}/${node}/links/pod-${p.metadata.uid}`)) return false;
        const agent = agents.find((a) => a.spec.nodeName === node);
        const pid = agent ? podPids(agent)[0] : undefined;
        if (pid === undefined || heldNetns(pid).includes(netns.get(p.metadata.uid) ?? '')) return false;
        if (existsSync(`${cgroupRoot()}/${node}/${p.metadata.uid}`)) return false;
      }
      return true;
    }, 30_000);
    for (const node of nodes) {
      const metrics = await agentMetrics(node);
      const onNode = [...kept].filter((uid) => servers().find((p) => p.metadata.uid === uid)?.spec.nodeName === node).length + (node === 'node1' ? 1 : 0);
      assert.equal(sample(metrics, 'weft_enrolled_pods'), onNode, `${node} counts only the pods it still serves`);
    }
  });

  it('keeps every request working while the control plane is killed and restarted, and the agents resync', async () => {
    const client = pod(kubectl, 'shop', 'client');
    const versions = await Promise.all(nodes.map(async (n) => (await agentState(n)).version));
    const before = await nextTotals(client);
    const control = pod(kubectl, 'weft-system', podsOf(kubectl, 'weft-system', 'app.kubernetes.io/name=weft-control')[0]?.metadata.name ?? '');
    for (const pid of podPids(control)) process.kill(pid, 'SIGKILL');
    await eventually('the agents to see the control plane go', async () => (await Promise.all(nodes.map(agentState))).some((s) => s.source?.connected === false) || undefined, 10_000).catch(() => undefined);
    await timed('every agent resynced with the restarted control plane', async () => {
      const states = await Promise.all(nodes.map(agentState));
      return states.every((s, i) => s.source?.connected === true && s.version.split('.')[0] !== versions[i]?.split('.')[0]);
    });
    await sleep(1000);
    const after = await nextTotals(client);
    assert.ok(after.ok - before.ok > 20, `requests went on (${after.ok - before.ok} answered)`);
    assert.equal(after.failed - before.failed, 0, `zero failed requests across the restart (${JSON.stringify(after.errors)})`);
    const enrolled = await enrolledPods();
    assert.ok(enrolled.has(client.metadata.uid), 'the client is still enrolled after the resync');
  });
});
