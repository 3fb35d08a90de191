import { keyFromText, keyOf, keyText, type MeshResource, type ResourceKey } from '@weft/api';
import type { ModelEntry, ModelReader } from './mesh-model.js';

/** What one node's agent holds: resource key text → the entry it was sent. */
export type NodeView = Map<string, ModelEntry>;

/** Key text → fingerprint: enough to tell what an agent holds without keeping the resources. */
export type HeldFingerprints = ReadonlyMap<string, string>;

/**
 * What a node needs (the contract is in api/proto/weft/mesh/v1/mesh.proto): the settings;
 * every served service; its own enrolled workloads whole; every other workload that is
 * enrolled or an endpoint, without labels; the policies of the namespaces its enrolled
 * workloads are in (policies are enforced where the destination runs).
 */
export function nodeView(model: ModelReader, node: string): NodeView {
  const view: NodeView = new Map([['settings:mesh', model.settings]]);
  const namespaces = new Set<string>();
  for (const entry of model.workloads()) {
    const { workload } = entry;
    const key = `workload:${workload.uid}`;
    if (workload.node === node && workload.enrolled) {
      view.set(key, entry);
      namespaces.add(workload.namespace);
    } else if (workload.enrolled || model.isEndpoint(workload.uid)) view.set(key, entry.remote);
  }
  for (const entry of model.services()) view.set(keyText(keyOf(entry.resource)), entry);
  for (const entry of model.policies()) if (namespaces.has(entry.policy.namespace)) view.set(keyText(keyOf(entry.resource)), entry);
  return view;
}

export function fingerprints(view: NodeView): Map<string, string> {
  return new Map([...view].map(([key, entry]) => [key, entry.fingerprint]));
}

/** What changed from what the agent holds to the view: resources whole, and the keys that are gone. */
export function viewDiff(held: HeldFingerprints, view: NodeView): { upserts: MeshResource[]; removals: ResourceKey[] } {
  const upserts: MeshResource[] = [];
  for (const [key, entry] of view) if (held.get(key) !== entry.fingerprint) upserts.push(entry.resource);
  const removals: ResourceKey[] = [];
  for (const text of held.keys()) {
    const key = view.has(text) ? undefined : keyFromText(text);
    if (key) removals.push(key);
  }
  return { upserts, removals };
}
