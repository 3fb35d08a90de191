// Tier 3 (e2e): the control plane's CA as it runs in a cluster — the weft-control binary in
// the testbed's control-plane namespace, with its own ServiceAccount and RBAC, reviewing the
// agent's real projected token with TokenReview, watching real pods, keeping its trust
// anchor in a real Secret. The agent side is the real identity manager over gRPC/TLS.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { status, type ServiceError } from '@grpc/grpc-js';
import { isWeftError } from '@weft/api';
import { buildWorkloadCsr, createWorkloadKey, GrpcCertificateSigner, WorkloadIdentities } from '@weft/agent';
import { pkiPaths } from '../testbed/pki.js';
import { isRunning, startComponent, stopComponent } from '../testbed/processes.js';
import { containerLog, eventually, kubectlOf, podsOf } from '../testbed/testbed-client.js';
import { netnsPath, paths, stateDir, testbed } from '../testbed/testbed-config.js';
import { acquireTestbedLease } from '../testbed/testbed-lease.js';
import { down, up } from '../testbed/testbed.js';
import { ensureHelm } from '../testbed/upstream.js';
import { renderTemplate } from '../testbed/weft-chart.js';

const controlMain = fileURLToPath(new URL('../../../control/dist/main.js', import.meta.url));
// The broken-anchor case reads a second Secret; the chart lets the control plane read only its own.
const brokenSecretRole = `
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: weft-control-test, namespace: weft-system }
rules: [{ apiGroups: [""], resources: [secrets], resourceNames: [weft-ca-broken], verbs: [get] }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: weft-control-test, namespace: weft-system }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: weft-control-test }
subjects: [{ kind: ServiceAccount, name: weft-control, namespace: weft-system }]
`;
const cp = testbed.controlPlaneAddress;
const serverName = 'weft-control.weft-system.svc';
const id = (namespace: string, serviceAccount: string): string => `spiffe://cluster.local/ns/${namespace}/sa/${serviceAccount}`;

let kubectl: (args: string[], input?: string) => string;

/** A pod pinned to a node that prints its ServiceAccount token, then waits. */
function tokenPod(options: { namespace: string; name: string; serviceAccount: string; node: string }): string {
  return `
apiVersion: v1
kind: Pod
metadata: { name: ${options.name}, namespace: ${options.namespace} }
spec:
  nodeName: ${options.node}
  serviceAccountName: ${options.serviceAccount}
  restartPolicy: Never
  containers:
  - { name: main, image: weft.dev/test/shell, command: [sh, -c, 'cat /var/run/secrets/kubernetes.io/serviceaccount/token; echo; sleep 3600'] }
`;
}

async function tokenOf(namespace: string, name: string): Promise<string> {
  return eventually(`the token of ${namespace}/${name}`, () => {
    const pod = podsOf(kubectl, namespace).find((p) => p.metadata.name === name && p.status.phase === 'Running');
    const token = pod ? containerLog(pod.metadata.uid, 'main').split('\n')[0] : undefined;
    return token && token.length > 100 ? token : undefined;
  });
}

async function httpGet(url: string): Promise<{ status: number; body: string }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.text() };
}

function secretFile(name: string, file: string): string {
  const data = JSON.parse(kubectl(['get', 'secret', name, '-n', 'weft-system', '-o', 'json'])) as { data: Record<string, string> };
  return Buffer.from(data.data[file] ?? '', 'base64').toString('utf8');
}

/** A kubeconfig with the control plane's own ServiceAccount token: RBAC is tested too. */
function writeControlKubeconfig(): string {
  const token = kubectl(['create', 'token', 'weft-control', '-n', 'weft-system', '--duration=2h']).trim();
  const path = join(stateDir, 'weft-control.kubeconfig');
  const ca = readFileSync(pkiPaths().caCert).toString('base64');
  writeFileSync(
    path,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'testbed', cluster: { server: `https://${cp}:${testbed.apiserverPort}`, 'certificate-authority-data': ca } }],
      users: [{ name: 'weft-control', user: { token } }],
      contexts: [{ name: 'weft-control', context: { cluster: 'testbed', user: 'weft-control' } }],
      'current-context': 'weft-control',
    }),
    { mode: 0o600 },
  );
  return path;
}

function startControl(name: string, kubeconfig: string, env: Record<string, string> = {}): void {
  startComponent(name, process.execPath, [controlMain], {
    netns: netnsPath('cp'),
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', WEFT_KUBECONFIG: kubeconfig, WEFT_GRPC_ADDRESS: `${cp}:15012`, WEFT_HTTP_ADDRESS: `${cp}:8084`, ...env },
  });
}

const controlLog = (name: string): string => readFileSync(join(paths.logs, `${name}.log`), 'utf8');

/** The gRPC status and Weft code of a refused certify call. */
async function refusal(signer: GrpcCertificateSigner, spiffeId: string): Promise<{ code: number; details: string }> {
  try {
    await signer.certify(buildWorkloadCsr(spiffeId, createWorkloadKey()));
  } catch (error) {
    const cause = (error as { cause?: ServiceError }).cause;
    return { code: cause?.code ?? -1, details: cause?.details ?? String(error) };
  }
  throw new Error(`${spiffeId} was signed, but a refusal was expected`);
}

describe('the control plane CA on the testbed (e2e)', () => {
  let releaseLease = (): void => undefined;
  let kubeconfig: string;
  let agentToken: string;
  let cartToken: string;
  let rootPem: string;
  let intermediatePem: string;
  let signer: GrpcCertificateSigner;
  let identities: WorkloadIdentities;
  const signerAs = (token: string): GrpcCertificateSigner => new GrpcCertificateSigner({ address: `${cp}:15012`, trustBundlePem: rootPem, serverName, token: () => token, timeoutMs: 5000 });
  const others: GrpcCertificateSigner[] = [];

  before(async () => {
    if (process.getuid?.() !== 0) throw new Error('e2e test: must run as root (network namespaces, cgroups); run `sudo make test`');
    kubectl = kubectlOf(ensureHelm().kubectl);
    releaseLease = await acquireTestbedLease();
    await up();
    // The chart's own RBAC: the CA must work with exactly what the chart grants.
    kubectl(['create', 'namespace', 'weft-system']);
    kubectl(['apply', '-f', '-'], renderTemplate('control-rbac.yaml'));
    kubectl(['create', 'serviceaccount', 'weft-agent', '-n', 'weft-system']);
    kubectl(['apply', '-f', '-'], brokenSecretRole);
    kubectl(['create', 'namespace', 'shop']);
    for (const sa of ['cart', 'checkout', 'payments', 'late']) kubectl(['create', 'serviceaccount', sa, '-n', 'shop']);
    kubectl(['apply', '-f', '-'], [
      tokenPod({ namespace: 'weft-system', name: 'agent-node1', serviceAccount: 'weft-agent', node: 'node1' }),
      tokenPod({ namespace: 'shop', name: 'cart', serviceAccount: 'cart', node: 'node1' }),
      tokenPod({ namespace: 'shop', name: 'checkout', serviceAccount: 'checkout', node: 'node1' }),
      tokenPod({ namespace: 'shop', name: 'payments', serviceAccount: 'payments', node: 'node2' }),
    ].join('---\n'));
    agentToken = await tokenOf('weft-system', 'agent-node1');
    cartToken = await tokenOf('shop', 'cart');
    kubeconfig = writeControlKubeconfig();
    startControl('weft-control', kubeconfig);
    await eventually('weft-control to be ready', async () => (await httpGet(`http://${cp}:8084/readyz`)).status === 200, 60_000);
    rootPem = secretFile('weft-ca', 'root.crt');
    intermediatePem = secretFile('weft-ca', 'intermediate.crt');
    signer = signerAs(agentToken);
    identities = new WorkloadIdentities({ signer, backoff: { initialMs: 200, maxMs: 1000 } });
  });

  after(async () => {
    identities.stop();
    signer.close();
    for (const s of others) s.close();
    await stopComponent('weft-control');
    await stopComponent('weft-control-broken');
    await stopComponent('weft-control-audience');
    await down({ quiet: true });
    releaseLease();
  });

  it('generates its trust anchor on first start and keeps it in the Secret weft-system/weft-ca', () => {
    const secret = JSON.parse(kubectl(['get', 'secret', 'weft-ca', '-n', 'weft-system', '-o', 'json'])) as { data: Record<string, string> };
    assert.deepEqual(Object.keys(secret.data).sort(), ['intermediate.crt', 'intermediate.key', 'root.crt', 'root.key']);
    assert.match(controlLog('weft-control'), /"msg":"trust anchor generated and stored"/);
  });

  it('signs an identity of a pod on the agent’s node, a chain that openssl verifies with the stored root', async () => {
    const certificate = await identities.ensure(id('shop', 'cart'));
    const dir = mkdtempSync(join(tmpdir(), 'weft-e2e-chain-'));
    try {
      const [leaf] = certificate.chainPem.split(/(?<=-----END CERTIFICATE-----)\n*/);
      writeFileSync(join(dir, 'root.pem'), rootPem);
      writeFileSync(join(dir, 'intermediate.pem'), intermediatePem);
      writeFileSync(join(dir, 'leaf.pem'), `${leaf ?? ''}\n`);
      const verified = execFileSync('openssl', ['verify', '-CAfile', join(dir, 'root.pem'), '-untrusted', join(dir, 'intermediate.pem'), join(dir, 'leaf.pem')], { encoding: 'utf8' });
      assert.match(verified, /leaf\.pem: OK/);
      const san = execFileSync('openssl', ['x509', '-in', join(dir, 'leaf.pem'), '-noout', '-ext', 'subjectAltName'], { encoding: 'utf8' });
      assert.match(san, /URI:spiffe:\/\/cluster\.local\/ns\/shop\/sa\/cart/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses, with the real TokenReview: a tampered token, a token that is not the agent’s, a pod on another node', async () => {
    const tampered = signerAs(`${agentToken}x`);
    const notAgent = signerAs(cartToken);
    others.push(tampered, notAgent);
    const invalid = await refusal(tampered, id('shop', 'cart'));
    assert.equal(invalid.code, status.UNAUTHENTICATED);
    assert.match(invalid.details, /WEFT_AUTH_TOKEN_INVALID/);
    const wrongAccount = await refusal(notAgent, id('shop', 'cart'));
    assert.equal(wrongAccount.code, status.PERMISSION_DENIED);
    assert.match(wrongAccount.details, /WEFT_AUTH_NOT_AGENT: system:serviceaccount:shop:cart is not the Weft agent/);
    const otherNode = await refusal(signer, id('shop', 'payments'));
    assert.equal(otherNode.code, status.PERMISSION_DENIED);
    assert.match(otherNode.details, /WEFT_CA_NO_POD_ON_NODE: no pod of shop\/payments runs on node node1/);
    const log = controlLog('weft-control');
    assert.match(log, /"msg":"certificate refused","reason":"WEFT_AUTH_TOKEN_INVALID"/);
    assert.ok(!log.includes(agentToken.slice(-40)), 'tokens are never logged');
  });

  it('follows pods as they come and go: a new pod’s identity is granted at once, refused after it is deleted', async () => {
    kubectl(['apply', '-f', '-'], tokenPod({ namespace: 'shop', name: 'late', serviceAccount: 'late', node: 'node1' }));
    await signer.certify(buildWorkloadCsr(id('shop', 'late'), createWorkloadKey()));
    const lateToken = await tokenOf('shop', 'late');
    kubectl(['delete', 'pod', 'late', '-n', 'shop', '--wait=true', '--timeout=60s']);
    // A pod-bound token dies with its pod, like an expired one: TokenReview no longer accepts it.
    const deadToken = signerAs(lateToken);
    others.push(deadToken);
    const dead = await refusal(deadToken, id('shop', 'late'));
    assert.equal(dead.code, status.UNAUTHENTICATED);
    assert.match(dead.details, /WEFT_AUTH_TOKEN_INVALID/);
    const gone = await eventually('the deleted pod’s identity to be refused', async () => {
      const refused = await refusal(signer, id('shop', 'late')).catch(() => undefined);
      return refused;
    });
    assert.equal(gone.code, status.PERMISSION_DENIED);
  });

  it('counts issuances and refusals by reason on /metrics', async () => {
    const { status: code, body } = await httpGet(`http://${cp}:8084/metrics`);
    assert.equal(code, 200);
    const issued = Number(/^weft_ca_certificates_issued_total (\d+)$/m.exec(body)?.[1]);
    assert.ok(issued >= 2, `issued: ${issued}`);
    for (const reason of ['WEFT_AUTH_TOKEN_INVALID', 'WEFT_AUTH_NOT_AGENT', 'WEFT_CA_NO_POD_ON_NODE']) {
      assert.match(body, new RegExp(`^weft_ca_refusals_total\\{reason="${reason}"\\} [1-9]`, 'm'));
    }
  });

  it('keeps its trust anchor across a restart; the agent serves cached certificates meanwhile and recovers on its own', async () => {
    const cart = identities.current(id('shop', 'cart'));
    assert.ok(cart, 'the cart certificate is held');
    await stopComponent('weft-control');
    assert.equal(identities.current(id('shop', 'cart')), cart, 'the cached certificate is still served while the CA is down');
    await assert.rejects(identities.ensure(id('shop', 'checkout')), (error: unknown) => isWeftError(error, 'WEFT_IDENTITY_CA_REFUSED') && /UNAVAILABLE|ECONNREFUSED/.test(error.message));
    startControl('weft-control', kubeconfig);
    // No new ensure(): the manager's own retry gets the certificate once the CA is back.
    const checkout = await eventually('the checkout certificate after the CA returns', () => identities.current(id('shop', 'checkout')), 60_000);
    assert.equal(secretFile('weft-ca', 'root.crt'), rootPem, 'the stored root is unchanged');
    assert.match(controlLog('weft-control'), /"msg":"trust anchor ready".*"origin":"loaded"/);
    const dir = mkdtempSync(join(tmpdir(), 'weft-e2e-chain-'));
    try {
      writeFileSync(join(dir, 'root.pem'), rootPem);
      writeFileSync(join(dir, 'chain.pem'), checkout.chainPem);
      const [leaf] = checkout.chainPem.split(/(?<=-----END CERTIFICATE-----)\n*/);
      writeFileSync(join(dir, 'leaf.pem'), `${leaf ?? ''}\n`);
      const verified = execFileSync('openssl', ['verify', '-CAfile', join(dir, 'root.pem'), '-untrusted', join(dir, 'chain.pem'), join(dir, 'leaf.pem')], { encoding: 'utf8' });
      assert.match(verified, /OK/, 'a certificate issued after the restart chains to the root from before it');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start on a stored trust anchor it cannot use, and leaves it untouched', async () => {
    kubectl(['create', 'secret', 'generic', 'weft-ca-broken', '-n', 'weft-system', '--from-literal=root.crt=not a certificate']);
    startControl('weft-control-broken', kubeconfig, { WEFT_CA_SECRET: 'weft-ca-broken', WEFT_GRPC_ADDRESS: `${cp}:15013`, WEFT_HTTP_ADDRESS: `${cp}:8085` });
    await eventually('the broken control plane to exit', () => !isRunning('weft-control-broken'));
    assert.match(controlLog('weft-control-broken'), /WEFT_CA_ANCHOR_INVALID: the trust anchor in Secret weft-system\/weft-ca-broken cannot be used: root\.crt must hold exactly one PEM certificate/);
    assert.equal(secretFile('weft-ca-broken', 'root.crt'), 'not a certificate');
  });

  it('with a token audience set (as the chart sets it), refuses a valid agent token minted for another audience and accepts one for its own', async () => {
    startControl('weft-control-audience', kubeconfig, { WEFT_CA_TOKEN_AUDIENCES: 'weft-control', WEFT_GRPC_ADDRESS: `${cp}:15014`, WEFT_HTTP_ADDRESS: `${cp}:8086` });
    await eventually('the second control plane to be ready', async () => (await httpGet(`http://${cp}:8086/readyz`)).status === 200, 60_000);
    // Tokens of the same agent pod, valid and bound to it, that differ only in their audience.
    const minted = (audience: string): string =>
      kubectl(['create', 'token', 'weft-agent', '-n', 'weft-system', '--audience', audience, '--bound-object-kind', 'Pod', '--bound-object-name', 'agent-node1', '--duration', '10m']).trim();
    const at = (token: string): GrpcCertificateSigner => {
      const s = new GrpcCertificateSigner({ address: `${cp}:15014`, trustBundlePem: rootPem, serverName, token: () => token, timeoutMs: 5000 });
      others.push(s);
      return s;
    };
    for (const [what, token] of [
      ['another audience', minted('other.example')],
      ['the API server’s (the default ServiceAccount token)', agentToken],
    ] as const) {
      const refused = await refusal(at(token), id('shop', 'cart'));
      assert.equal(refused.code, 16, `${what}: UNAUTHENTICATED`);
      assert.match(refused.details, /WEFT_AUTH_TOKEN_INVALID/, what);
    }
    const svid = await at(minted('weft-control')).certify(buildWorkloadCsr(id('shop', 'cart'), createWorkloadKey()));
    assert.match(svid.chainPem, /BEGIN CERTIFICATE/, 'its own audience: signed');
  });
});
