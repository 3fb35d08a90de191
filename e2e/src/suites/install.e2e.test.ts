// Tier 3 (e2e), suite "install": `helm install` of Weft's chart on the testbed — every part
// Ready, the control plane under the chart's own least-privilege RBAC, bad values refused
// at install with the schema's message.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isReady, podsOf } from '../testbed/testbed-client.js';
import { chartPath, helm, testbedValues } from '../testbed/weft-chart.js';
import { agentState, startMeshTestbed, type Kubectl } from './mesh-testbed.js';

describe('helm install (e2e, suite "install")', () => {
  let kubectl: Kubectl;
  let installOutput = '';
  let stop = (): Promise<void> => Promise.resolve();

  before(async () => {
    ({ kubectl, stop, installOutput } = await startMeshTestbed());
  });

  after(() => stop());

  it('brings up the control plane and an agent on every node, all Ready, and says what to do next', async () => {
    const control = podsOf(kubectl, 'weft-system', 'app.kubernetes.io/name=weft-control');
    const agents = podsOf(kubectl, 'weft-system', 'app.kubernetes.io/name=weft-agent');
    const nodes = (JSON.parse(kubectl(['get', 'nodes', '-o', 'json'])) as { items: { metadata: { name: string } }[] }).items.map((n) => n.metadata.name);
    assert.equal(control.length, 1);
    assert.ok(control.every(isReady), 'the control plane is Ready');
    assert.deepEqual(agents.map((a) => a.spec.nodeName).sort(), nodes.sort(), 'one agent per node');
    assert.ok(agents.every(isReady), 'every agent is Ready');
    for (const node of nodes) assert.equal((await agentState(node)).source?.connected, true, `the agent on ${node} follows the control plane`);
    const crd = JSON.parse(kubectl(['get', 'crd', 'authorizationpolicies.policy.weft.dev', '-o', 'json'])) as { status: { conditions: { type: string; status: string }[] } };
    assert.ok(crd.status.conditions.some((c) => c.type === 'Established' && c.status === 'True'), 'the policy CRD is established');
    assert.match(kubectl(['get', 'configmap', 'weft-trust-bundle', '-n', 'weft-system', '-o', 'jsonpath={.data.root\\.crt}']), /^-----BEGIN CERTIFICATE-----/);
    assert.match(installOutput, /kubectl label namespace <namespace> weft\.dev\/mesh=enabled/, 'NOTES tell the user how to enroll');
  });

  it('runs the control plane as its own ServiceAccount with no more rights than it uses; the agent may only read its DaemonSet', () => {
    const control = 'system:serviceaccount:weft-system:weft-control';
    const canAs = (sa: string, args: string[]): boolean => kubectl(['auth', 'can-i', '--as', sa, ...args]).trim() === 'yes';
    const cannotAs = (sa: string, args: string[]): boolean => {
      try {
        kubectl(['auth', 'can-i', '--as', sa, ...args]);
        return false;
      } catch (error) {
        return (error as { stdout?: string }).stdout?.trim() === 'no';
      }
    };
    const can = (args: string[]): boolean => canAs(control, args);
    const cannot = (args: string[]): boolean => cannotAs(control, args);
    const pod = podsOf(kubectl, 'weft-system', 'app.kubernetes.io/name=weft-control')[0];
    assert.equal(kubectl(['get', 'pod', pod?.metadata.name ?? '', '-n', 'weft-system', '-o', 'jsonpath={.spec.serviceAccountName}']).trim(), 'weft-control');
    for (const allowed of [['watch', 'pods', '-A'], ['list', 'endpointslices.discovery.k8s.io', '-A'], ['create', 'tokenreviews.authentication.k8s.io'], ['patch', 'authorizationpolicies.policy.weft.dev', '--subresource=status', '-n', 'shop'], ['get', 'secret/weft-ca', '-n', 'weft-system']]) {
      assert.ok(can(allowed), `may ${allowed.join(' ')}`);
    }
    for (const denied of [
      ['get', 'secrets', '-n', 'default'],
      ['get', 'secret/other', '-n', 'weft-system'],
      ['list', 'secrets', '-n', 'weft-system'],
      ['create', 'pods', '-n', 'shop'],
      ['delete', 'pods', '-A'],
      ['update', 'authorizationpolicies.policy.weft.dev', '-n', 'shop'],
      ['create', 'serviceaccounts', '--subresource=token', '-n', 'weft-system'],
    ]) {
      assert.ok(cannot(denied), `may not ${denied.join(' ')}`);
    }
    // To tell an uninstall (its DaemonSet gone) from an upgrade when it is stopped: docs/upgrades.md.
    const agent = 'system:serviceaccount:weft-system:weft-agent';
    assert.ok(canAs(agent, ['get', 'daemonset/weft-agent', '-n', 'weft-system']), 'the agent may read its own DaemonSet');
    for (const denied of [['get', 'daemonset/other', '-n', 'weft-system'], ['list', 'daemonsets', '-n', 'weft-system'], ['get', 'pods', '-n', 'weft-system'], ['get', 'secrets', '-n', 'weft-system']]) {
      assert.ok(cannotAs(agent, denied), `the agent may not ${denied.join(' ')}`);
    }
  });

  it('refuses invalid values at install with the schema’s message, and installs nothing', () => {
    for (const [set, message] of [
      ['control.replicas=-1', /at '\/control\/replicas': minimum: got -1, want 1/],
      ['mtls.mode=MAYBE', /at '\/mtls\/mode': value must be one of 'PERMISSIVE', 'STRICT'/],
    ] as const) {
      assert.throws(() => helm(['install', 'weft-bad', chartPath, '--namespace', 'weft-bad', '--create-namespace', ...testbedValues(), '--set', set]), (error: Error) => message.test(error.message));
    }
    assert.equal(helm(['list', '-A', '-q']).trim(), 'weft', 'only the good release exists');
  });
});
