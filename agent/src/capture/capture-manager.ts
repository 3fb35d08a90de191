import { isAbsolute } from 'node:path';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { debuglog } from 'node:util';
import { WeftError } from '@weft/api';
import type { BpfLink, BpfMap } from '@weft/native';
import { netnsCookie } from '@weft/native';
import { captureDefaults } from './capture-defaults.js';
import { podFlags, type OriginalDestination } from './capture-maps.js';
import { CapturePins, removeStalePins } from './capture-pins.js';
import { cgroupPrograms, loadCapturePrograms, type CapturePrograms } from './capture-programs.js';
import { ipToBytes, unmapIpv4 } from './ip-address.js';
import { isCgroup2, isOnBpffs } from './kernel-mounts.js';
import { openPodListeners } from './pod-listeners.js';
import { SlotAllocator } from './slot-allocator.js';

const debug = debuglog('weft:capture');

/** A pod to capture: who it is and where its network namespace is. */
export interface PodCapture {
  /** Kubernetes pod uid (or any stable unique name without '/'). */
  uid: string;
  /** Path of the pod's network namespace: /run/netns/<name> or /proc/<pid>/ns/net. */
  netnsPath: string;
  /** The pod's IP addresses; inbound capture applies to connections to these. */
  ips: string[];
  /** Fail closed: drop inbound connections while the agent's listener is missing. */
  strict?: boolean;
}

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
}

interface EnrolledPod {
  spec: PodCapture;
  netnsCookie: bigint;
  inboundSlot: number;
  /** Steps that undo the enrollment, in the order they must run. */
  undo: (() => void | Promise<void>)[];
}

const uidPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;

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
  readonly #queues = new Map<string, Promise<void>>();
  readonly #slots: SlotAllocator;
  readonly #stats = { outboundAccepted: 0, inboundAccepted: 0, missingOriginalDestination: 0 };
  #stopping: Promise<void> | undefined;

  private constructor(options: CaptureOptions, programs: CapturePrograms, pins: CapturePins, links: BpfLink[]) {
    this.#options = options;
    this.#programs = programs;
    this.#pins = pins;
    this.#cgroupLinks = links;
    this.#slots = new SlotAllocator(programs.maps.inbound.map.maxEntries);
  }

  /** Loads the programs, attaches the outbound ones to the cgroup and pins everything. */
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
    const stale = removeStalePins(pinRoot);
    if (stale.length > 0) debug('removed %d stale pins under %s', stale.length, pinRoot);

    const programs = loadCapturePrograms(options.objectPath);
    const links: BpfLink[] = [];
    let pins: CapturePins | undefined;
    try {
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
      return new CaptureManager(options, programs, pins, links);
    } catch (error) {
      for (const link of links) link.destroy();
      for (const map of allMaps(programs)) map.unpin();
      pins?.removeFolders();
      programs.object.close();
      throw error;
    }
  }

  /** Starts capturing a pod. Enrolling an enrolled pod again changes nothing. */
  async enroll(pod: PodCapture): Promise<void> {
    const spec = validatePod(pod);
    return this.#serialize(spec.uid, async () => {
      this.#assertRunning();
      const current = this.#pods.get(spec.uid);
      if (current && samePod(current.spec, spec)) return;
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
      ips: [...spec.ips],
      strict: spec.strict === true,
    }));
  }

  stats(): CaptureStats {
    return { enrolledPods: this.#pods.size, ...this.#stats };
  }

  /** Unenrolls every pod, detaches every program and removes every pin. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      await Promise.allSettled([...this.#queues.values()]);
      await Promise.all([...this.#pods.keys()].map((uid) => this.unenroll(uid)));
      for (const link of this.#cgroupLinks) link.destroy();
      for (const map of allMaps(this.#programs)) map.unpin();
      this.#pins.removeFolders();
      this.#programs.object.close();
    })();
    return this.#stopping;
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
    const cookie = await netnsCookie(spec.netnsPath);
    const owner = this.#cookies.get(cookie);
    if (owner !== undefined) {
      throw new WeftError('WEFT_CAPTURE_NETNS_IN_USE', `${spec.netnsPath} is already enrolled as pod ${owner}`, {
        hint: 'pods sharing one network namespace are enrolled once',
      });
    }
    const undo: EnrolledPod['undo'] = [];
    const pod: EnrolledPod = { spec, netnsCookie: cookie, inboundSlot: -1, undo };
    const step = (rollback: () => void | Promise<void>): void => void undo.unshift(rollback);
    try {
      const listeners = await openPodListeners({
        netnsPath: spec.netnsPath,
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
      const entry = { inboundSlot: slot, flags: spec.strict ? podFlags.strict : 0 };
      for (const ip of spec.ips) {
        maps.podIps.set(ip, entry);
        step(() => void maps.podIps.delete(ip));
      }
      maps.enrolled.set(cookie, entry);
      step(() => void maps.enrolled.delete(cookie));
      const link = skLookup.attachNetns(spec.netnsPath);
      step(() => link.destroy());
      link.pin(this.#pins.podLink(spec.uid));
    } catch (error) {
      await runAll(undo);
      throw error;
    }
    this.#pods.set(spec.uid, pod);
    this.#cookies.set(cookie, spec.uid);
    debug('enrolled %s (netns cookie %s)', spec.uid, cookie);
  }

  async #release(pod: EnrolledPod): Promise<void> {
    this.#pods.delete(pod.spec.uid);
    this.#cookies.delete(pod.netnsCookie);
    await runAll(pod.undo);
    debug('unenrolled %s', pod.spec.uid);
  }

  #onOutbound(pod: EnrolledPod, socket: Socket): void {
    const { remotePort, remoteFamily } = socket;
    const original =
      remotePort === undefined
        ? undefined
        : this.#programs.maps.origDst.take({ netnsCookie: pod.netnsCookie, port: remotePort, family: remoteFamily === 'IPv6' ? 6 : 4 });
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
    this.#stats.inboundAccepted++;
    const { family, address } = unmapIpv4(localAddress);
    this.#deliver({ direction: 'inbound', pod: pod.spec, socket, originalDestination: { family, address, port: localPort } });
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

function allMaps(programs: CapturePrograms): BpfMap[] {
  const { enrolled, podIps, origByCookie, origDst, inbound, config } = programs.maps;
  return [enrolled.map, podIps.map, origByCookie.map, origDst.map, inbound.map, config.map];
}

/** Runs every step even when one fails; reports the first failure after all ran. */
async function runAll(steps: (() => void | Promise<void>)[]): Promise<void> {
  const failures: unknown[] = [];
  for (const run of steps) {
    try {
      await run();
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length === 1) throw failures[0] as Error;
  if (failures.length > 1) throw new AggregateError(failures, `${failures.length} cleanup steps failed`);
}

function validatePod(pod: PodCapture): PodCapture {
  const bad = (what: string): never => {
    throw new WeftError('WEFT_CAPTURE_BAD_POD', `cannot enroll pod ${JSON.stringify(pod.uid)}: ${what}`);
  };
  if (typeof pod.uid !== 'string' || !uidPattern.test(pod.uid)) bad('uid must be letters, digits, ".", "_" or "-"');
  if (typeof pod.netnsPath !== 'string' || !isAbsolute(pod.netnsPath)) bad('netnsPath must be an absolute path');
  if (!Array.isArray(pod.ips)) bad('ips must be a list of IP addresses');
  for (const ip of pod.ips) ipToBytes(ip);
  return { uid: pod.uid, netnsPath: pod.netnsPath, ips: [...pod.ips], strict: pod.strict === true };
}

function samePod(a: PodCapture, b: PodCapture): boolean {
  return a.netnsPath === b.netnsPath && a.strict === b.strict && a.ips.join() === b.ips.join();
}
