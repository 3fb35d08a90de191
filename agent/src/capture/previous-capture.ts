import { closeSync } from 'node:fs';
import type { BpfLink } from '@weft/native';
import type { PodEntry } from './capture-maps.js';
import { collectFailures } from './cleanup.js';

/**
 * Listening sockets of one pod that the previous agent handed over (open in this process,
 * not served yet): its outbound listeners (127.0.0.1 and ::1) and its inbound one, which
 * weft_inbound already holds.
 */
export interface InheritedListeners {
  uid: string;
  netnsCookie: bigint;
  outboundFds: number[];
  inboundFd: number;
}

/** What an enroll takes over for its pod. */
export interface PreviousPod {
  /** The pod's entry in weft_enrolled (its inbound slot), when the maps capture its netns. */
  entry: PodEntry | undefined;
  /**
   * Its sk_lookup link: `reusable` when it runs this agent's program (the pinned links of
   * a compatible predecessor), else it only holds the pod closed until a new link is made.
   */
  link: { link: BpfLink; reusable: boolean } | undefined;
  /** Its listeners, when they were handed over. */
  listeners: InheritedListeners | undefined;
}

/** What is stale once every pod the agent keeps is enrolled again. */
export interface StaleCapture {
  /** Netns cookies of weft_enrolled no enrolled pod claimed, with their slots. */
  pods: [bigint, PodEntry][];
}

/**
 * The capture the agent before this one left — its pods in the (reused) maps, its pods'
 * sk_lookup links, the listeners it handed over — held until each pod is enrolled again
 * (claim) or let go (release). Until then the kernel keeps capturing those pods: outbound
 * connections reach the agent's listener or are refused, STRICT inbound is dropped; nothing
 * goes around the mesh.
 */
export class PreviousCapture {
  readonly #links: Map<string, { link: BpfLink; reusable: boolean }>;
  readonly #pods: Map<bigint, PodEntry>;
  readonly #listeners: Map<string, InheritedListeners>;

  constructor(options: { links?: Map<string, BpfLink>; heldLinks?: Map<string, BpfLink>; pods?: Map<bigint, PodEntry>; listeners?: InheritedListeners[] } = {}) {
    this.#links = new Map();
    for (const [uid, link] of options.heldLinks ?? []) this.#links.set(uid, { link, reusable: false });
    for (const [uid, link] of options.links ?? []) this.#links.set(uid, { link, reusable: true });
    this.#pods = new Map(options.pods);
    this.#listeners = new Map((options.listeners ?? []).map((l) => [l.uid, l]));
    // Listeners handed over for a netns the maps do not capture are of no use.
    for (const listeners of this.#listeners.values()) if (!this.#pods.has(listeners.netnsCookie)) this.#dropListeners(listeners.uid);
  }

  /** Slots the previous agent's pods hold in weft_inbound. */
  slots(): number[] {
    return [...this.#pods.values()].map((p) => p.inboundSlot);
  }

  get empty(): boolean {
    return this.#links.size === 0 && this.#pods.size === 0 && this.#listeners.size === 0;
  }

  /** Hands the previous state of pod `uid` in netns `cookie` to its enroll; each piece once. */
  claim(uid: string, cookie: bigint): PreviousPod {
    const link = this.#links.get(uid);
    this.#links.delete(uid);
    const entry = this.#pods.get(cookie);
    this.#pods.delete(cookie);
    let listeners = this.#listeners.get(uid);
    if (listeners && listeners.netnsCookie !== cookie) {
      // The pod has another netns now (a new sandbox): these listeners serve the old one.
      this.#dropListeners(uid);
      listeners = undefined;
    }
    this.#listeners.delete(uid);
    return { entry, link, listeners };
  }

  /**
   * Takes back what a failed enroll claimed (its listeners are closed by then): the pod
   * stays captured as the previous agent left it, for a later enroll or release.
   */
  restore(uid: string, cookie: bigint, previous: Omit<PreviousPod, 'listeners'>): void {
    if (previous.entry) this.#pods.set(cookie, previous.entry);
    if (previous.link) this.#links.set(uid, previous.link);
  }

  /**
   * Lets go of the links and listeners of pods not in `keep`; once `settled` (every kept
   * pod is enrolled again), also returns the map entries nobody claimed, for the caller to
   * delete. Failures are returned, every step runs.
   */
  release(keep: ReadonlySet<string>, settled: boolean): { stale: StaleCapture; failures: unknown[] } {
    const steps: (() => void)[] = [];
    for (const [uid, { link }] of this.#links) {
      if (keep.has(uid)) continue;
      this.#links.delete(uid);
      steps.push(() => link.destroy());
    }
    for (const uid of [...this.#listeners.keys()]) if (!keep.has(uid)) steps.push(() => this.#dropListeners(uid));
    const failures = collectFailures(steps);
    if (!settled) return { stale: { pods: [] }, failures };
    const pods = [...this.#pods];
    this.#pods.clear();
    return { stale: { pods }, failures };
  }

  /** Closes what is still held, leaving the kernel state as it is (the agent is leaving). */
  close(): void {
    for (const { link } of this.#links.values()) link.close();
    this.#links.clear();
    for (const uid of [...this.#listeners.keys()]) this.#dropListeners(uid);
    this.#pods.clear();
  }

  #dropListeners(uid: string): void {
    const listeners = this.#listeners.get(uid);
    if (!listeners) return;
    this.#listeners.delete(uid);
    collectFailures([...listeners.outboundFds, listeners.inboundFd].map((fd) => () => closeSync(fd)));
  }
}
