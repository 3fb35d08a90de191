import { mkdirSync } from 'node:fs';
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { WeftError } from '@weft/api';
import type { TestbedPki } from './pki.js';
import { writeKubeconfig } from './pki.js';
import { startComponent } from './processes.js';
import { paths, testbed } from './testbed-config.js';
import type { UpstreamBinaries } from './upstream.js';

/**
 * Starts etcd and kube-apiserver inside the control-plane namespace: RBAC authorization,
 * ServiceAccount token issuance (TokenRequest) and TokenReview.
 */
export function startApiserver(bin: UpstreamBinaries, pki: TestbedPki, netns: string): void {
  mkdirSync(paths.etcdData, { recursive: true, mode: 0o700 });
  startComponent('etcd', bin.etcd, [
    '--name=weft-testbed',
    `--data-dir=${paths.etcdData}`,
    '--listen-client-urls=http://127.0.0.1:2379',
    '--advertise-client-urls=http://127.0.0.1:2379',
    '--listen-peer-urls=http://127.0.0.1:2380',
    '--initial-advertise-peer-urls=http://127.0.0.1:2380',
    '--initial-cluster=weft-testbed=http://127.0.0.1:2380',
    '--unsafe-no-fsync=true',
    '--log-level=warn',
  ], { netns });

  const issuer = `https://kubernetes.default.svc.${testbed.clusterDomain}`;
  startComponent('kube-apiserver', bin.kubeApiserver, [
    '--etcd-servers=http://127.0.0.1:2379',
    `--bind-address=${testbed.controlPlaneAddress}`,
    `--advertise-address=${testbed.controlPlaneAddress}`,
    `--secure-port=${testbed.apiserverPort}`,
    `--tls-cert-file=${pki.apiserver.cert}`,
    `--tls-private-key-file=${pki.apiserver.key}`,
    `--client-ca-file=${pki.caCert}`,
    '--authorization-mode=RBAC',
    `--service-account-issuer=${issuer}`,
    `--service-account-key-file=${pki.serviceAccountPub}`,
    `--service-account-signing-key-file=${pki.serviceAccountKey}`,
    `--service-cluster-ip-range=${testbed.serviceCidr}`,
    '--allow-privileged=true',
    '--enable-priority-and-fairness=false',
    '--profiling=false',
    '--v=1',
  ], { netns });
}

/** A component's identity for the API and for its own serving authn/authz. */
function kubeconfigFlags(component: string): string[] {
  const path = paths.componentKubeconfig(component);
  return [`--kubeconfig=${path}`, `--authentication-kubeconfig=${path}`, `--authorization-kubeconfig=${path}`];
}

/**
 * Starts the controller-manager and the scheduler. Only once the API server is ready:
 * before its RBAC bootstrap roles exist they are refused and exit.
 */
export function startControllers(bin: UpstreamBinaries, pki: TestbedPki, netns: string): void {
  writeKubeconfig(paths.componentKubeconfig('controller-manager'), pki, pki.controllerManager, 'system:kube-controller-manager');
  startComponent('kube-controller-manager', bin.kubeControllerManager, [
    ...kubeconfigFlags('controller-manager'),
    '--leader-elect=false',
    '--use-service-account-credentials=true',
    `--service-account-private-key-file=${pki.serviceAccountKey}`,
    `--root-ca-file=${pki.caCert}`,
    `--cluster-signing-cert-file=${pki.caCert}`,
    `--cluster-signing-key-file=${pki.caKey}`,
    `--service-cluster-ip-range=${testbed.serviceCidr}`,
    '--controllers=*,-nodeipam,-cloud-node-lifecycle,-service-lb-controller,-route',
    '--bind-address=127.0.0.1',
    '--profiling=false',
    '--v=1',
  ], { netns });

  writeKubeconfig(paths.componentKubeconfig('scheduler'), pki, pki.scheduler, 'system:kube-scheduler');
  startComponent('kube-scheduler', bin.kubeScheduler, [
    ...kubeconfigFlags('scheduler'),
    '--leader-elect=false',
    '--bind-address=127.0.0.1',
    '--profiling=false',
    '--v=1',
  ], { netns });
}

/** GET path on the API server as the admin; resolves with the status code and body. */
export function apiGet(pki: TestbedPki, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: testbed.controlPlaneAddress,
        port: testbed.apiserverPort,
        path,
        ca: readFileSync(pki.caCert),
        cert: readFileSync(pki.admin.cert),
        key: readFileSync(pki.admin.key),
        timeout: 2000,
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** Waits until /readyz answers ok, or fails naming the log to read. */
export async function waitForApiserver(pki: TestbedPki, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const { status, body } = await apiGet(pki, '/readyz');
      if (status === 200) return;
      last = `${status} ${body.slice(0, 300)}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await sleep(250);
  }
  throw new WeftError('WEFT_TESTBED_NOT_READY', `the API server did not become ready in ${timeoutMs / 1000} s (last answer: ${last})`, {
    hint: `read ${paths.logs}/kube-apiserver.log and etcd.log`,
  });
}
