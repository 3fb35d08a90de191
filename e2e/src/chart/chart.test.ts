// Tier 1 (unit): the Helm chart with the real helm binary, no cluster — lint, golden
// renderings, the schema refusing bad values with its message, and what values change.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadAllYaml } from '@kubernetes/client-node';
import { checkChart, manifestProblems, render } from './chart-check.js';

interface Rendered {
  kind: string;
  metadata: { name: string };
  spec?: Record<string, unknown> & { replicas?: number; minAvailable?: number; template?: { spec: PodSpec } };
  rules?: { resources?: string[]; verbs?: string[]; resourceNames?: string[] }[];
}
interface PodSpec {
  hostNetwork?: boolean;
  hostPID?: boolean;
  tolerations?: unknown[];
  volumes?: { name: string; secret?: { secretName: string } }[];
  containers: { env?: { name: string; value?: string }[]; securityContext?: { privileged?: boolean } }[];
}

function objects(extra: string[] = []): Rendered[] {
  const result = render(extra);
  assert.equal(result.status, 0, result.stderr);
  return (loadAllYaml(result.stdout) as (Rendered | null)[]).filter((o): o is Rendered => o !== null);
}

const find = (list: Rendered[], kind: string, name: string): Rendered | undefined => list.find((o) => o.kind === kind && o.metadata.name === name);

describe('the Helm chart (helm lint, template, schema)', () => {
  it('passes helm lint --strict, renders well-formed objects and matches its golden files', () => {
    assert.deepEqual(checkChart(), []);
  });

  it('its checker catches an object outside the namespace and a setting the binary does not know', () => {
    const problems = manifestProblems(`
apiVersion: apps/v1
kind: DaemonSet
metadata: { name: weft-agent, namespace: default }
spec: { template: { spec: { containers: [{ name: agent, image: x, env: [{ name: WEFT_NODENAME }] }] } } }
`);
    assert.deepEqual(problems, ['DaemonSet/weft-agent: must be in the release namespace', 'DaemonSet/weft-agent: WEFT_NODENAME is not a setting of weft-agent (see its --help)']);
  });

  for (const [set, message] of [
    ['control.replicas=-1', /at '\/control\/replicas': minimum: got -1, want 1/],
    ['mtls.mode=BOGUS', /at '\/mtls\/mode': value must be one of 'PERMISSIVE', 'STRICT'/],
    ['ca.certificateTtlSeconds=10', /at '\/ca\/certificateTtlSeconds': minimum: got 10, want 60/],
    ['agent.adminPort=70000', /at '\/agent\/adminPort': maximum: got 70,000, want 65,535/],
    ['agent.logLevel=loud', /at '\/agent\/logLevel': value must be one of 'debug', 'info', 'warn', 'error'/],
    ['agent.typo=1', /additional properties 'typo' not allowed/],
  ] as const) {
    it(`refuses --set ${set} with the schema's message`, () => {
      const result = render(['--set', set]);
      assert.notEqual(result.status, 0);
      assert.match(result.stderr, message);
    });
  }

  it('the default values: one control plane and no PDB; the agent privileged on the host network and PID namespace, on every node', () => {
    const list = objects();
    assert.equal(find(list, 'Deployment', 'weft-control')?.spec?.replicas, 1);
    assert.equal(find(list, 'PodDisruptionBudget', 'weft-control'), undefined, 'no PDB for one replica');
    const agent = find(list, 'DaemonSet', 'weft-agent')?.spec?.template?.spec;
    assert.ok(agent);
    assert.equal(agent.hostNetwork, true);
    assert.equal(agent.hostPID, true);
    assert.equal(agent.containers[0]?.securityContext?.privileged, true);
    assert.deepEqual(JSON.parse(JSON.stringify(agent.tolerations)), [{ operator: 'Exists' }]);
  });

  it('the HA values: three replicas kept at two by a PDB, and the Prometheus monitors', () => {
    const list = objects(['--values', 'helm/weft/ci/ha-values.yaml']);
    assert.equal(find(list, 'Deployment', 'weft-control')?.spec?.replicas, 3);
    assert.equal(find(list, 'PodDisruptionBudget', 'weft-control')?.spec?.minAvailable, 2);
    assert.ok(find(list, 'PodMonitor', 'weft-agent') && find(list, 'ServiceMonitor', 'weft-control'));
  });

  it('a trust anchor given at install is mounted read-only, and the control plane may then create no Secret', () => {
    const list = objects(['--set', 'ca.existingSecret=my-anchor']);
    const control = find(list, 'Deployment', 'weft-control')?.spec?.template?.spec;
    assert.ok(control?.volumes?.some((v) => v.secret?.secretName === 'my-anchor'));
    assert.ok(control?.containers[0]?.env?.some((e) => e.name === 'WEFT_CA_DIR' && e.value === '/var/run/weft/ca'));
    const role = find(list, 'Role', 'weft-control');
    assert.equal(role?.rules?.some((r) => r.resources?.includes('secrets')), false, 'no Secret rule at all');
    const generated = find(objects(), 'Role', 'weft-control');
    assert.deepEqual(generated?.rules?.filter((r) => r.resources?.includes('secrets')).map((r) => [r.verbs, r.resourceNames]), [
      [['create'], undefined],
      [['get'], ['weft-ca']],
    ]);
  });
});
