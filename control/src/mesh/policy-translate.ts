import type { KubernetesObject } from '@kubernetes/client-node';
import { dnsLabel, labelKey, labelValue, spiffeIdPattern, type AuthorizationPolicy, type PolicyRule } from '@weft/api';

/** Weft's own policy CRD: policy.weft.dev/v1alpha1, kind AuthorizationPolicy (helm/weft/crds). */
export const policyResource = { group: 'policy.weft.dev', version: 'v1alpha1', plural: 'authorizationpolicies', kind: 'AuthorizationPolicy' } as const;

/** The object as the API server stores it; every field may be missing or of the wrong type. */
export interface AuthorizationPolicyObject extends KubernetesObject {
  spec?: unknown;
  status?: { conditions?: StoredCondition[] };
}

/** A condition as stored: other writers may have put any type there. */
export interface StoredCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
  lastTransitionTime?: string;
}

export interface PolicyCondition {
  type: 'Accepted';
  status: 'True' | 'False';
  reason: string;
  message: string;
  observedGeneration: number;
  lastTransitionTime: string;
}

export interface PolicyProblem {
  /** A CamelCase reason for the status condition (InvalidSelector, InvalidIdentity, …). */
  reason: string;
  /** Where, e.g. spec.rules[1].from.identities[0]. */
  path: string;
  message: string;
}

export interface TranslatedPolicy {
  policy: AuthorizationPolicy;
  /** Empty when the policy is accepted as written. */
  problems: PolicyProblem[];
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function stringList(value: unknown, path: string, reason: string, check: (text: string) => boolean, expected: string, problems: PolicyProblem[]): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) {
    problems.push({ reason, path, message: 'must be a list' });
    return undefined;
  }
  const good: string[] = [];
  value.forEach((item, i) => {
    if (typeof item === 'string' && check(item)) good.push(item);
    else problems.push({ reason, path: `${path}[${i}]`, message: `${JSON.stringify(item)} is not ${expected}` });
  });
  return good;
}

function ports(value: unknown, path: string, problems: PolicyProblem[]): number[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) {
    problems.push({ reason: 'InvalidPort', path, message: 'must be a list' });
    return undefined;
  }
  const good: number[] = [];
  value.forEach((item, i) => {
    if (typeof item === 'number' && Number.isInteger(item) && item >= 1 && item <= 65535) good.push(item);
    else problems.push({ reason: 'InvalidPort', path: `${path}[${i}]`, message: `${JSON.stringify(item)} is not a port (1-65535)` });
  });
  return good;
}

function selectorOf(spec: Record<string, unknown>, problems: PolicyProblem[]): Record<string, string> | undefined {
  const selector = spec.selector;
  if (selector === undefined) return undefined;
  const matchLabels = isRecord(selector) ? selector.matchLabels : undefined;
  if (!isRecord(selector) || (matchLabels !== undefined && !isRecord(matchLabels)) || Object.keys(selector).some((k) => k !== 'matchLabels')) {
    problems.push({ reason: 'InvalidSelector', path: 'spec.selector', message: 'must be { matchLabels: { <label>: <value> } }' });
    return undefined;
  }
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(matchLabels ?? {})) {
    if (!labelKey.test(key)) problems.push({ reason: 'InvalidSelector', path: `spec.selector.matchLabels[${JSON.stringify(key)}]`, message: `is not ${labelKey.expected}` });
    else if (typeof value !== 'string' || !labelValue.test(value)) {
      problems.push({ reason: 'InvalidSelector', path: `spec.selector.matchLabels[${JSON.stringify(key)}]`, message: `${JSON.stringify(value)} is not ${labelValue.expected}` });
    } else labels[key] = value;
  }
  return labels;
}

/** One rule, and whether it was written right (a wrong one is replaced; see policyFromK8s). */
function ruleOf(value: unknown, path: string, problems: PolicyProblem[]): { rule: PolicyRule; valid: boolean } {
  const before = problems.length;
  const rule: PolicyRule = {};
  if (!isRecord(value)) {
    problems.push({ reason: 'InvalidRule', path, message: 'must be an object with "from" and/or "to"' });
    return { rule, valid: false };
  }
  const { from, to } = value;
  if (from !== undefined && !isRecord(from)) problems.push({ reason: 'InvalidRule', path: `${path}.from`, message: 'must be an object' });
  if (to !== undefined && !isRecord(to)) problems.push({ reason: 'InvalidRule', path: `${path}.to`, message: 'must be an object' });
  if (isRecord(from)) {
    const identities = stringList(from.identities, `${path}.from.identities`, 'InvalidIdentity', spiffeIdPattern.test, spiffeIdPattern.expected, problems);
    const namespaces = stringList(from.namespaces, `${path}.from.namespaces`, 'InvalidNamespace', dnsLabel.test, 'a namespace name', problems);
    if (identities) rule.fromIdentities = identities;
    if (namespaces) rule.fromNamespaces = namespaces;
  }
  if (isRecord(to)) {
    const toPorts = ports(to.ports, `${path}.to.ports`, problems);
    if (toPorts) rule.toPorts = toPorts;
  }
  return { rule, valid: problems.length === before };
}

/**
 * The policy the agents enforce, and what is wrong with it. A policy with problems is
 * still enforced, failing closed: a rule written wrong matches nothing in an ALLOW policy
 * and everything in a DENY policy, so a typo never opens what the author meant to close.
 */
export function policyFromK8s(object: AuthorizationPolicyObject): TranslatedPolicy | undefined {
  const name = object.metadata?.name;
  const namespace = object.metadata?.namespace;
  if (!name || !namespace) return undefined;
  const problems: PolicyProblem[] = [];
  const spec = isRecord(object.spec) ? object.spec : {};
  if (!isRecord(object.spec)) problems.push({ reason: 'InvalidSpec', path: 'spec', message: 'is missing' });
  const action = spec.action === 'DENY' ? 'DENY' : 'ALLOW';
  if (spec.action !== 'ALLOW' && spec.action !== 'DENY') {
    problems.push({ reason: 'InvalidAction', path: 'spec.action', message: `${JSON.stringify(spec.action)} is not ALLOW or DENY` });
  }
  const selector = selectorOf(spec, problems);
  const rules: PolicyRule[] = [];
  if (spec.rules !== undefined && !Array.isArray(spec.rules)) {
    problems.push({ reason: 'InvalidRule', path: 'spec.rules', message: 'must be a list' });
    if (action === 'DENY') rules.push({});
  }
  const written = Array.isArray(spec.rules) ? (spec.rules as unknown[]) : [];
  written.forEach((value, i) => {
    const { rule, valid } = ruleOf(value, `spec.rules[${i}]`, problems);
    if (valid) rules.push(rule);
    else if (action === 'DENY') rules.push({});
  });
  // An unreadable action is enforced as DENY of everything the policy selects.
  const failClosed = problems.some((p) => p.reason === 'InvalidAction');
  const policy: AuthorizationPolicy = {
    name,
    namespace,
    ...(selector && Object.keys(selector).length > 0 ? { selector } : {}),
    action: failClosed ? 'DENY' : action,
    rules: failClosed ? [{}] : rules,
  };
  return { policy, problems };
}

/** The Accepted condition for a translated policy (lastTransitionTime kept when nothing changed). */
export function acceptedCondition(translated: TranslatedPolicy, generation: number, previous: StoredCondition | undefined, now: Date): PolicyCondition {
  const { problems } = translated;
  const status = problems.length === 0 ? 'True' : 'False';
  const reason = problems.length === 0 ? 'Accepted' : (problems[0]?.reason ?? 'Invalid');
  const message =
    problems.length === 0
      ? 'the policy is enforced as written'
      : `${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}; enforced failing closed (a broken rule matches nothing in ALLOW, everything in DENY)`;
  const lastTransitionTime = previous?.status === status && previous.lastTransitionTime ? previous.lastTransitionTime : now.toISOString();
  return { type: 'Accepted', status, reason, message, observedGeneration: generation, lastTransitionTime };
}
