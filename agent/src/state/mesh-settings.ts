import type { MeshSettings, PeerAuthenticationMode } from './mesh-types.js';
import { trustDomain } from '@weft/api';

export const peerAuthenticationModes: readonly PeerAuthenticationMode[] = ['STRICT', 'PERMISSIVE'];
export const outboundPolicies: readonly MeshSettings['outboundPolicy'][] = ['ALLOW_ANY', 'REGISTRY_ONLY'];

/** What a mesh without any configuration does: plaintext still accepted, any outbound passed. */
export const defaultMeshSettings: MeshSettings = Object.freeze({
  trustDomain: 'cluster.local',
  defaultMode: 'PERMISSIVE',
  outboundPolicy: 'ALLOW_ANY',
  namespaceModes: Object.freeze({}),
});

export function isPeerAuthenticationMode(value: unknown): value is PeerAuthenticationMode {
  return peerAuthenticationModes.some((mode) => mode === value);
}

/** Problems with settings, each prefixed with its path ("settings.defaultMode: …"). */
export function settingsProblems(settings: MeshSettings): string[] {
  const problems: string[] = [];
  if (!trustDomain.test(settings.trustDomain)) {
    problems.push(`settings.trustDomain: ${JSON.stringify(settings.trustDomain)} is not ${trustDomain.expected}`);
  }
  if (!isPeerAuthenticationMode(settings.defaultMode)) {
    problems.push(`settings.defaultMode: ${JSON.stringify(settings.defaultMode)} is not one of ${peerAuthenticationModes.join(', ')}`);
  }
  if (!outboundPolicies.includes(settings.outboundPolicy)) {
    problems.push(`settings.outboundPolicy: ${JSON.stringify(settings.outboundPolicy)} is not one of ${outboundPolicies.join(', ')}`);
  }
  for (const [namespace, mode] of Object.entries(settings.namespaceModes)) {
    if (!isPeerAuthenticationMode(mode)) {
      problems.push(`settings.namespaceModes[${JSON.stringify(namespace)}]: ${JSON.stringify(mode)} is not one of ${peerAuthenticationModes.join(', ')}`);
    }
  }
  return problems;
}
