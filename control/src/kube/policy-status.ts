import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '@weft/api';
import { acceptedCondition, policyResource, type AuthorizationPolicyObject, type PolicyCondition, type StoredCondition, type TranslatedPolicy } from '../mesh/policy-translate.js';

const same = (a: StoredCondition | undefined, b: PolicyCondition): boolean =>
  a !== undefined && a.status === b.status && a.reason === b.reason && a.message === b.message && a.observedGeneration === b.observedGeneration;

/**
 * Writes each AuthorizationPolicy's `Accepted` condition (status subresource), only when it
 * would change: the write comes back as a watch event, which then finds nothing to do.
 * A failed write is logged and tried again with the policy's next event.
 */
export class PolicyStatusWriter {
  readonly #api: CustomObjectsApi;
  readonly #log: Logger;

  constructor(options: { kubeconfig: KubeConfig; log: Logger }) {
    this.#api = options.kubeconfig.makeApiClient(CustomObjectsApi);
    this.#log = options.log;
  }

  observed(object: AuthorizationPolicyObject, translated: TranslatedPolicy): void {
    const { name, namespace, generation } = object.metadata ?? {};
    if (!name || !namespace) return;
    const previous = object.status?.conditions?.find((c) => c.type === 'Accepted');
    const condition = acceptedCondition(translated, generation ?? 0, previous, new Date());
    if (same(previous, condition)) return;
    const { group, version, plural } = policyResource;
    this.#api
      .patchNamespacedCustomObjectStatus({ group, version, plural, namespace, name, body: { status: { conditions: [condition] } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch))
      .then(
        () => this.#log.info('policy status written', { policy: `${namespace}/${name}`, accepted: condition.status, reason: condition.reason }),
        (error: unknown) => this.#log.warn('policy status not written', { policy: `${namespace}/${name}`, error }),
      );
  }
}
