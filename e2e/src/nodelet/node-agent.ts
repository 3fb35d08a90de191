import { mkdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { release } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { createPodNetwork, destroyPodNetwork, PodIpAllocator } from './pod-network.js';
import { containerArgv } from './image-table.js';
import { containerEnv, expandVariables, serviceEnv } from './pod-env.js';
import { PodRuntime, type ContainerSpec, type RestartPolicy } from './pod-runtime.js';
import { ensureMountPoint, PodVolumes, VolumeNotReadyError } from './pod-volumes.js';
import type { ProbeSpec } from './probe.js';
import { netnsPath, stateDir, testbed } from '../testbed/testbed-config.js';

interface RealizedPod {
  pod: k8s.V1Pod;
  ip: string;
  hostNetwork: boolean;
  runtime: PodRuntime;
  volumes: PodVolumes;
  dir: string;
  cgroup: string;
  stopping: boolean;
}

export interface NodeAgentOptions {
  kubeconfig: k8s.KubeConfig;
  index: number;
  cgroupRoot: string;
  log: (message: string) => void;
}

/**
 * One emulated node: registers itself, renews its Lease, watches the pods bound to it
 * and realizes each as real processes in a network namespace of its own.
 */
export class NodeAgent {
  readonly name: string;
  readonly #index: number;
  readonly #kc: k8s.KubeConfig;
  readonly #core: k8s.CoreV1Api;
  readonly #leases: k8s.CoordinationV1Api;
  readonly #ips: PodIpAllocator;
  readonly #pods = new Map<string, RealizedPod>();
  readonly #pending = new Set<string>();
  readonly #cgroupRoot: string;
  readonly #log: (message: string) => void;
  #informer: k8s.Informer<k8s.V1Pod> | undefined;
  #leaseTimer: NodeJS.Timeout | undefined;
  #stopping = false;
  /** One teardown per pod at a time, however many events ask for it. */
  readonly #teardowns = new Map<string, Promise<void>>();

  constructor(options: NodeAgentOptions) {
    this.#index = options.index;
    this.name = `node${options.index}`;
    this.#kc = options.kubeconfig;
    this.#core = this.#kc.makeApiClient(k8s.CoreV1Api);
    this.#leases = this.#kc.makeApiClient(k8s.CoordinationV1Api);
    this.#ips = new PodIpAllocator(options.index);
    this.#cgroupRoot = join(options.cgroupRoot, this.name);
    this.#log = (m) => options.log(`${this.name}: ${m}`);
  }

  get hostIp(): string {
    return testbed.nodeAddress(this.#index);
  }

  async start(): Promise<void> {
    mkdirSync(this.#cgroupRoot, { recursive: true });
    await this.#register();
    await this.#renewLease();
    this.#leaseTimer = setInterval(() => void this.#renewLease().catch((e: unknown) => this.#log(`lease: ${String(e)}`)), 10_000);
    const path = `/api/v1/pods?fieldSelector=${encodeURIComponent(`spec.nodeName=${this.name}`)}`;
    const informer = k8s.makeInformer(this.#kc, path, () => this.#core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${this.name}` }));
    informer.on('add', (pod) => this.#reconcile(pod));
    informer.on('update', (pod) => this.#reconcile(pod));
    informer.on('delete', (pod) => void this.#teardown(pod.metadata?.uid ?? ''));
    informer.on('error', (error: unknown) => {
      if (this.#stopping) return; // stop() aborts the watch, which reports an error
      this.#log(`pod watch failed, restarting in 1 s: ${String(error)}`);
      setTimeout(() => {
        if (!this.#stopping) informer.start().catch((e: unknown) => this.#log(`pod watch restart failed: ${String(e)}`));
      }, 1000);
    });
    await informer.start();
    this.#informer = informer;
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    clearInterval(this.#leaseTimer);
    await this.#informer?.stop();
    await Promise.all([...this.#pods.keys()].map((uid) => this.#teardown(uid, 0)));
  }

  async #register(): Promise<void> {
    const node: k8s.V1Node = {
      metadata: { name: this.name, labels: { 'kubernetes.io/hostname': this.name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', 'weft.dev/testbed': 'true' } },
      spec: { podCIDR: testbed.podCidr(this.#index), podCIDRs: [testbed.podCidr(this.#index)] },
    };
    try {
      await this.#core.createNode({ body: node });
    } catch (error) {
      if ((error as { code?: number }).code !== 409) throw error;
    }
    const current = await this.#core.readNode({ name: this.name });
    const now = new Date();
    current.status = {
      addresses: [
        { type: 'InternalIP', address: this.hostIp },
        { type: 'Hostname', address: this.name },
      ],
      capacity: { cpu: '8', memory: '16Gi', pods: '110' },
      allocatable: { cpu: '8', memory: '16Gi', pods: '110' },
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'weft node emulator is ready', lastHeartbeatTime: now, lastTransitionTime: now }],
      nodeInfo: {
        architecture: 'amd64',
        bootID: '',
        containerRuntimeVersion: 'weft-nodelet://0.1.0',
        // The pods run on this host's kernel, as a real node's run on its own.
        kernelVersion: release(),
        kubeProxyVersion: '',
        kubeletVersion: 'v1.34.4',
        machineID: '',
        operatingSystem: 'linux',
        osImage: 'weft testbed',
        systemUUID: '',
      },
    };
    await this.#core.replaceNodeStatus({ name: this.name, body: current });
  }

  async #renewLease(): Promise<void> {
    const namespace = 'kube-node-lease';
    const body: k8s.V1Lease = {
      metadata: { name: this.name, namespace },
      spec: { holderIdentity: this.name, leaseDurationSeconds: 40, renewTime: new k8s.V1MicroTime() },
    };
    try {
      const current = await this.#leases.readNamespacedLease({ name: this.name, namespace });
      current.spec = body.spec;
      await this.#leases.replaceNamespacedLease({ name: this.name, namespace, body: current });
    } catch (error) {
      if ((error as { code?: number }).code !== 404) throw error;
      await this.#leases.createNamespacedLease({ namespace, body });
    }
  }

  #reconcile(pod: k8s.V1Pod): void {
    const uid = pod.metadata?.uid ?? '';
    const realized = this.#pods.get(uid);
    if (pod.metadata?.deletionTimestamp) {
      if (realized) {
        if (!realized.stopping) {
          realized.stopping = true;
          this.#terminate(realized, pod.metadata.deletionGracePeriodSeconds ?? 30).catch((e: unknown) => this.#log(`deleting ${uid}: ${String(e)}`));
        }
      } else if (!this.#pending.has(uid)) {
        this.#finalizeDeletion(pod).catch((e: unknown) => this.#log(`deleting ${uid}: ${String(e)}`));
      }
      return;
    }
    if (realized) {
      realized.pod = pod;
      return;
    }
    if (this.#pending.has(uid) || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return;
    this.#pending.add(uid);
    this.#realize(pod)
      .catch((error: unknown) => {
        if (error instanceof VolumeNotReadyError) {
          // The kubelet keeps such a pod in ContainerCreating and tries again.
          this.#log(`pod ${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''} waits: ${error.message}`);
          setTimeout(() => void this.#retry(pod), 1000).unref();
          return;
        }
        this.#log(`pod ${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''} failed to start: ${String(error)}`);
        this.#reportFailure(pod, error).catch(() => undefined);
      })
      .finally(() => this.#pending.delete(uid));
  }

  /** Starts a waiting pod again from its current object, unless it went away meanwhile. */
  async #retry(pod: k8s.V1Pod): Promise<void> {
    const { name = '', namespace = 'default', uid } = pod.metadata ?? {};
    try {
      const current = await this.#core.readNamespacedPod({ name, namespace });
      if (current.metadata?.uid === uid) this.#reconcile(current);
    } catch {
      // Deleted meanwhile: nothing to start.
    }
  }

  async #realize(pod: k8s.V1Pod): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    const hostNetwork = pod.spec?.hostNetwork === true;
    const dir = join(stateDir, 'pods', uid);
    const cgroup = join(this.#cgroupRoot, uid);
    const undo: (() => unknown)[] = [];
    try {
      await this.#start(pod, { uid, hostNetwork, dir, cgroup, undo });
    } catch (error) {
      // Give back what was made before the failure: IP, network, cgroup, files, timers.
      for (const step of undo.reverse()) {
        try {
          await step();
        } catch (cleanupError) {
          this.#log(`cleanup after a failed start of ${uid}: ${String(cleanupError)}`);
        }
      }
      throw error;
    }
  }

  async #start(pod: k8s.V1Pod, at: { uid: string; hostNetwork: boolean; dir: string; cgroup: string; undo: (() => unknown)[] }): Promise<void> {
    const { uid, hostNetwork, dir, cgroup, undo } = at;
    mkdirSync(dir, { recursive: true });
    undo.push(() => rmSync(dir, { recursive: true, force: true }));
    const ip = hostNetwork ? this.hostIp : this.#ips.take();
    if (!hostNetwork) undo.push(() => this.#ips.release(ip));
    const network = hostNetwork ? { netnsPath: netnsPath(this.name), ip } : createPodNetwork(this.name, uid, ip);
    if (!hostNetwork) undo.push(() => destroyPodNetwork(this.name, uid));
    mkdirSync(cgroup, { recursive: true });
    undo.push(() => removeCgroup(cgroup));
    const volumes = new PodVolumes(this.#core, pod, dir);
    undo.push(() => volumes.stop());
    await volumes.materialize();
    const containers: ContainerSpec[] = [];
    const services = await serviceEnv(this.#core, pod.metadata?.namespace ?? 'default');
    for (const c of pod.spec?.containers ?? []) {
      const env = await containerEnv(this.#core, pod, c, { podIp: ip, hostIp: this.hostIp, services });
      const expand = (list: string[] | undefined): string[] | undefined => list?.map((part) => expandVariables(part, env));
      const argv = containerArgv(c.image ?? '', expand(c.command), expand(c.args));
      if (!argv) throw new Error(`container ${c.name}: image ${c.image ?? ''} is not in the testbed's image table and has no command`);
      const mounts = (c.volumeMounts ?? []).map((m) => {
        // The mounts file is split on white space (scripts/pod-exec.sh).
        if (/\s/.test(m.mountPath) || !m.mountPath.startsWith('/')) throw new Error(`container ${c.name}: mountPath ${JSON.stringify(m.mountPath)} must be absolute and without white space`);
        ensureMountPoint(m.mountPath);
        return { source: volumes.pathOf(m.name), target: m.mountPath, readOnly: m.readOnly === true };
      });
      containers.push({
        name: c.name,
        image: c.image ?? '',
        argv,
        env,
        mounts,
        ...(c.readinessProbe ? { readiness: probeSpec(c.readinessProbe, c) } : {}),
        ...(c.livenessProbe ? { liveness: probeSpec(c.livenessProbe, c) } : {}),
      });
    }
    const realized: RealizedPod = {
      pod,
      ip,
      hostNetwork,
      volumes,
      dir,
      cgroup,
      stopping: false,
      runtime: new PodRuntime({
        podDir: dir,
        cgroup,
        netnsPath: network.netnsPath,
        podIp: ip,
        restartPolicy: (pod.spec?.restartPolicy ?? 'Always') as RestartPolicy,
        containers,
        onChange: () => this.#scheduleStatus(uid),
      }),
    };
    this.#pods.set(uid, realized);
    realized.runtime.start();
    this.#log(`started ${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''} at ${ip}`);
  }

  readonly #statusTimers = new Map<string, NodeJS.Timeout>();

  #scheduleStatus(uid: string): void {
    if (this.#statusTimers.has(uid)) return;
    this.#statusTimers.set(
      uid,
      setTimeout(() => {
        this.#statusTimers.delete(uid);
        void this.#writeStatus(uid).catch((e: unknown) => {
          this.#log(`status of ${uid}: ${String(e)}`);
          this.#scheduleStatus(uid);
        });
      }, 50),
    );
  }

  async #writeStatus(uid: string): Promise<void> {
    const realized = this.#pods.get(uid);
    if (!realized || realized.stopping) return;
    const { name = '', namespace = 'default' } = realized.pod.metadata ?? {};
    const states = realized.runtime.states();
    const ready = states.every((s) => s.ready);
    const finished = realized.runtime.finished();
    const phase = finished ? (states.every((s) => s.exitCode === 0) ? 'Succeeded' : 'Failed') : 'Running';
    const now = new Date();
    const condition = (type: string, ok: boolean): k8s.V1PodCondition => ({ type, status: ok ? 'True' : 'False', lastTransitionTime: now });
    const pod = await this.#core.readNamespacedPod({ name, namespace });
    if (pod.metadata?.uid !== uid) return;
    pod.status = {
      phase,
      hostIP: this.hostIp,
      hostIPs: [{ ip: this.hostIp }],
      podIP: realized.ip,
      podIPs: [{ ip: realized.ip }],
      startTime: pod.status?.startTime ?? now,
      conditions: [condition('PodScheduled', true), condition('Initialized', true), condition('ContainersReady', ready), condition('Ready', ready)],
      containerStatuses: states.map((s) => ({
        name: s.name,
        image: s.image,
        imageID: `weft-nodelet://${s.image}`,
        containerID: s.pid === undefined ? undefined : `weft-nodelet://${s.pid}`,
        ready: s.ready,
        started: s.running,
        restartCount: s.restartCount,
        state: s.running
          ? { running: { startedAt: s.startedAt } }
          : { terminated: { exitCode: s.exitCode ?? 0, finishedAt: s.finishedAt, startedAt: s.startedAt, reason: s.exitCode === 0 ? 'Completed' : 'Error' } },
      })),
    };
    await this.#core.replaceNamespacedPodStatus({ name, namespace, body: pod });
  }

  async #reportFailure(pod: k8s.V1Pod, error: unknown): Promise<void> {
    const { name = '', namespace = 'default' } = pod.metadata ?? {};
    const current = await this.#core.readNamespacedPod({ name, namespace });
    current.status = { ...current.status, phase: 'Failed', reason: 'WeftNodeletError', message: String(error) };
    await this.#core.replaceNamespacedPodStatus({ name, namespace, body: current }).catch(() => undefined);
  }

  /** Graceful deletion: SIGTERM, the grace period, SIGKILL; then the pod object goes. */
  async #terminate(realized: RealizedPod, graceSeconds: number): Promise<void> {
    await this.#teardown(realized.pod.metadata?.uid ?? '', graceSeconds);
    await this.#finalizeDeletion(realized.pod);
  }

  async #finalizeDeletion(pod: k8s.V1Pod): Promise<void> {
    const { name = '', namespace = 'default', uid } = pod.metadata ?? {};
    await this.#core
      .deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0, body: { gracePeriodSeconds: 0, preconditions: { uid } } })
      .catch(() => undefined);
  }

  /** Stops a pod once; concurrent callers share the same teardown. Never rejects. */
  #teardown(uid: string, graceSeconds = 0): Promise<void> {
    const running = this.#teardowns.get(uid);
    if (running) return running;
    const realized = this.#pods.get(uid);
    if (!realized) return Promise.resolve();
    const done = this.#stopPod(uid, realized, graceSeconds)
      .catch((error: unknown) => this.#log(`teardown of ${uid}: ${String(error)}`))
      .finally(() => this.#teardowns.delete(uid));
    this.#teardowns.set(uid, done);
    return done;
  }

  async #stopPod(uid: string, realized: RealizedPod, graceSeconds: number): Promise<void> {
    realized.stopping = true;
    await realized.runtime.stop(graceSeconds);
    this.#pods.delete(uid);
    realized.volumes.stop();
    // Processes the containers forked (pipelines, daemons) are in the pod's cgroup too.
    try {
      writeFileSync(join(realized.cgroup, 'cgroup.kill'), '1');
    } catch {
      // Gone already, or a kernel without cgroup.kill (< 5.14): removeCgroup will say.
    }
    if (!realized.hostNetwork) {
      destroyPodNetwork(this.name, uid);
      this.#ips.release(realized.ip);
    }
    rmSync(realized.dir, { recursive: true, force: true });
    await removeCgroup(realized.cgroup);
    this.#log(`stopped ${realized.pod.metadata?.namespace ?? ''}/${realized.pod.metadata?.name ?? ''}`);
  }
}

/** rmdir of a cgroup fails (EBUSY) until its last process is reaped: retry briefly. */
async function removeCgroup(path: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      rmdirSync(path);
      return;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ENOENT') return;
      if (attempt >= 50) throw error;
      await sleep(20);
    }
  }
}

function probeSpec(probe: k8s.V1Probe, container: k8s.V1Container): ProbeSpec {
  const portOf = (port: number | string | undefined): number =>
    typeof port === 'number' ? port : (container.ports?.find((p) => p.name === port)?.containerPort ?? Number(port));
  const http = probe.httpGet;
  return {
    kind: http ? 'http' : 'tcp',
    port: portOf(http ? http.port : probe.tcpSocket?.port),
    path: http?.path ?? '/',
    initialDelaySeconds: probe.initialDelaySeconds ?? 0,
    periodSeconds: probe.periodSeconds ?? 10,
    failureThreshold: probe.failureThreshold ?? 3,
    successThreshold: probe.successThreshold ?? 1,
  };
}
