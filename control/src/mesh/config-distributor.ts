import { randomBytes } from 'node:crypto';
import type { Logger, MeshUpdate } from '@weft/api';
import type { MeshModel, ModelChange } from './mesh-model.js';
import { fingerprints, nodeView, viewDiff, type HeldFingerprints, type NodeView } from './node-view.js';

/** Where a session's updates go: the gRPC edge writes them to the agent's stream. */
export interface UpdateSink {
  send(update: MeshUpdate): void;
}

/** What the distributor reports, for metrics. */
export interface DistributorEvents {
  /** An update was ACKed, `seconds` after the first change it carries reached the model. */
  acked(event: { node: string; seconds: number; full: boolean }): void;
  nacked(event: { node: string; version: string; error: string }): void;
  streams(count: number): void;
}

export interface ConfigDistributorOptions {
  model: MeshModel;
  log: Logger;
  events?: DistributorEvents;
}

/** How many ACKed states per node are kept for resuming. */
const heldPerNode = 4;

const none: DistributorEvents = { acked: () => undefined, nacked: () => undefined, streams: () => undefined };

function sameFingerprints(held: HeldFingerprints, view: NodeView): boolean {
  if (held.size !== view.size) return false;
  for (const [key, entry] of view) if (held.get(key) !== entry.fingerprint) return false;
  return true;
}

/** What a node's agent was last known to hold: resumed from when it reconnects. */
interface Held {
  version: string;
  fingerprints: HeldFingerprints;
}

/**
 * Serves the model to the agents, one session per stream (protocol in
 * api/proto/weft/mesh/v1/mesh.proto): a full snapshot or a resumed delta first, then one
 * update at a time, each sent only after the last was answered, with every change made
 * meanwhile folded in. Versions are "<instance>.<n>": a restarted control plane never
 * mistakes an agent's version for one of its own, so that agent gets a full snapshot.
 */
export class ConfigDistributor {
  readonly #options: ConfigDistributorOptions;
  readonly #events: DistributorEvents;
  readonly #instance = randomBytes(4).toString('hex');
  #sequence = 0;
  readonly #sessions = new Set<ConfigSession>();
  /**
   * Per node, the last few states its agents ACKed, newest first: an agent that reconnects
   * holding one of them resumes from it (a second agent on the node, as in a rolling
   * update, holds another).
   */
  readonly #held = new Map<string, Held[]>();
  #started = false;

  constructor(options: ConfigDistributorOptions) {
    this.#options = options;
    this.#events = options.events ?? none;
    options.model.onChange((change) => {
      // Before start() the model is still listing: a session gets nothing of it yet.
      if (!this.#started) return;
      for (const session of this.#sessions) session.changed(change);
    });
  }

  /** Sessions wait for this: the model is complete only once every watch has listed. */
  start(): void {
    this.#started = true;
    for (const session of this.#sessions) session.changed({ revision: this.#options.model.revision, since: performance.now() });
  }

  get started(): boolean {
    return this.#started;
  }

  /** A new stream from `node`'s agent, which holds `version` ('' for nothing). */
  open(node: string, version: string, sink: UpdateSink): ConfigSession {
    const held = version === '' ? undefined : this.#held.get(node)?.find((h) => h.version === version);
    const resumed = held !== undefined;
    const session = new ConfigSession({
      node,
      sink,
      model: this.#options.model,
      base: held,
      nextVersion: () => `${this.#instance}.${++this.#sequence}`,
      onAcked: (state, seconds, full) => {
        this.#held.set(node, [state, ...(this.#held.get(node) ?? [])].slice(0, heldPerNode));
        this.#events.acked({ node, seconds, full });
      },
      onNacked: (event) => {
        this.#options.log.warn('agent refused a config update', { node, version: event.version, error: event.error });
        this.#events.nacked({ node, ...event });
      },
      onClosed: () => {
        this.#sessions.delete(session);
        this.#events.streams(this.#sessions.size);
      },
    });
    this.#sessions.add(session);
    this.#events.streams(this.#sessions.size);
    this.#options.log.info('agent subscribed', { node, resumed, version });
    if (this.#started) session.changed({ revision: this.#options.model.revision, since: performance.now() });
    return session;
  }

  /** Closes every session (the edge ends their streams). */
  closeAll(): void {
    for (const session of [...this.#sessions]) session.close();
  }
}

interface SessionOptions {
  node: string;
  sink: UpdateSink;
  model: MeshModel;
  base: Held | undefined;
  nextVersion: () => string;
  onAcked: (held: Held, seconds: number, full: boolean) => void;
  onNacked: (event: { version: string; error: string }) => void;
  onClosed: () => void;
}

/** One agent stream: what the agent holds, what is in flight, and whether more is waiting. */
export class ConfigSession {
  readonly node: string;
  readonly #options: SessionOptions;
  /** What the agent holds (after its last ACK); undefined until it holds anything of ours. */
  #held: Held | undefined;
  #inFlight: { version: string; state: Held; since: number; full: boolean } | undefined;
  /** A full snapshot the agent refused: the same content is not sent again. */
  #refused: HeldFingerprints | undefined;
  /** When the oldest change not yet sent reached the model. */
  #waitingSince: number | undefined;
  #sentFirst = false;
  #closed = false;

  constructor(options: SessionOptions) {
    this.node = options.node;
    this.#options = options;
    this.#held = options.base;
  }

  /** The model changed (or the session may begin). */
  changed(change: ModelChange): void {
    if (this.#closed) return;
    this.#waitingSince = Math.min(this.#waitingSince ?? change.since, change.since);
    this.#send();
  }

  /** The agent answered the update in flight; a stale or unknown version is ignored. */
  answered(version: string, error: string): void {
    const flight = this.#inFlight;
    if (this.#closed || !flight || flight.version !== version) return;
    this.#inFlight = undefined;
    if (error === '') {
      this.#held = flight.state;
      this.#refused = undefined;
      this.#options.onAcked(flight.state, (performance.now() - flight.since) / 1000, flight.full);
    } else {
      // The agent keeps what it had, and gets a full snapshot: at once after a refused
      // delta (it may hold another base), with the next change after a refused snapshot
      // (the same content would be refused again).
      this.#held = undefined;
      this.#options.onNacked({ version, error });
      if (flight.full) this.#refused = flight.state.fingerprints;
      else this.#waitingSince ??= flight.since;
    }
    if (this.#waitingSince !== undefined) this.#send();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#options.onClosed();
  }

  #send(): void {
    if (this.#inFlight || this.#waitingSince === undefined) return;
    const view = nodeView(this.#options.model, this.node);
    const base = this.#held;
    const { upserts, removals } = viewDiff(base?.fingerprints ?? new Map(), view);
    // After the first update an agent that is current gets nothing; the first is always
    // sent, so a resumed agent learns it is current.
    if (this.#sentFirst && base && upserts.length === 0 && removals.length === 0) {
      this.#waitingSince = undefined;
      return;
    }
    const full = base === undefined;
    if (full && this.#refused && sameFingerprints(this.#refused, view)) {
      this.#waitingSince = undefined;
      return;
    }
    const version = this.#options.nextVersion();
    this.#inFlight = { version, state: { version, fingerprints: fingerprints(view) }, since: this.#waitingSince, full };
    this.#waitingSince = undefined;
    this.#sentFirst = true;
    this.#options.sink.send(full ? { version, baseVersion: '', upserts, removals: [] } : { version, baseVersion: base.version, upserts, removals });
  }
}
