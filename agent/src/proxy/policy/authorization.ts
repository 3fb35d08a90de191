import type { AuthorizationPolicy, PolicyRule, Workload } from '../../state/index.js';

/** Who is connecting, as far as the inbound side knows. */
export interface AuthorizationSource {
  /** The peer's SPIFFE ID from its verified certificate; absent for plaintext. */
  identity?: string | undefined;
  /** The peer's namespace; taken from the identity when not given. */
  namespace?: string | undefined;
}

export interface AuthorizationRequest {
  source: AuthorizationSource;
  destination: Workload;
  /** The port the connection is for on the destination workload (a target port). */
  port: number;
}

export type AuthorizationReason = 'allowed-default' | 'allowed-by-policy' | 'denied-by-policy' | 'no-allow-policy-matched';

export interface AuthorizationDecision {
  allowed: boolean;
  reason: AuthorizationReason;
  /** "namespace/name" of the policy that decided, for allowed-by-policy and denied-by-policy. */
  policy?: string;
}

const identityNamespace = /^spiffe:\/\/[^/]+\/ns\/([^/]+)\/sa\/[^/]+$/;

function namespaceOf(source: AuthorizationSource): string | undefined {
  if (source.namespace !== undefined) return source.namespace;
  return source.identity === undefined ? undefined : identityNamespace.exec(source.identity)?.[1];
}

function identityMatches(pattern: string, identity: string): boolean {
  return pattern.endsWith('*') ? identity.startsWith(pattern.slice(0, -1)) : pattern === identity;
}

/** Every non-empty field must match; an empty or absent field matches anyone. */
function ruleMatches(rule: PolicyRule, request: AuthorizationRequest): boolean {
  const { identity } = request.source;
  const fromIdentities = rule.fromIdentities ?? [];
  const fromNamespaces = rule.fromNamespaces ?? [];
  // A plaintext peer has proved nothing, so it cannot match a rule that asks who it is.
  if (identity === undefined && (fromIdentities.length > 0 || fromNamespaces.length > 0)) return false;
  if (identity !== undefined && fromIdentities.length > 0 && !fromIdentities.some((pattern) => identityMatches(pattern, identity))) return false;
  if (fromNamespaces.length > 0) {
    const namespace = namespaceOf(request.source);
    if (namespace === undefined || !fromNamespaces.includes(namespace)) return false;
  }
  const toPorts = rule.toPorts ?? [];
  return toPorts.length === 0 || toPorts.includes(request.port);
}

function policyMatches(policy: AuthorizationPolicy, request: AuthorizationRequest): boolean {
  return policy.rules.some((rule) => ruleMatches(rule, request));
}

const nameOf = (policy: AuthorizationPolicy): string => `${policy.namespace}/${policy.name}`;

/**
 * L4 authorization of one inbound connection, with Istio's semantics: a matching DENY
 * policy denies; otherwise, when any ALLOW policy applies to the destination, one of them
 * must match; with no ALLOW policy at all the connection is allowed.
 *
 * `policies` must be exactly the policies that apply to the destination —
 * `MeshView.policiesFor(request.destination)`. They are not filtered again here: a policy
 * passed in counts as applying, so passing another workload's policies gives wrong answers.
 * A policy with no rules matches nothing (an ALLOW one then denies everyone).
 */
export function authorize(request: AuthorizationRequest, policies: readonly AuthorizationPolicy[]): AuthorizationDecision {
  const deny = policies.find((policy) => policy.action === 'DENY' && policyMatches(policy, request));
  if (deny) return { allowed: false, reason: 'denied-by-policy', policy: nameOf(deny) };
  const allows = policies.filter((policy) => policy.action === 'ALLOW');
  if (allows.length === 0) return { allowed: true, reason: 'allowed-default' };
  const allow = allows.find((policy) => policyMatches(policy, request));
  if (allow) return { allowed: true, reason: 'allowed-by-policy', policy: nameOf(allow) };
  return { allowed: false, reason: 'no-allow-policy-matched' };
}
