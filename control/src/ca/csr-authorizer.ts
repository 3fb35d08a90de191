import { CaRefusal } from './ca-error.js';
import type { SpiffeId } from './spiffe-id.js';

/** What a TokenReview says about a token (the real one asks the API server). */
export interface TokenReviewResult {
  authenticated: boolean;
  /** system:serviceaccount:<namespace>:<name> */
  username?: string;
  /** From the bound token: the node the caller's pod runs on. */
  nodeName?: string;
  error?: string;
}

export interface TokenReviewer {
  review(token: string): Promise<TokenReviewResult>;
}

/** Where the CA learns which workloads run on a node (the control plane's pod cache). */
export interface PodDirectory {
  hasPod(query: { nodeName: string; namespace: string; serviceAccount: string }): boolean | Promise<boolean>;
}

export interface CsrAuthorizerOptions {
  reviewer: TokenReviewer;
  pods: PodDirectory;
  /** The ServiceAccount the agents run as, e.g. weft-system/weft-agent. */
  agent: { namespace: string; name: string };
}

/**
 * Decides whether the caller may have a certificate for an identity: the token must be
 * valid, belong to the agent's ServiceAccount and name the caller's node, and a pod of
 * that namespace and ServiceAccount must be scheduled on that node.
 */
export class CsrAuthorizer {
  readonly #options: CsrAuthorizerOptions;

  constructor(options: CsrAuthorizerOptions) {
    this.#options = options;
  }

  /** Resolves with the caller's node, or throws a CaRefusal saying why not. */
  async authorize(token: string, identity: SpiffeId): Promise<{ nodeName: string }> {
    if (!token) throw new CaRefusal('unauthenticated', 'WEFT_CA_NO_TOKEN', 'no ServiceAccount token was sent');
    let result: TokenReviewResult;
    try {
      result = await this.#options.reviewer.review(token);
    } catch (error) {
      throw new CaRefusal('unavailable', 'WEFT_CA_TOKEN_REVIEW_FAILED', 'the token could not be reviewed', { cause: error, hint: 'is the API server reachable from the control plane?' });
    }
    if (!result.authenticated) {
      throw new CaRefusal('unauthenticated', 'WEFT_CA_TOKEN_INVALID', `the token is not valid${result.error ? `: ${result.error}` : ''}`, {
        hint: 'tokens expire; the agent must send its current projected ServiceAccount token',
      });
    }
    const { namespace, name } = this.#options.agent;
    const expected = `system:serviceaccount:${namespace}:${name}`;
    if (result.username !== expected) {
      throw new CaRefusal('permission-denied', 'WEFT_CA_NOT_AGENT', `${result.username ?? 'the caller'} is not the Weft agent (${expected})`);
    }
    const nodeName = result.nodeName;
    if (!nodeName) {
      throw new CaRefusal('permission-denied', 'WEFT_CA_NO_NODE', 'the token is not bound to a pod on a node', {
        hint: 'the agent must use a projected (pod-bound) ServiceAccount token',
      });
    }
    let hasPod: boolean;
    try {
      hasPod = await this.#options.pods.hasPod({ nodeName, namespace: identity.namespace, serviceAccount: identity.serviceAccount });
    } catch (error) {
      throw new CaRefusal('unavailable', 'WEFT_CA_POD_LOOKUP_FAILED', `the pods on node ${nodeName} could not be listed`, { cause: error, hint: 'is the API server reachable from the control plane?' });
    }
    if (!hasPod) {
      throw new CaRefusal('permission-denied', 'WEFT_CA_NO_POD_ON_NODE', `no pod of ${identity.namespace}/${identity.serviceAccount} runs on node ${nodeName}`, {
        hint: 'an agent gets certificates only for workloads on its own node',
      });
    }
    return { nodeName };
  }
}
