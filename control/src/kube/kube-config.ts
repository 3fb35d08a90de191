import { existsSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { WeftError } from '@weft/api';

const serviceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * The API server connection: a kubeconfig file when one is named (out of cluster, tests),
 * else the pod's own ServiceAccount (in cluster).
 */
export function loadKubeConfig(path: string | undefined): KubeConfig {
  const kubeconfig = new KubeConfig();
  if (path) {
    if (!existsSync(path)) throw new WeftError('WEFT_KUBE_NO_CONFIG', `the kubeconfig ${path} does not exist`);
    try {
      kubeconfig.loadFromFile(path);
    } catch (error) {
      throw new WeftError('WEFT_KUBE_BAD_CONFIG', `the kubeconfig ${path} cannot be read`, { cause: error });
    }
    if (!kubeconfig.getCurrentCluster()) throw new WeftError('WEFT_KUBE_BAD_CONFIG', `the kubeconfig ${path} names no current cluster`);
    return kubeconfig;
  }
  if (!process.env.KUBERNETES_SERVICE_HOST || !existsSync(`${serviceAccountDir}/token`)) {
    throw new WeftError('WEFT_KUBE_NO_CONFIG', 'not running in a cluster and no kubeconfig was given', {
      hint: 'set WEFT_KUBECONFIG to a kubeconfig file',
    });
  }
  kubeconfig.loadFromCluster();
  return kubeconfig;
}

/** The HTTP status of a failed API call (client-node's ApiException), if it has one. */
export function apiStatus(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}
