import { AuthenticationV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { TokenReviewer, TokenReviewResult } from '../auth/index.js';

/** The extra field of a bound ServiceAccount token naming the node of its pod. */
const nodeNameExtra = 'authentication.kubernetes.io/node-name';

/**
 * TokenReviewer over the API server's TokenReview. With `audiences`, a token is accepted
 * only if it was issued for one of them (a token meant for another service is refused).
 */
export class KubeTokenReviewer implements TokenReviewer {
  readonly #api: AuthenticationV1Api;
  readonly #audiences: string[] | undefined;

  constructor(options: { kubeconfig: KubeConfig; audiences?: string[] }) {
    this.#api = options.kubeconfig.makeApiClient(AuthenticationV1Api);
    this.#audiences = options.audiences?.length ? options.audiences : undefined;
  }

  async review(token: string): Promise<TokenReviewResult> {
    const review = await this.#api.createTokenReview({
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, ...(this.#audiences ? { audiences: this.#audiences } : {}) } },
    });
    const status = review.status ?? {};
    const nodeName = status.user?.extra?.[nodeNameExtra]?.[0];
    return {
      authenticated: status.authenticated === true,
      ...(status.user?.username ? { username: status.user.username } : {}),
      ...(nodeName ? { nodeName } : {}),
      ...(status.error ? { error: status.error } : {}),
    };
  }
}
