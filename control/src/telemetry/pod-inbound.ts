import { healthOf, type EdgeDelta, type StatsGrouping, type StatsRow } from '@weft/api';
import { addTotals, EdgeWindow, emptyTotals, latencyOf, slotMs, windowSlots, type EdgeTotals } from './edge-window.js';

interface PodEntry {
  namespace: string;
  name: string;
  /** The workload it belongs to (its owner, else itself). */
  workload: string;
  identities: Set<string>;
  firstMs: number;
  /** Per reporter, per mTLS or not: the destination's own account is preferred, as for edges. */
  windows: Record<EdgeDelta['reporter'], { mtls?: EdgeWindow; plain?: EdgeWindow }>;
}

export interface StatsQuery {
  by: StatsGrouping;
  /** Rows of this namespace only. */
  namespace?: string;
  /** Rows of this name only (a workload, pod or namespace). */
  name?: string;
}

interface Totals {
  all: EdgeTotals;
  mtls: EdgeTotals;
  firstMs: number;
}

const activity = (t: EdgeTotals): number => t.requests + t.connections + t.bytes;

/**
 * Inbound traffic per destination pod in the mesh (what `weft stat` shows), in 5 s slots
 * like the edges, split by whether it came over mTLS so a share can be told. One writer:
 * the telemetry store's ingest.
 */
export class PodInbound {
  readonly #pods = new Map<string, PodEntry>();

  get size(): number {
    return this.#pods.size;
  }

  /** `atMs` picks the slot, `startMs` is when the report's interval began, `workload` is the pod's owner (else itself). */
  add(delta: EdgeDelta, options: { atMs: number; startMs: number; workload: string }): void {
    const { atMs, startMs, workload } = options;
    const peer = delta.destination;
    if (peer.namespace === '') return;
    const key = peer.uid || `${peer.namespace}/${peer.name}`;
    let entry = this.#pods.get(key);
    if (!entry) {
      entry = { namespace: peer.namespace, name: peer.name, workload, identities: new Set(), firstMs: startMs, windows: { source: {}, destination: {} } };
      this.#pods.set(key, entry);
    }
    // A pod the model has forgotten (deleted, its last reports late) resolves to itself: it keeps its owner.
    if (workload !== peer.name) entry.workload = workload;
    entry.firstMs = Math.min(entry.firstMs, startMs);
    if (peer.identity) entry.identities.add(peer.identity);
    const windows = entry.windows[delta.reporter];
    (delta.mtls ? (windows.mtls ??= new EdgeWindow()) : (windows.plain ??= new EdgeWindow())).add(delta, atMs);
  }

  rows(query: StatsQuery, from: number, to: number): StatsRow[] {
    const groups = new Map<string, { namespace: string; name: string; totals: Totals; identities: Set<string> }>();
    for (const entry of this.#pods.values()) {
      if (query.namespace && entry.namespace !== query.namespace) continue;
      const name = query.by === 'pod' ? entry.name : query.by === 'workload' ? entry.workload : entry.namespace;
      if (query.name && name !== query.name) continue;
      const totals = this.#totals(entry, from, to);
      if (activity(totals.all) === 0) continue;
      const key = `${entry.namespace}/${name}`;
      let group = groups.get(key);
      if (!group) {
        group = { namespace: entry.namespace, name, totals: { all: emptyTotals(), mtls: emptyTotals(), firstMs: totals.firstMs }, identities: new Set() };
        groups.set(key, group);
      }
      addTotals(group.totals.all, totals.all);
      addTotals(group.totals.mtls, totals.mtls);
      group.totals.firstMs = Math.min(group.totals.firstMs, totals.firstMs);
      for (const identity of entry.identities) group.identities.add(identity);
    }
    return [...groups.values()]
      .map((g) => rowOf(g.namespace, g.name, g.totals, [...g.identities].sort(), from, to))
      .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  }

  /** Pods with nothing left in the retained window are forgotten. */
  prune(latestMs: number): void {
    const oldest = Math.floor(latestMs / slotMs) - windowSlots;
    for (const [key, entry] of this.#pods) {
      const windows = [entry.windows.source.mtls, entry.windows.source.plain, entry.windows.destination.mtls, entry.windows.destination.plain];
      if (Math.max(...windows.map((w) => w?.lastSlot ?? -1)) < oldest) this.#pods.delete(key);
    }
  }

  #totals(entry: PodEntry, from: number, to: number): Totals {
    const sum = (windows: { mtls?: EdgeWindow; plain?: EdgeWindow }): Totals => {
      const mtls = windows.mtls?.sum(from, to) ?? emptyTotals();
      const all = windows.plain?.sum(from, to) ?? emptyTotals();
      addTotals(all, mtls);
      return { all, mtls, firstMs: entry.firstMs };
    };
    const destination = sum(entry.windows.destination);
    return activity(destination.all) > 0 ? destination : sum(entry.windows.source);
  }
}

function rowOf(namespace: string, name: string, totals: Totals, identities: string[], from: number, to: number): StatsRow {
  const seconds = Math.max((to - Math.max(totals.firstMs, from)) / 1000, 1);
  const { all, mtls } = totals;
  const responses = all.responses.reduce((a, b) => a + b, 0);
  const successRate = responses === 0 ? null : (responses - all.responses[4]) / responses;
  const requestsPerSecond = all.requests / seconds;
  // Requests when there were any, else connections: a TCP-only workload has a share too.
  const [secured, total] = all.requests > 0 ? [mtls.requests, all.requests] : [mtls.connections, all.connections];
  return {
    namespace,
    name,
    requestsPerSecond,
    successRate,
    latency: latencyOf(all),
    mtlsShare: total === 0 ? null : secured / total,
    bytesPerSecond: all.bytes / seconds,
    connectionsPerSecond: all.connections / seconds,
    health: healthOf(successRate, requestsPerSecond),
    identities,
  };
}
