import { CoreV1Api, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { apiStatus } from './kube-config.js';

/** The file name of the root in the ConfigMap (the agents mount it as /var/run/weft/trust/root.crt). */
export const trustBundleKey = 'root.crt';

/**
 * Publishes the mesh root (certificate only: the keys stay in the CA's Secret) as a
 * ConfigMap in Weft's namespace, where the agents mount it to verify the control plane
 * and each other. Created, or replaced when it differs.
 */
export async function publishTrustBundle(options: { kubeconfig: KubeConfig; namespace: string; name: string; rootPem: string }): Promise<'created' | 'updated' | 'unchanged'> {
  const core = options.kubeconfig.makeApiClient(CoreV1Api);
  const { namespace, name } = options;
  const body = (resourceVersion?: string): V1ConfigMap => ({
    metadata: { name, namespace, labels: { 'app.kubernetes.io/part-of': 'weft' }, ...(resourceVersion ? { resourceVersion } : {}) },
    data: { [trustBundleKey]: options.rootPem },
  });
  try {
    const current = await core.readNamespacedConfigMap({ name, namespace });
    if (current.data?.[trustBundleKey] === options.rootPem) return 'unchanged';
    // The resourceVersion read makes the replace fail rather than overwrite a concurrent change.
    await core.replaceNamespacedConfigMap({ name, namespace, body: body(current.metadata?.resourceVersion) });
    return 'updated';
  } catch (error) {
    if (apiStatus(error) !== 404) throw error;
    await core.createNamespacedConfigMap({ namespace, body: body() });
    return 'created';
  }
}
