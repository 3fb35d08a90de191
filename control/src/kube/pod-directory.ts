import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { PodDirectory } from '../ca/csr-authorizer.js';
import type { WatchEvent } from './kube-watch.js';

/** What the CA needs of a pod, taken from the Kubernetes object where it arrives. */
interface PlacedPod {
  nodeName: string;
  namespace: string;
  serviceAccount: string;
}

function fromK8s(pod: V1Pod): PlacedPod | undefined {
  const nodeName = pod.spec?.nodeName;
  const namespace = pod.metadata?.namespace;
  const phase = pod.status?.phase;
  // A finished pod holds no identity; a pod not yet scheduled has no node to hold it on.
  if (!nodeName || !namespace || phase === 'Succeeded' || phase === 'Failed') return undefined;
  return { nodeName, namespace, serviceAccount: pod.spec?.serviceAccountName || 'default' };
}

const keyOf = (p: PlacedPod): string => `${p.nodeName}\u0000${p.namespace}\u0000${p.serviceAccount}`;

/**
 * Which ServiceAccounts have pods on which node, fed by the control plane's watch of every
 * pod (`apply`). The watch can lag a just-scheduled pod, so a miss is checked once against
 * the API server before the CA refuses: an agent asking for a new pod's identity is not
 * turned away for a race.
 */
export class KubePodDirectory implements PodDirectory {
  readonly #core: CoreV1Api;
  /** uid → placement, and placement key → number of pods: one writer, the watch. */
  readonly #pods = new Map<string, string>();
  readonly #counts = new Map<string, number>();

  constructor(options: { kubeconfig: KubeConfig }) {
    this.#core = options.kubeconfig.makeApiClient(CoreV1Api);
  }

  async hasPod(query: PlacedPod): Promise<boolean> {
    if ((this.#counts.get(keyOf(query)) ?? 0) > 0) return true;
    const pods = await this.#core.listNamespacedPod({ namespace: query.namespace, fieldSelector: `spec.nodeName=${query.nodeName}` });
    return pods.items.some((pod) => {
      const placed = fromK8s(pod);
      return placed !== undefined && keyOf(placed) === keyOf(query);
    });
  }

  /** One event of the pod watch. */
  apply(event: WatchEvent, pod: V1Pod): void {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    const before = this.#pods.get(uid);
    if (before !== undefined) {
      const left = (this.#counts.get(before) ?? 1) - 1;
      if (left > 0) this.#counts.set(before, left);
      else this.#counts.delete(before);
      this.#pods.delete(uid);
    }
    const placed = event === 'delete' ? undefined : fromK8s(pod);
    if (!placed) return;
    const key = keyOf(placed);
    this.#pods.set(uid, key);
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
  }
}
