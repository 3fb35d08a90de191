// Tier 3 (e2e): the testbed itself — real kube-apiserver, etcd, controller-manager,
// scheduler and kube-proxy, the node emulator running pods as processes, the real helm.
// Needs root; fails (never skips) without it.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { cgroupRoot, testbedNamespaces } from './network.js';
import { componentNames, isRunning } from './processes.js';
import { paths, stateDir, testbed } from './testbed-config.js';
import { down, up, type UpResult } from './testbed.js';
import { containerLog, eventually, isReady, kubectlOf, podsOf, type Pod } from './testbed-client.js';
import { acquireTestbedLease } from './testbed-lease.js';
import { ensureHelm } from './upstream.js';

const chart = fileURLToPath(new URL('../../testdata/charts/hello', import.meta.url));
const testbedMain = fileURLToPath(new URL('../testbed-main.js', import.meta.url));

let tools: { helm: string; kubectl: string };
let kubectl: (args: string[], input?: string) => string;
const pods = (namespace: string, selector?: string): Pod[] => podsOf(kubectl, namespace, selector);

/** What the testbed may leave behind, seen from the host. */
function leftovers(): Record<string, unknown> {
  return {
    namespaces: testbedNamespaces(),
    hostLink: existsSync(`/sys/class/net/${testbed.prefix}-host`),
    cgroup: existsSync(cgroupRoot()),
    stateDir: existsSync(stateDir),
    runningComponents: componentNames().filter(isRunning),
    serviceAccountMountPoint: existsSync('/var/run/secrets/kubernetes.io'),
    volumeMountPoint: existsSync('/etc/settings'),
  };
}

const clean = { namespaces: [], hostLink: false, cgroup: false, stateDir: false, runningComponents: [], serviceAccountMountPoint: false, volumeMountPoint: false };

describe('the Kubernetes testbed (e2e)', () => {
  let first: UpResult;
  let releaseLease = (): void => undefined;

  before(async () => {
    if (process.getuid?.() !== 0) throw new Error('e2e test: must run as root (network namespaces, cgroups); run `sudo make test`');
    tools = ensureHelm();
    kubectl = kubectlOf(tools.kubectl);
    releaseLease = await acquireTestbedLease();
    first = await up();
    process.stdout.write(`# testbed: upstream binaries ready in ${first.seconds.build.toFixed(1)} s, warm up in ${first.seconds.up.toFixed(1)} s\n`);
  });

  after(async () => {
    await down({ quiet: true });
    releaseLease();
  });

  it('runs a 3-replica Deployment on both nodes behind a Service that a client pod reaches over real HTTP', async () => {
    kubectl(['create', 'namespace', 'shop']);
    kubectl(['apply', '-n', 'shop', '-f', '-'], `
apiVersion: apps/v1
kind: Deployment
metadata: { name: echo }
spec:
  replicas: 3
  selector: { matchLabels: { app: echo } }
  template:
    metadata: { labels: { app: echo } }
    spec:
      topologySpreadConstraints:
      - { maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule, labelSelector: { matchLabels: { app: echo } } }
      containers:
      - name: echo
        image: weft.dev/test/http-echo
        ports: [{ containerPort: 8080, name: http }]
        env: [{ name: POD_NAME, valueFrom: { fieldRef: { fieldPath: metadata.name } } }]
        readinessProbe: { httpGet: { path: /, port: http }, periodSeconds: 1 }
---
apiVersion: v1
kind: Service
metadata: { name: echo }
spec:
  selector: { app: echo }
  ports: [{ port: 80, targetPort: 8080 }]
`);
    const ready = await eventually('3 Ready echo pods', () => {
      const list = pods('shop', 'app=echo');
      return list.length === 3 && list.every(isReady) ? list : undefined;
    });
    assert.deepEqual([...new Set(ready.map((p) => p.spec.nodeName))].sort(), ['node1', 'node2']);
    const clusterIp = kubectl(['get', 'service', 'echo', '-n', 'shop', '-o', 'jsonpath={.spec.clusterIP}']);
    const urls = [...Array.from({ length: 6 }, () => `http://${clusterIp}/`), ...ready.map((p) => `http://${p.status.podIP ?? ''}:8080/`)];
    // kube-proxy programs a Service some time after its endpoints are Ready (a real cluster
    // too); until then the cluster IP refuses. The client runs again until it is programmed.
    const run = async (attempt: number): Promise<{ client: Pod; lines: { url: string; status?: number; body?: string }[] }> => {
      const name = `client-${attempt}`;
      kubectl(['run', name, '-n', 'shop', '--image=weft.dev/test/http-get', '--restart=Never', '--', ...urls]);
      const client = await eventually(`the client pod ${name} to finish`, () => pods('shop').find((p) => p.metadata.name === name && (p.status.phase === 'Succeeded' || p.status.phase === 'Failed')));
      const lines = containerLog(client.metadata.uid, name)
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { url: string; status?: number; body?: string });
      return { client, lines };
    };
    let { client, lines } = await run(0);
    for (let attempt = 1; attempt < 10 && lines.some((l) => l.url.includes(clusterIp) && l.status === undefined); attempt++) {
      await sleep(1000);
      ({ client, lines } = await run(attempt));
    }
    assert.equal(client.status.phase, 'Succeeded', JSON.stringify(lines));
    assert.equal(lines.length, urls.length);
    const answeredBy = new Set(lines.map((l) => (JSON.parse(l.body ?? '{}') as { pod?: string }).pod));
    for (const p of ready) assert.ok(answeredBy.has(p.metadata.name), `${p.metadata.name} answered`);
  });

  it('runs one DaemonSet pod per node, recreates a deleted pod, and cleans a deleted namespace', async () => {
    kubectl(['create', 'namespace', 'daemons']);
    kubectl(['apply', '-n', 'daemons', '-f', '-'], `
apiVersion: apps/v1
kind: DaemonSet
metadata: { name: echo }
spec:
  selector: { matchLabels: { app: echo } }
  template:
    metadata: { labels: { app: echo } }
    spec:
      containers: [{ name: echo, image: weft.dev/test/http-echo, readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 } }]
`);
    const running = await eventually('one Ready pod per node', () => {
      const list = pods('daemons');
      return list.length === 2 && list.every(isReady) ? list : undefined;
    });
    assert.deepEqual(running.map((p) => p.spec.nodeName).sort(), ['node1', 'node2']);
    const victim = running[0];
    assert.ok(victim);
    kubectl(['delete', 'pod', '-n', 'daemons', victim.metadata.name, '--wait=true']);
    await eventually('a replacement pod', () => {
      const list = pods('daemons');
      return list.length === 2 && list.every(isReady) && !list.some((p) => p.metadata.uid === victim.metadata.uid);
    });
    const podNamespacesBefore = testbedNamespaces().filter((n) => n.startsWith(`${testbed.prefix}-p`)).length;
    kubectl(['delete', 'namespace', 'daemons', '--wait=true', '--timeout=60s']);
    await eventually('the namespace’s pod namespaces and processes to be gone', () => {
      const left = testbedNamespaces().filter((n) => n.startsWith(`${testbed.prefix}-p`)).length;
      return left === podNamespacesBefore - 2;
    });
    const cgroups = readdirSync(cgroupRoot(), { recursive: true }).map(String);
    for (const p of running) assert.ok(!cgroups.some((c) => c.endsWith(p.metadata.uid)), 'the pod cgroup was removed');
  });

  it('gives pods a projected ServiceAccount token that TokenReview accepts, naming the pod’s node', async () => {
    kubectl(['run', 'token-reader', '-n', 'shop', '--image=weft.dev/test/shell', '--restart=Never', '--command', '--', 'sh', '-c',
      'cat /var/run/secrets/kubernetes.io/serviceaccount/token; echo; cat /var/run/secrets/kubernetes.io/serviceaccount/namespace; echo; sleep 600']);
    const pod = await eventually('the token reader to print its token', () => {
      const p = pods('shop').find((x) => x.metadata.name === 'token-reader' && x.status.phase === 'Running');
      return p && containerLog(p.metadata.uid, 'token-reader').split('\n').length >= 3 ? p : undefined;
    });
    const [token = '', namespace] = containerLog(pod.metadata.uid, 'token-reader').split('\n');
    assert.equal(namespace, 'shop');
    const review = JSON.parse(
      kubectl(['create', '-o', 'json', '-f', '-'], JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } })),
    ) as { status: { authenticated?: boolean; user?: { username?: string; extra?: Record<string, string[]> } } };
    assert.equal(review.status.authenticated, true);
    assert.equal(review.status.user?.username, 'system:serviceaccount:shop:default');
    assert.deepEqual(review.status.user.extra?.['authentication.kubernetes.io/node-name'], [pod.spec.nodeName]);
    const bad = JSON.parse(kubectl(['create', '-o', 'json', '-f', '-'], JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: `${token}x` } }))) as {
      status: { authenticated?: boolean };
    };
    assert.notEqual(bad.status.authenticated, true, 'a tampered token is refused');
  });

  it('mounts ConfigMap and Secret volumes as files and sets downward-API and service variables', async () => {
    kubectl(['create', 'configmap', 'settings', '-n', 'shop', '--from-literal=greeting=hello']);
    kubectl(['create', 'secret', 'generic', 'creds', '-n', 'shop', '--from-literal=password=s3cret']);
    kubectl(['apply', '-n', 'shop', '-f', '-'], `
apiVersion: v1
kind: Pod
metadata: { name: reader }
spec:
  restartPolicy: Never
  containers:
  - name: reader
    image: weft.dev/test/shell
    command: [sh, -c, 'cat /etc/settings/greeting; echo; cat /etc/creds/password; echo; echo "$MY_NODE $MY_IP $ECHO_SERVICE_HOST $KUBERNETES_SERVICE_HOST"']
    env:
    - { name: MY_NODE, valueFrom: { fieldRef: { fieldPath: spec.nodeName } } }
    - { name: MY_IP, valueFrom: { fieldRef: { fieldPath: status.podIP } } }
    volumeMounts:
    - { name: settings, mountPath: /etc/settings }
    - { name: creds, mountPath: /etc/creds, readOnly: true }
  volumes:
  - { name: settings, configMap: { name: settings } }
  - { name: creds, secret: { secretName: creds } }
`);
    const pod = await eventually('the reader to succeed', () => pods('shop').find((p) => p.metadata.name === 'reader' && p.status.phase === 'Succeeded'));
    const [greeting, password, variables = ''] = containerLog(pod.metadata.uid, 'reader').split('\n');
    assert.equal(greeting, 'hello');
    assert.equal(password, 's3cret');
    const echoIp = kubectl(['get', 'service', 'echo', '-n', 'shop', '-o', 'jsonpath={.spec.clusterIP}']);
    assert.equal(variables, `${pod.spec.nodeName ?? ''} ${pod.status.podIP ?? ''} ${echoIp} ${testbed.kubernetesServiceIp}`);
    assert.equal(existsSync('/etc/settings/greeting'), false, 'volumes are mounted in the pod’s own mount namespace only');
  });

  it('restarts containers by restart policy and on failed liveness probes', async () => {
    kubectl(['apply', '-n', 'shop', '-f', '-'], `
apiVersion: v1
kind: Pod
metadata: { name: crasher }
spec:
  restartPolicy: Always
  containers: [{ name: crasher, image: weft.dev/test/shell, command: [sh, -c, 'exit 3'] }]
---
apiVersion: v1
kind: Pod
metadata: { name: once }
spec:
  restartPolicy: Never
  containers: [{ name: once, image: weft.dev/test/shell, command: [sh, -c, 'exit 3'] }]
---
apiVersion: v1
kind: Pod
metadata: { name: unhealthy }
spec:
  containers:
  - name: unhealthy
    image: weft.dev/test/http-echo
    livenessProbe: { httpGet: { path: /fail, port: 8080 }, periodSeconds: 1, failureThreshold: 2 }
`);
    const restarts = (name: string): number =>
      (JSON.parse(kubectl(['get', 'pod', name, '-n', 'shop', '-o', 'json'])) as { status: { containerStatuses?: { restartCount: number }[] } }).status.containerStatuses?.[0]?.restartCount ?? 0;
    await eventually('the crashing container to be restarted twice', () => restarts('crasher') >= 2, 30_000);
    await eventually('the Never pod to fail', () => pods('shop').find((p) => p.metadata.name === 'once')?.status.phase === 'Failed');
    await eventually('the unhealthy container to be restarted', () => restarts('unhealthy') >= 1, 30_000);
    kubectl(['delete', 'pod', '-n', 'shop', 'crasher', 'once', 'unhealthy', '--wait=true']);
  });

  it('runs hostNetwork pods in the node namespace and deletes gracefully: SIGTERM, grace period, SIGKILL', async () => {
    kubectl(['apply', '-n', 'shop', '-f', '-'], `
apiVersion: v1
kind: Pod
metadata: { name: on-host }
spec:
  hostNetwork: true
  nodeName: node2
  containers: [{ name: echo, image: weft.dev/test/http-echo, env: [{ name: PORT, value: "18080" }], readinessProbe: { tcpSocket: { port: 18080 }, periodSeconds: 1 } }]
---
apiVersion: v1
kind: Pod
metadata: { name: stubborn }
spec:
  terminationGracePeriodSeconds: 2
  containers: [{ name: stubborn, image: weft.dev/test/shell, command: [sh, -c, 'trap "" TERM; sleep 1000 & while true; do sleep 0.1; done'] }]
`);
    const onHost = await eventually('the hostNetwork pod to be Ready', () => pods('shop').find((p) => p.metadata.name === 'on-host' && isReady(p)));
    assert.equal(onHost.status.podIP, testbed.nodeAddress(2));
    const stubborn = await eventually('the stubborn pod to run', () => pods('shop').find((p) => p.metadata.name === 'stubborn' && p.status.phase === 'Running'));
    const started = Date.now();
    kubectl(['delete', 'pod', 'on-host', 'stubborn', '-n', 'shop', '--wait=true']);
    const took = Date.now() - started;
    assert.ok(took >= 2000, `a process ignoring SIGTERM is killed only after the 2 s grace period (took ${took} ms)`);
    assert.ok(took < 15_000, `and then promptly (took ${took} ms)`);
    assert.equal(existsSync(join(stateDir, 'pods', stubborn.metadata.uid)), false);
    // Its background child (not the container's main process) went with the pod's cgroup.
    const cgroups = readdirSync(cgroupRoot(), { recursive: true }).map(String);
    assert.ok(!cgroups.some((c) => c.endsWith(stubborn.metadata.uid)), 'the pod cgroup, with the forked child, is gone');
  });

  it('keeps every namespace without a default route; the host reaches only the fabric subnet', () => {
    for (const ns of testbedNamespaces()) {
      assert.equal(execFileSync('ip', ['-n', ns, 'route', 'show', 'default'], { encoding: 'utf8' }).trim(), '', `${ns} has no default route`);
    }
    const hostRoutes = execFileSync('ip', ['route', 'show', 'dev', `${testbed.prefix}-host`], { encoding: 'utf8' }).trim().split('\n');
    assert.deepEqual(hostRoutes.map((r) => r.split(' ')[0]), [testbed.fabricSubnet]);
  });

  it('installs a chart with the real helm binary and --wait', () => {
    const out = execFileSync(tools.helm, ['install', 'hello', chart, '--namespace', 'charts', '--create-namespace', '--wait', '--timeout', '90s', '--kubeconfig', paths.kubeconfig], { encoding: 'utf8' });
    assert.match(out, /STATUS: deployed/);
    const list = pods('charts', 'app=hello-echo');
    assert.equal(list.length, 2);
    assert.ok(list.every(isReady));
  });

  it('comes down leaving nothing, and up again', async () => {
    await down({ quiet: true });
    assert.deepEqual(leftovers(), clean);
    const again = await up();
    process.stdout.write(`# testbed: second warm up in ${again.seconds.up.toFixed(1)} s\n`);
    assert.equal(kubectl(['get', 'nodes', '-o', 'name']).trim().split('\n').length, 2);
    await down({ quiet: true });
    assert.deepEqual(leftovers(), clean);
  });

  it('cleans up after an `up` that was killed half-way', async () => {
    const upProcess = spawn(process.execPath, [testbedMain, 'up'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      upProcess.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        // Killed while the control plane is starting: detached components are running.
        if (stderr.includes('starting etcd')) resolve();
      });
      upProcess.once('exit', () => reject(new Error(`up ended before it was killed: ${stderr}`)));
    });
    await sleep(500);
    upProcess.kill('SIGKILL');
    assert.ok(componentNames().some(isRunning), 'components outlived the killed up');
    await down({ quiet: true });
    assert.deepEqual(leftovers(), clean);
  });
});
