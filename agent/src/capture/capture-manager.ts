import { statSync } from 'node:fs';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { debuglog } from 'node:util';
import { WeftError, type Logger } from '@weft/api';
import type { BpfLink, BpfMap } from '@weft/native';
import { netnsCookie } from '@weft/native';
import { captureDefaults } from './capture-defaults.js';
import { podFlags, type OriginalDestination, type PodEntry } from './capture-maps.js';
import type { CapturePins } from './capture-pins.js';
import type { CapturePrograms } from './capture-programs.js';
import { takeOverKernelCapture } from './capture-takeover.js';
import { collectFailures, collectFailuresAsync, throwFailures } from './cleanup.js';
import { unmapIpv4 } from './ip-address.js';
import { isCgroup2, isOnBpffs } from './kernel-mounts.js';
import { PodIpTable } from './pod-ip-table.js';
import { openNetns, validatePod, type PodCapture } from './pod-capture.js';
import { openPodListeners, servePodListeners, type PodListeners } from './pod-listeners.js';
import type { InheritedListeners, PreviousCapture, PreviousPod } from './previous-capture.js';
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
  /** Listening sockets a live predecessor handed over (see agent/src/handover). */
  inherited?: InheritedListeners[];
  log?: Logger;
  onConnection: (connection: CapturedConnection) => void;
}

/** One enrolled pod's listening sockets, for handing them over to the next agent. */
export interface PodListenerFds extends InheritedListeners {
  inboundSlot: number;
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
  listeners: PodListeners | undefined;
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
  /** What the agent before this one left: held until each pod is enrolled again or let go. */
  readonly #previous: PreviousCapture;
  readonly #stats = { outboundAccepted: 0, inboundAccepted: 0, missingOriginalDestination: 0, refusedSelfAddressed: 0 };
  #hostCookie: Promise<bigint> | undefined;
  #stopping: Promise<void> | undefined;

  private constructor(options: CaptureOptions, programs: CapturePrograms, pins: CapturePins, links: BpfLink[], previous: PreviousCapture) {
    this.#options = options;
    this.#programs = programs;
    this.#pins = pins;
    this.#cgroupLinks = links;
    this.#previous = previous;
    this.#slots = new SlotAllocator(programs.maps.inbound.map.maxEntries);
    for (const slot of previous.slots()) this.#slots.reserve(slot);
    this.#podIps = new PodIpTable(programs.maps.podIps);
  }

  /**
   * Loads the programs, attaches them and pins everything; what an agent before this one
   * left is taken over without a gap in capture (see takeOverKernelCapture).
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
    const kernel = takeOverKernelCapture({
      objectPath: options.objectPath,
      cgroupPath: options.cgroupPath,
      pinRoot,
      ...(options.inherited ? { inherited: options.inherited } : {}),
      ...(options.log ? { log: options.log } : {}),
    });
    try {
      kernel.programs.maps.config.set(0, {
        agentIpv4: options.agentSourceIpv4 ?? captureDefaults.agentSourceIpv4,
        agentIpv6: options.agentSourceIpv6,
        agentMark: options.agentMark ?? captureDefaults.agentMark,
        outboundPort: options.outboundPort ?? captureDefaults.outboundPort,
        inboundPort: options.inboundPort ?? captureDefaults.inboundPort,
        inboundTlsPort: options.inboundTlsPort ?? captureDefaults.inboundTlsPort,
      });
      return new CaptureManager(options, kernel.programs, kernel.pins, kernel.cgroupLinks, kernel.previous);
    } catch (error) {
      collectFailures([...kernel.cgroupLinks.map((link) => () => link.close()), () => kernel.previous.close(), () => kernel.programs.object.close()]);
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
   * Lets go of what the previous agent left for pods not in `keep` (the pods of this node
   * the agent captures, enrolled yet or not): their links are detached and listeners
   * closed. Once every kept pod is enrolled again, the map entries nobody claimed are
   * removed too. Call it whenever the agent knows every pod it should capture; it is cheap
   * once nothing previous is left.
   */
  releasePrevious(keep: Iterable<string>): void {
    if (this.#previous.empty) return;
    const kept = new Set(keep);
    const settled = [...kept].every((uid) => this.#pods.has(uid));
    const { stale, failures } = this.#previous.release(kept, settled);
    const { maps } = this.#programs;
    for (const [cookie, entry] of stale.pods) {
      failures.push(
        ...collectFailures([
          () => void maps.enrolled.delete(cookie),
          () => void maps.inbound.delete(entry.inboundSlot),
          () => this.#slots.release(entry.inboundSlot),
        ]),
      );
    }
    // Addresses of pods let go, or that a pod no longer has.
    if (settled) failures.push(...collectFailures([() => this.#podIps.removeUnowned()]));
    throwFailures(failures, 'releasing what the previous agent left');
  }

  /** Every enrolled pod's listening sockets, for a successor to take over. */
  listenerFds(): PodListenerFds[] {
    return [...this.#pods.values()].flatMap(({ spec, netnsCookie, inboundSlot, listeners }) =>
      listeners ? [{ uid: spec.uid, netnsCookie, inboundSlot, outboundFds: listeners.outboundFds, inboundFd: listeners.inboundFd }] : [],
    );
  }

  /**
   * Stops accepting on every pod's listeners in this process; the kernel state stays. A
   * successor that holds the same sockets accepts what arrives from now on.
   */
  async stopAccepting(): Promise<void> {
    await Promise.all([...this.#pods.values()].map(async (pod) => {
      const listeners = pod.listeners;
      pod.listeners = undefined;
      await listeners?.close();
    }));
  }

  /**
   * Leaves the node to the next agent: stops accepting and closes this process's handles,
   * but every program, map, link and pin stays — enrolled pods stay captured (their
   * connections are refused, or dropped when STRICT, until an agent listens again).
   */
  async leave(): Promise<void> {
    this.#stopping ??= (async () => {
      await Promise.allSettled([...this.#queues.values()]);
      await this.stopAccepting();
      throwFailures(
        collectFailures([...this.#cgroupLinks.map((link) => () => link.close()), () => this.#previous.close(), () => this.#programs.object.close()]),
        'leaving capture',
      );
    })();
    return this.#stopping;
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
   * Ends capture on this node (Weft is uninstalled): unenrolls every pod, detaches every
   * program and removes every pin, so pods talk directly again. Every step runs even when
   * an earlier one fails; the failures are thrown together at the end.
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
        () => this.releasePrevious([]),
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
    const { maps } = this.#programs;
    // One open of the namespace for every step, so a reused /proc/<pid>/ns/net path
    // cannot make the listeners, the link and the cookie name different namespaces.
    const netns = openNetns(spec.netnsPath);
    const undo: EnrolledPod['undo'] = [];
    const step = (rollback: () => void | Promise<void>): void => void undo.unshift(rollback);
    let cookie: bigint | undefined;
    let previous: PreviousPod | undefined;
    let link: BpfLink | undefined;
    // A pod the previous agent captured stays captured when its enroll fails half-way.
    let failing = false;
    const unlessKept = (rollback: () => void): (() => void) => () => {
      if (!(failing && previous?.entry)) rollback();
    };
    try {
      const netnsCookieOfPod = await netnsCookie(netns.path);
      cookie = netnsCookieOfPod;
      await this.#refuseTakenNetns(spec, netnsCookieOfPod);
      previous = this.#previous.claim(spec.uid, netnsCookieOfPod);
      const pod: EnrolledPod = { spec, netnsCookie: netnsCookieOfPod, inboundSlot: -1, listeners: undefined, undo };
      const handlers = { onOutbound: (socket: Socket) => this.#onOutbound(pod, socket), onInbound: (socket: Socket) => this.#onInbound(pod, socket) };
      // Handed-over listeners are the very sockets the kernel steers to: serving them here
      // accepts what queued while the previous agent handed over.
      const listeners = previous.listeners
        ? await servePodListeners(previous.listeners, handlers)
        : await openPodListeners({
            netnsPath: netns.path,
            outboundPort: this.#options.outboundPort ?? captureDefaults.outboundPort,
            inboundPort: this.#options.inboundPort ?? captureDefaults.inboundPort,
            ...handlers,
          });
      pod.listeners = listeners;
      step(() => pod.listeners?.close());
      step(() => sleep(this.#options.drainMs ?? 100));
      // A pod the maps already capture keeps its slot: weft_inbound is switched in place.
      const slot = previous.entry?.inboundSlot ?? this.#slots.take();
      pod.inboundSlot = slot;
      step(unlessKept(() => this.#slots.release(slot)));
      maps.inbound.set(slot, listeners.inboundFd);
      step(() => void maps.inbound.delete(slot));
      this.#podIps.assign(spec.uid, spec.ips, podEntry(pod));
      step(unlessKept(() => this.#podIps.release(spec.uid)));
      maps.enrolled.set(netnsCookieOfPod, podEntry(pod));
      step(unlessKept(() => void maps.enrolled.delete(netnsCookieOfPod)));
      const attached = this.#podLink(previous.link, netns.path, spec.uid);
      link = attached;
      step(unlessKept(() => attached.destroy()));
      this.#pods.set(spec.uid, pod);
      this.#cookies.set(netnsCookieOfPod, spec.uid);
      debug('enrolled %s (netns cookie %s%s)', spec.uid, netnsCookieOfPod, previous.entry ? ', taken over' : '');
    } catch (error) {
      failing = true;
      const failures = await collectFailuresAsync(undo);
      if (previous?.entry && cookie !== undefined) {
        this.#previous.restore(spec.uid, cookie, { entry: previous.entry, link: link ? { link, reusable: true } : previous.link });
      }
      throwFailures([error, ...failures], `enrolling ${spec.uid}`);
    } finally {
      netns.close();
    }
  }

  /**
   * The pod's sk_lookup link: the previous agent's when it runs this agent's program on the
   * same netns, else a new one. A previous link goes only once the new one is attached:
   * STRICT never opens.
   */
  #podLink(previous: { link: BpfLink; reusable: boolean } | undefined, netnsPath: string, uid: string): BpfLink {
    if (previous?.reusable && previous.link.info().netnsIno === statSync(netnsPath).ino) return previous.link;
    const link = this.#programs.skLookup.attachNetns(netnsPath);
    try {
      previous?.link.destroy();
      link.pin(this.#pins.podLink(uid));
    } catch (error) {
      link.destroy();
      throw error;
    }
    return link;
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
