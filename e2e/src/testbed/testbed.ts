import { existsSync, lstatSync, mkdirSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { WeftError } from '@weft/api';
import { ensureBpffs, releaseBpffs } from './bpffs.js';
import { apiGet, startApiserver, startControllers, waitForApiserver } from './control-plane.js';
import { addFabricMember, addRoute, createFabric, destroyCgroups, destroyNetwork, processesInNamespaces, testbedNamespaces } from './network.js';
import { generatePki, pkiPaths, writeKubeconfig, type TestbedPki } from './pki.js';
import { removeCreatedMountPoints, startNodes, waitForNodes } from './nodes.js';
import { componentNames, isRunning, stopComponent } from './processes.js';
import { progress } from './shell.js';
import { env, paths, stateDir, testbed } from './testbed-config.js';
import { ensureHelm, ensureUpstreamBinaries } from './upstream.js';

export interface UpOptions {
  nodes?: number;
}

export interface UpResult {
  kubeconfig: string;
  nodes: string[];
  seconds: { build: number; up: number };
}

/** Components in the order they must stop (the reverse of start). */
const stopOrder = ['nodelet', 'kube-proxy-node1', 'kube-proxy-node2', 'kube-scheduler', 'kube-controller-manager', 'kube-apiserver', 'etcd'];

export function nodeName(i: number): string {
  return `node${i}`;
}

/** Brings the testbed up; anything left by an earlier crashed `up` is removed first. */
export async function up(options: UpOptions = {}): Promise<UpResult> {
  const nodes = options.nodes ?? testbed.defaultNodes;
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 8) {
    throw new WeftError('WEFT_TESTBED_BAD_FLAG', `--nodes must be a whole number from 1 to 8, not ${nodes}`);
  }
  if (isRunning('kube-apiserver')) {
    throw new WeftError('WEFT_TESTBED_RUNNING', 'the testbed is already up', { hint: "run 'make testbed-down' first" });
  }
  const buildStart = performance.now();
  progress('checking upstream binaries (the first build takes ~12 minutes, then it is cached)');
  const bin = ensureUpstreamBinaries();
  ensureHelm();
  const build = (performance.now() - buildStart) / 1000;

  const start = performance.now();
  await down({ quiet: true });
  createStateDir();
  ensureBpffs();
  progress('creating the network: fabric, control plane and node namespaces');
  createFabric();
  const cp = addFabricMember('cp', testbed.controlPlaneAddress);
  progress('generating the PKI');
  const pki = generatePki();
  writeKubeconfig(paths.kubeconfig, pki, pki.admin, 'weft-testbed-admin');
  progress('starting etcd, kube-apiserver, kube-controller-manager and kube-scheduler');
  startApiserver(bin, pki, cp);
  await waitForApiserver(pki);
  startControllers(bin, pki, cp);
  const names: string[] = [];
  for (let i = 1; i <= nodes; i++) {
    names.push(nodeName(i));
    addFabricMember(nodeName(i), testbed.nodeAddress(i));
  }
  for (let i = 1; i <= nodes; i++) {
    for (let j = 1; j <= nodes; j++) if (i !== j) addRoute(nodeName(i), testbed.podCidr(j), testbed.nodeAddress(j));
    // kube-proxy does not masquerade pod traffic to the API server: its replies go back
    // to the pod's own address, through the pod's node.
    addRoute('cp', testbed.podCidr(i), testbed.nodeAddress(i));
    // A node's own connections to a cluster IP (hostNetwork pods) are routed before
    // kube-proxy's DNAT; a real node's default route takes them, here the fabric does.
    addRoute(nodeName(i), testbed.serviceCidr, testbed.controlPlaneAddress);
  }
  progress(`starting the node emulator and kube-proxy for ${nodes} nodes`);
  startNodes(bin, pki, nodes);
  await waitForNodes(pki, nodes);
  await waitForDefaultServiceAccount(pki);
  const seconds = { build, up: (performance.now() - start) / 1000 };
  progress(`up in ${seconds.up.toFixed(1)} s (upstream binaries: ${seconds.build.toFixed(1)} s); kubeconfig: ${paths.kubeconfig}`);
  return { kubeconfig: paths.kubeconfig, nodes: names, seconds };
}

/** The controller-manager is working once it has made the default ServiceAccount. */
async function waitForDefaultServiceAccount(pki: TestbedPki, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { status } = await apiGet(pki, '/api/v1/namespaces/default/serviceaccounts/default');
    if (status === 200) return;
    await sleep(250);
  }
  throw new WeftError('WEFT_TESTBED_NOT_READY', 'kube-controller-manager did not create the default ServiceAccount', {
    hint: `read ${paths.logs}/kube-controller-manager.log`,
  });
}

/**
 * The state folder holds the CA key and pods' tokens: root's own, mode 0700, not a link.
 * A folder someone else made (to plant a CA, say) is refused, never used.
 */
function createStateDir(): void {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const info = lstatSync(stateDir);
  if (!info.isDirectory() || info.isSymbolicLink() || info.uid !== process.getuid?.() || (info.mode & 0o077) !== 0) {
    throw new WeftError('WEFT_TESTBED_UNSAFE_STATE_DIR', `${stateDir} must be a folder owned by this user with mode 0700`, {
      hint: `remove it, or set ${env.WEFT_TESTBED_DIR} to a private folder`,
    });
  }
}

/**
 * Stops every component the testbed started (by recorded PID), every process left in its
 * namespaces, and removes its cgroups, namespaces, host link and state folder. Safe to
 * run at any time, also after a crash of `up`; every step runs even when one fails.
 */
export async function down(options: { quiet?: boolean } = {}): Promise<void> {
  const recorded = componentNames();
  const ordered = [...stopOrder.filter((n) => recorded.includes(n)), ...recorded.filter((n) => !stopOrder.includes(n))];
  const failures: unknown[] = [];
  const step = async (run: () => unknown): Promise<void> => {
    try {
      await run();
    } catch (error) {
      failures.push(error);
    }
  };
  for (const name of ordered) await step(() => stopComponent(name));
  for (const pid of processesInNamespaces()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  await step(destroyCgroups);
  await step(destroyNetwork);
  await step(removeCreatedMountPoints);
  await step(releaseBpffs);
  await step(() => rmSync(stateDir, { recursive: true, force: true }));
  if (failures.length > 0) throw new AggregateError(failures, `testbed down: ${failures.length} step(s) failed; run it again`);
  if (!options.quiet) progress('down: no process, namespace, link, cgroup or state file of the testbed is left');
}

export interface Status {
  components: Record<string, boolean>;
  namespaces: string[];
  apiserverReady: boolean;
  kubeconfig: string | undefined;
}

export async function status(): Promise<Status> {
  const components = Object.fromEntries(componentNames().map((n) => [n, isRunning(n)]));
  let apiserverReady = false;
  if (isRunning('kube-apiserver')) {
    try {
      const pki = pkiPaths();
      apiserverReady = (await apiGet(pki, '/readyz')).status === 200;
    } catch {
      apiserverReady = false;
    }
  }
  return { components, namespaces: testbedNamespaces(), apiserverReady, kubeconfig: existsSync(paths.kubeconfig) ? paths.kubeconfig : undefined };
}
