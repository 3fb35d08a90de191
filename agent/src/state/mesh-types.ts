/**
 * The agent's picture of the mesh: the shared domain types of @weft/api, plus what only
 * the agent knows of its own node's workloads. Whatever feeds it — the control plane's
 * stream or the static config file — converts into these types where it arrives.
 */
import type { AuthorizationPolicy, MeshSettings, Service, Workload as MeshWorkload } from '@weft/api';

export type { AppProtocolHint, AuthorizationPolicy, MeshSettings, PeerAuthenticationMode, PolicyRule, Service, ServicePort, SpiffeIdText } from '@weft/api';
export { spiffeIdOf } from '@weft/api';

export interface Workload extends MeshWorkload {
  /** Path of its network namespace; set only for workloads on this agent's node, found on the node (never sent). */
  netnsPath?: string;
}

/** Everything the agent knows at one version. */
export interface MeshSnapshot {
  /** Increases with every change; reported as config version. */
  version: string;
  settings: MeshSettings;
  workloads: Workload[];
  services: Service[];
  policies: AuthorizationPolicy[];
}
