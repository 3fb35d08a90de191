import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { debuglog } from 'node:util';
import { WeftError } from '@weft/api';
import type { BpfLink, BpfMap } from '@weft/native';
import { netnsCookie } from '@weft/native';
import { captureDefaults } from './capture-defaults.js';
import { podFlags, type OriginalDestination, type PodEntry } from './capture-maps.js';
import { CapturePins, takeStalePins } from './capture-pins.js';
import { collectFailures, collectFailuresAsync, throwFailures } from './cleanup.js';
import { cgroupPrograms, loadCapturePrograms, type CapturePrograms } from './capture-programs.js';
import { unmapIpv4 } from './ip-address.js';
import { isCgroup2, isOnBpffs } from './kernel-mounts.js';
import { PodIpTable } from './pod-ip-table.js';
import { openNetns, validatePod, type PodCapture } from './pod-capture.js';
import { openPodListeners } from './pod-listeners.js';
import { SlotAllocator } from './slot-allocator.js';

const debug = debuglog('weft:capture');

/** A connection the kernel steered to the agent, with where the client meant to go. */
export interface CapturedConnection {
  direction: 'outbound' | 'inbound';
  pod: Readonly<PodCapture>;
  /** Paused; the handler resumes it when it is ready to read. */
  socket: Socket;
  originalDestination: OriginalDestination;
}

export interface CaptureOptions {
  /** bpf/build/weft_capture.o */
  objectPath: string;
  /** cgroup v2 folder for the outbound programs: the root on a node, a test's own in tests. */
  cgroupPath: string;
  /** bpffs folder for pins (default /sys/fs/bpf/weft). */
  pinRoot?: string;
  agentSourceIpv4?: string;
  agentSourceIpv6?: string;
  agentMark?: number;
  outboundPort?: number;
  inboundPort?: number;
  inboundTlsPort?: number;
  /**
   * How long unenroll waits, after the kernel stops redirecting, before closing the pod's
   * listeners: connections redirected just before must reach accept() or they are reset.
   */
  drainMs?: number;
  onConnection: (connection: CapturedConnection) => void;
}

/** What the kernel holds for one enrolled pod (for /debug/state and tests). */
export interface EnrolledPodState {
  uid: string;
  netnsPath: string;
  netnsCookie: bigint;
  inboundSlot: number;
  ips: string[];
  strict: boolean;
}

export interface CaptureStats {
  enrolledPods: number;
  outboundAccepted: number;
  inboundAccepted: number;
  /** Outbound connections dropped because no original destination was recorded. */
  missingOriginalDestination: number;
  /** Inbound connections addressed to one of Weft's own ports, refused (they would loop). */
  refusedSelfAddressed: number;
}

interface EnrolledPod {
  spec: PodCapture;
  netnsCookie: bigint;
  inboundSlot: number;
  /** Steps that undo the enrollment, in the order they must run. */
  undo: (() => void | Promise<void>)[];
}

/**
 * Steers enrolled pods' TCP traffic to listeners this process owns in each pod's netns.
 * Enrolling or leaving is a few map entries, one sk_lookup link and three sockets: the
 * pod's processes are never touched. Operations on the same pod run one after another;
 * operations on different pods run concurrently.
 */
export class CaptureManager {
  readonly #options: CaptureOptions;
  readonly #programs: CapturePrograms;
  readonly #pins: CapturePins;
  readonly #cgroupLinks: BpfLink[];
  readonly #pods = new Map<string, EnrolledPod>();
  readonly #cookies = new Map<bigint, string>();
  readonly #podIps: PodIpTable;
  readonly #queues = new Map<string, Promise<void>>();
  readonly #slots: SlotAllocator;
  /** sk_lookup links a crashed agent left, by pod uid: kept until re-enroll or releaseStale(). */
  readonly #stale: Map<string, BpfLink>;
  readonly #stats = { outboundAccepted: 0, inboundAccepted: 0, missingOriginalDestination: 0, refusedSelfAddressed: 0 };
  #hostCookie: Promise<bigint> | undefined;
  #stopping: Promise<void> | undefined;

  private constructor(options: CaptureOptions, programs: CapturePrograms, pins: CapturePins, links: BpfLink[], stale: Map<string, BpfLink>) {
    this.#options = options;
    this.#programs = programs;
    this.#pins = pins;
    this.#cgroupLinks = links;
    this.#stale = stale;
    this.#slots = new SlotAllocator(programs.maps.inbound.map.maxEntries);
    this.#podIps = new PodIpTable(programs.maps.podIps);
  }

  /**
   * Loads the programs, attaches the outbound ones to the cgroup and pins everything.
   * What a crashed agent left is taken over: see takeStalePins.
   */
  static start(options: CaptureOptions): CaptureManager {
    const pinRoot = options.pinRoot ?? captureDefaults.pinRoot;
    if (!isOnBpffs(pinRoot)) {
      throw new WeftError('WEFT_CAPTURE_NOT_BPFFS', `${pinRoot} is not on a BPF filesystem`, {
        hint: "mount one with 'mount -t bpf bpf /sys/fs/bpf' (in Kubernetes: a hostPath volume of /sys/fs/bpf)",
      });
    }
    if (!isCgroup2(options.cgroupPath)) {
      throw new WeftError('WEFT_CAPTURE_NOT_CGROUP2', `${options.cgroupPath} is not a cgroup v2 folder`, {
        hint: "give the cgroup v2 root: /sys/fs/cgroup on unified hosts, /sys/fs/cgroup/unified on hybrid ones ('weft check --pre' finds it)",
      });
    }
    const stale = takeStalePins(pinRoot);
    if (stale.size > 0) debug('took over %d sk_lookup links of a previous agent under %s', stale.size, pinRoot);

    const links: BpfLink[] = [];
    let programs: CapturePrograms | undefined;
    let pins: CapturePins | undefined;
    try {
      programs = loadCapturePrograms(options.objectPath);
      pins = new CapturePins(pinRoot);
      programs.maps.config.set(0, {
        agentIpv4: options.agentSourceIpv4 ?? captureDefaults.agentSourceIpv4,
        agentIpv6: options.agentSourceIpv6,
        agentMark: options.agentMark ?? captureDefaults.agentMark,
        outboundPort: options.outboundPort ?? captureDefaults.outboundPort,
        inboundPort: options.inboundPort ?? captureDefaults.inboundPort,
        inboundTlsPort: options.inboundTlsPort ?? captureDefaults.inboundTlsPort,
      });
      for (const role of cgroupPrograms) {
        const program = programs[role];
        const link = program.attachCgroup(options.cgroupPath);
        links.push(link);
        link.pin(pins.cgroupLink(program.name));
      }
      for (const map of allMaps(programs)) map.pin(pins.map(map.name));
      return new CaptureManager(options, programs, pins, links, stale);
    } catch (error) {
      const loaded = programs;
      collectFailures([
        ...links.map((link) => () => link.destroy()),
        ...[...stale.values()].map((link) => () => link.destroy()),
        ...(loaded ? allMaps(loaded).map((map) => () => map.unpin()) : []),
        () => pins?.removeFolders(),
        () => loaded?.object.close(),
      ]);
      throw error;
    }
  }

  /**
   * Starts capturing a pod. Enrolling an enrolled pod again with the same namespace
   * changes its flags and IPs in place, without a gap in capture.
   */
  async enroll(pod: PodCapture): Promise<void> {
    const spec = validatePod(pod);
    return this.#serialize(spec.uid, async () => {
      this.#assertRunning();
      const current = this.#pods.get(spec.uid);
      if (current?.spec.netnsPath === spec.netnsPath) {
        this.#update(current, spec);
        return;
      }
      if (current) await this.#release(current);
      await this.#acquire(spec);
    });
  }

  /** Stops capturing a pod; its connections that are already proxied carry on. */
  unenroll(uid: string): Promise<void> {
    return this.#serialize(uid, async () => {
      const current = this.#pods.get(uid);
      if (current) await this.#release(current);
    });
  }

  /**
   * Detaches the sk_lookup links a previous agent left for pods this agent has not
   * enrolled again. Call it once the agent knows every pod it should capture.
   */
  releaseStale(): void {
    const links = [...this.#stale.values()];
    this.#stale.clear();
    throwFailures(collectFailures(links.map((link) => () => link.destroy())), 'releasing stale links');
  }

  isEnrolled(uid: string): boolean {
    return this.#pods.has(uid);
  }

  /** The kernel-side state of every enrolled pod. */
  pods(): EnrolledPodState[] {
    return [...this.#pods.values()].map(({ spec, netnsCookie, inboundSlot }) => ({
      uid: spec.uid,
      netnsPath: spec.netnsPath,
      netnsCookie,
      inboundSlot,
      ips: this.#podIps.ipsOf(spec.uid),
      strict: spec.strict === true,
    }));
  }

  stats(): CaptureStats {
    return { enrolledPods: this.#pods.size, ...this.#stats };
  }

  /**
   * Unenrolls every pod, detaches every program and removes every pin. Every step runs
   * even when an earlier one fails; the failures are thrown together at the end.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#shutdown();
    return this.#stopping;
  }

  async #shutdown(): Promise<void> {
    await Promise.allSettled([...this.#queues.values()]);
    const unenrolled = await Promise.allSettled([...this.#pods.keys()].map((uid) => this.unenroll(uid)));
    const failures: unknown[] = unenrolled.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    failures.push(
      ...collectFailures([
        ...this.#cgroupLinks.map((link) => () => link.destroy()),
        () => this.releaseStale(),
        ...allMaps(this.#programs).map((map) => () => map.unpin()),
        () => this.#pins.removeFolders(),
        () => this.#programs.object.close(),
      ]),
    );
    throwFailures(failures, 'stopping capture');
  }

  #assertRunning(): void {
    if (this.#stopping) throw new WeftError('WEFT_CAPTURE_STOPPED', 'the capture manager is stopping');
  }

  #serialize(uid: string, operation: () => Promise<void>): Promise<void> {
    const previous = this.#queues.get(uid) ?? Promise.resolve();
    const result = previous.then(operation);
    const tail = result.catch(() => undefined);
    this.#queues.set(uid, tail);
    void tail.then(() => {
      if (this.#queues.get(uid) === tail) this.#queues.delete(uid);
    });
    return result;
  }

  async #acquire(spec: PodCapture): Promise<void> {
    const { maps, skLookup } = this.#programs;
    // One open of the namespace for every step, so a reused /proc/<pid>/ns/net path
    // cannot make the listeners, the link and the cookie name different namespaces.
    const netns = openNetns(spec.netnsPath);
    const undo: EnrolledPod['undo'] = [];
    const step = (rollback: () => void | Promise<void>): void => void undo.unshift(rollback);
    try {
      const cookie = await netnsCookie(netns.path);
      await this.#refuseTakenNetns(spec, cookie);
      const pod: EnrolledPod = { spec, netnsCookie: cookie, inboundSlot: -1, undo };
      const listeners = await openPodListeners({
        netnsPath: netns.path,
        outboundPort: this.#options.outboundPort ?? captureDefaults.outboundPort,
        inboundPort: this.#options.inboundPort ?? captureDefaults.inboundPort,
        onOutbound: (socket) => this.#onOutbound(pod, socket),
        onInbound: (socket) => this.#onInbound(pod, socket),
      });
      step(() => listeners.close());
      step(() => sleep(this.#options.drainMs ?? 100));
      const slot = this.#slots.take();
      pod.inboundSlot = slot;
      step(() => this.#slots.release(slot));
      maps.inbound.set(slot, listeners.inboundFd);
      step(() => void maps.inbound.delete(slot));
      this.#podIps.assign(spec.uid, spec.ips, podEntry(pod));
      step(() => this.#podIps.release(spec.uid));
      maps.enrolled.set(cookie, podEntry(pod));
      step(() => void maps.enrolled.delete(cookie));
      const link = skLookup.attachNetns(netns.path);
      step(() => link.destroy());
      // A previous agent's link for this pod goes only now: STRICT never opens.
      this.#stale.get(spec.uid)?.destroy();
      this.#stale.delete(spec.uid);
      link.pin(this.#pins.podLink(spec.uid));
      this.#pods.set(spec.uid, pod);
      this.#cookies.set(cookie, spec.uid);
      debug('enrolled %s (netns cookie %s)', spec.uid, cookie);
    } catch (error) {
      throwFailures([error, ...(await collectFailuresAsync(undo))], `enrolling ${spec.uid}`);
    } finally {
      netns.close();
    }
  }

  /** Same namespace, new flags or IPs: change the map entries in place. */
  #update(pod: EnrolledPod, spec: PodCapture): void {
    const entry = podEntry({ ...pod, spec });
    this.#podIps.assign(spec.uid, spec.ips, entry);
    this.#programs.maps.enrolled.set(pod.netnsCookie, entry);
    pod.spec = spec;
  }

  async #release(pod: EnrolledPod): Promise<void> {
    this.#pods.delete(pod.spec.uid);
    this.#cookies.delete(pod.netnsCookie);
    throwFailures(await collectFailuresAsync(pod.undo), `unenrolling ${pod.spec.uid}`);
    debug('unenrolled %s', pod.spec.uid);
  }

  async #refuseTakenNetns(spec: PodCapture, cookie: bigint): Promise<void> {
    const owner = this.#cookies.get(cookie);
    if (owner !== undefined) {
      throw new WeftError('WEFT_CAPTURE_NETNS_IN_USE', `${spec.netnsPath} is already enrolled as pod ${owner}`, {
        hint: 'pods sharing one network namespace are enrolled once',
      });
    }
    this.#hostCookie ??= netnsCookie('/proc/self/ns/net');
    if (cookie === (await this.#hostCookie)) {
      throw new WeftError('WEFT_CAPTURE_HOST_NETNS', `${spec.netnsPath} is the agent's own network namespace`, {
        hint: 'hostNetwork pods share the node namespace and are never enrolled',
      });
    }
  }

  #onOutbound(pod: EnrolledPod, socket: Socket): void {
    const { remoteAddress, remotePort } = socket;
    const original =
      remoteAddress === undefined || remotePort === undefined
        ? undefined
        : this.#programs.maps.origDst.take({ netnsCookie: pod.netnsCookie, ...unmapIpv4(remoteAddress), port: remotePort });
    if (!original) {
      // Someone connected to the listener directly: nothing to steer it to.
      this.#stats.missingOriginalDestination++;
      socket.destroy();
      return;
    }
    this.#stats.outboundAccepted++;
    this.#deliver({ direction: 'outbound', pod: pod.spec, socket, originalDestination: original });
  }

  #onInbound(pod: EnrolledPod, socket: Socket): void {
    const { localAddress, localPort } = socket;
    if (localAddress === undefined || localPort === undefined) {
      socket.destroy();
      return;
    }
    if (this.#ownPorts().includes(localPort)) {
      // Addressed to Weft's own port: forwarding it would loop back into the agent.
      this.#stats.refusedSelfAddressed++;
      socket.destroy();
      return;
    }
    this.#stats.inboundAccepted++;
    const { family, address } = unmapIpv4(localAddress);
    this.#deliver({ direction: 'inbound', pod: pod.spec, socket, originalDestination: { family, address, port: localPort } });
  }

  #ownPorts(): number[] {
    const o = this.#options;
    return [o.outboundPort ?? captureDefaults.outboundPort, o.inboundPort ?? captureDefaults.inboundPort, o.inboundTlsPort ?? captureDefaults.inboundTlsPort];
  }

  #deliver(connection: CapturedConnection): void {
    try {
      this.#options.onConnection(connection);
    } catch (error) {
      // One bad connection must never take the agent down.
      debug('connection handler failed: %O', error);
      connection.socket.destroy();
    }
  }
}

function podEntry(pod: EnrolledPod): PodEntry {
  return { inboundSlot: pod.inboundSlot, flags: pod.spec.strict ? podFlags.strict : 0 };
}

function allMaps(programs: CapturePrograms): BpfMap[] {
  const { enrolled, podIps, origByCookie, origDst, inbound, config } = programs.maps;
  return [enrolled.map, podIps.map, origByCookie.map, origDst.map, inbound.map, config.map];
}
