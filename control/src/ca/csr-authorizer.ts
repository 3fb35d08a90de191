import type { AgentAuthenticator } from '../auth/agent-authenticator.js';
import { CaRefusal } from './ca-error.js';
import type { SpiffeId } from './spiffe-id.js';

/** Where the CA learns which workloads run on a node (the control plane's pod cache). */
export interface PodDirectory {
  hasPod(query: { nodeName: string; namespace: string; serviceAccount: string }): boolean | Promise<boolean>;
}

export interface CsrAuthorizerOptions {
  agents: AgentAuthenticator;
  pods: PodDirectory;
}

/**
 * Decides whether the caller may have a certificate for an identity: the caller must be a
 * Weft agent (AgentAuthenticator: which node it runs on), and a pod of that namespace and
 * ServiceAccount must be scheduled on that node.
 */
export class CsrAuthorizer {
  readonly #options: CsrAuthorizerOptions;

  constructor(options: CsrAuthorizerOptions) {
    this.#options = options;
  }

  /** Resolves with the caller's node, or throws a Refusal saying why not. */
  async authorize(token: string, identity: SpiffeId): Promise<{ nodeName: string }> {
    const { nodeName } = await this.#options.agents.authenticate(token);
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
