import { Refusal } from './refusal.js';

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

export interface AgentAuthenticatorOptions {
  reviewer: TokenReviewer;
  /** The ServiceAccount the agents run as, e.g. weft-system/weft-agent. */
  agent: { namespace: string; name: string };
}

/**
 * Who is calling: a Weft agent, and on which node. The token must be valid, belong to the
 * agent's ServiceAccount and be bound to a pod on a node — the node comes from the API
 * server, never from what the caller says. The CA and the config stream both ask here.
 */
export class AgentAuthenticator {
  readonly #options: AgentAuthenticatorOptions;

  constructor(options: AgentAuthenticatorOptions) {
    this.#options = options;
  }

  /** Resolves with the caller's node, or throws a Refusal saying why not. */
  async authenticate(token: string): Promise<{ nodeName: string }> {
    if (!token) throw new Refusal('unauthenticated', 'WEFT_AUTH_NO_TOKEN', 'no ServiceAccount token was sent');
    let result: TokenReviewResult;
    try {
      result = await this.#options.reviewer.review(token);
    } catch (error) {
      throw new Refusal('unavailable', 'WEFT_AUTH_TOKEN_REVIEW_FAILED', 'the token could not be reviewed', { cause: error, hint: 'is the API server reachable from the control plane?' });
    }
    if (!result.authenticated) {
      throw new Refusal('unauthenticated', 'WEFT_AUTH_TOKEN_INVALID', `the token is not valid${result.error ? `: ${result.error}` : ''}`, {
        hint: 'tokens expire; the agent must send its current projected ServiceAccount token',
      });
    }
    const { namespace, name } = this.#options.agent;
    const expected = `system:serviceaccount:${namespace}:${name}`;
    if (result.username !== expected) {
      throw new Refusal('permission-denied', 'WEFT_AUTH_NOT_AGENT', `${result.username ?? 'the caller'} is not the Weft agent (${expected})`);
    }
    if (!result.nodeName) {
      throw new Refusal('permission-denied', 'WEFT_AUTH_NO_NODE', 'the token is not bound to a pod on a node', {
        hint: 'the agent must use a projected (pod-bound) ServiceAccount token',
      });
    }
    return { nodeName: result.nodeName };
  }
}
