import * as wire from '../gen/weft/mesh/v1/mesh.js';
import { WeftError } from '../weft-error.js';
import {
  appProtocolHints,
  type AppProtocolHint,
  type AuthorizationPolicy,
  type MeshResource,
  type MeshSettings,
  type MeshUpdate,
  type PeerAuthenticationMode,
  type ResourceKey,
  type ResourceKind,
  type Service,
  type Workload,
} from './mesh-types.js';

/**
 * The one place mesh resources cross between their domain types and the protobuf of
 * api/proto/weft/mesh/v1/mesh.proto. Reading checks only what protobuf cannot say (enum
 * values, which oneof is set); the agent's state checks the content as a whole.
 */

/** An update that cannot be read; the agent refuses it whole (NACK). */
export class MeshWireError extends WeftError {
  constructor(message: string) {
    super('WEFT_MESH_BAD_UPDATE', message, { hint: 'the control plane and agent may run different versions of Weft' });
  }
}

const modes = new Map<wire.PeerAuthenticationMode, PeerAuthenticationMode>([
  [wire.PeerAuthenticationMode.PEER_AUTHENTICATION_MODE_STRICT, 'STRICT'],
  [wire.PeerAuthenticationMode.PEER_AUTHENTICATION_MODE_PERMISSIVE, 'PERMISSIVE'],
]);
const outboundPolicies = new Map<wire.OutboundPolicy, MeshSettings['outboundPolicy']>([
  [wire.OutboundPolicy.OUTBOUND_POLICY_ALLOW_ANY, 'ALLOW_ANY'],
  [wire.OutboundPolicy.OUTBOUND_POLICY_REGISTRY_ONLY, 'REGISTRY_ONLY'],
]);
const actions = new Map<wire.PolicyAction, AuthorizationPolicy['action']>([
  [wire.PolicyAction.POLICY_ACTION_ALLOW, 'ALLOW'],
  [wire.PolicyAction.POLICY_ACTION_DENY, 'DENY'],
]);
const kinds = new Map<wire.ResourceKind, ResourceKind>([
  [wire.ResourceKind.RESOURCE_KIND_SETTINGS, 'settings'],
  [wire.ResourceKind.RESOURCE_KIND_WORKLOAD, 'workload'],
  [wire.ResourceKind.RESOURCE_KIND_SERVICE, 'service'],
  [wire.ResourceKind.RESOURCE_KIND_POLICY, 'policy'],
]);

function inverse<K, V>(map: Map<K, V>): Map<V, K> {
  return new Map([...map].map(([k, v]) => [v, k]));
}
const modeToWire = inverse(modes);
const outboundToWire = inverse(outboundPolicies);
const actionToWire = inverse(actions);
const kindToWire = inverse(kinds);

function required<K, V>(map: Map<K, V>, value: K, what: string): V {
  const found = map.get(value);
  if (found === undefined) throw new MeshWireError(`${what}: ${String(value)} is not a known value`);
  return found;
}

function mode(value: wire.PeerAuthenticationMode, what: string): PeerAuthenticationMode | undefined {
  return value === wire.PeerAuthenticationMode.PEER_AUTHENTICATION_MODE_UNSPECIFIED ? undefined : required(modes, value, what);
}

function settingsFromWire(s: wire.MeshSettings): MeshSettings {
  const namespaceModes: Record<string, PeerAuthenticationMode> = {};
  for (const [namespace, value] of Object.entries(s.namespaceModes)) namespaceModes[namespace] = required(modes, value, `settings.namespaceModes[${namespace}]`);
  return {
    trustDomain: s.trustDomain,
    defaultMode: required(modes, s.defaultMode, 'settings.defaultMode'),
    outboundPolicy: required(outboundPolicies, s.outboundPolicy, 'settings.outboundPolicy'),
    namespaceModes,
  };
}

function workloadFromWire(w: wire.Workload): Workload {
  const workloadMode = mode(w.mode, `workload ${w.uid}: mode`);
  return {
    uid: w.uid,
    name: w.name,
    namespace: w.namespace,
    serviceAccount: w.serviceAccount,
    node: w.node,
    ips: w.ips,
    labels: w.labels,
    enrolled: w.enrolled,
    ...(workloadMode ? { mode: workloadMode } : {}),
    ...(w.workload ? { workload: w.workload } : {}),
  };
}

function isAppProtocolHint(value: string): value is AppProtocolHint {
  return appProtocolHints.some((hint) => hint === value);
}

function serviceFromWire(s: wire.Service): Service {
  return {
    name: s.name,
    namespace: s.namespace,
    vips: s.vips,
    ports: s.ports.map((p) => {
      if (p.appProtocol !== '' && !isAppProtocolHint(p.appProtocol)) throw new MeshWireError(`service ${s.namespace}/${s.name}: appProtocol ${JSON.stringify(p.appProtocol)} is not known`);
      return { ...(p.name ? { name: p.name } : {}), port: p.port, targetPort: p.targetPort, ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}) };
    }),
    endpoints: s.endpoints,
  };
}

function policyFromWire(p: wire.AuthorizationPolicy): AuthorizationPolicy {
  return {
    name: p.name,
    namespace: p.namespace,
    ...(Object.keys(p.selector).length > 0 ? { selector: p.selector } : {}),
    action: required(actions, p.action, `policy ${p.namespace}/${p.name}: action`),
    rules: p.rules.map((r) => ({
      ...(r.fromIdentities.length ? { fromIdentities: r.fromIdentities } : {}),
      ...(r.fromNamespaces.length ? { fromNamespaces: r.fromNamespaces } : {}),
      ...(r.toPorts.length ? { toPorts: r.toPorts } : {}),
    })),
  };
}

export function resourceFromWire(r: wire.Resource): MeshResource {
  const set = [r.settings, r.workload, r.service, r.policy].filter((x) => x !== undefined).length;
  if (set !== 1) throw new MeshWireError(`a resource must hold exactly one of settings, workload, service, policy; this one holds ${set}`);
  if (r.settings) return { kind: 'settings', settings: settingsFromWire(r.settings) };
  if (r.workload) return { kind: 'workload', workload: workloadFromWire(r.workload) };
  if (r.service) return { kind: 'service', service: serviceFromWire(r.service) };
  if (r.policy) return { kind: 'policy', policy: policyFromWire(r.policy) };
  throw new MeshWireError('empty resource');
}

export function resourceToWire(resource: MeshResource): wire.Resource {
  switch (resource.kind) {
    case 'settings': {
      const s = resource.settings;
      const namespaceModes: Record<string, wire.PeerAuthenticationMode> = {};
      for (const [namespace, value] of Object.entries(s.namespaceModes)) namespaceModes[namespace] = required(modeToWire, value, 'namespace mode');
      return {
        settings: {
          trustDomain: s.trustDomain,
          defaultMode: required(modeToWire, s.defaultMode, 'default mode'),
          outboundPolicy: required(outboundToWire, s.outboundPolicy, 'outbound policy'),
          namespaceModes,
        },
      };
    }
    case 'workload': {
      const w = resource.workload;
      const wireMode = w.mode ? required(modeToWire, w.mode, 'mode') : wire.PeerAuthenticationMode.PEER_AUTHENTICATION_MODE_UNSPECIFIED;
      return { workload: { uid: w.uid, name: w.name, namespace: w.namespace, serviceAccount: w.serviceAccount, node: w.node, ips: w.ips, labels: { ...w.labels }, enrolled: w.enrolled, mode: wireMode, workload: w.workload ?? '' } };
    }
    case 'service': {
      const s = resource.service;
      return {
        service: {
          name: s.name,
          namespace: s.namespace,
          vips: s.vips,
          ports: s.ports.map((p) => ({ name: p.name ?? '', port: p.port, targetPort: p.targetPort, appProtocol: p.appProtocol ?? '' })),
          endpoints: s.endpoints,
        },
      };
    }
    case 'policy': {
      const p = resource.policy;
      return {
        policy: {
          name: p.name,
          namespace: p.namespace,
          selector: { ...p.selector },
          action: required(actionToWire, p.action, 'action'),
          rules: p.rules.map((r) => ({ fromIdentities: r.fromIdentities ?? [], fromNamespaces: r.fromNamespaces ?? [], toPorts: r.toPorts ?? [] })),
        },
      };
    }
  }
}

export function keyFromWire(k: wire.ResourceKey): ResourceKey {
  return { kind: required(kinds, k.kind, `removal ${k.key}: kind`), key: k.key };
}

export function keyToWire(k: ResourceKey): wire.ResourceKey {
  return { kind: required(kindToWire, k.kind, 'kind'), key: k.key };
}

export function updateFromWire(u: wire.Update): MeshUpdate {
  return { version: u.version, baseVersion: u.baseVersion, upserts: u.upserts.map(resourceFromWire), removals: u.removals.map(keyFromWire) };
}

export function updateToWire(u: MeshUpdate): wire.Update {
  return { version: u.version, baseVersion: u.baseVersion, upserts: u.upserts.map(resourceToWire), removals: u.removals.map(keyToWire) };
}
