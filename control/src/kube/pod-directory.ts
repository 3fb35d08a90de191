import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { Logger } from '@weft/api';
import type { PodDirectory } from '../ca/csr-authorizer.js';
import { KubeWatch, type WatchEvent } from './kube-watch.js';

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
 * Which ServiceAccounts have pods on which node, from a watch of every pod. The watch can
 * lag a just-scheduled pod, so a miss is checked once against the API server before the CA
 * refuses: an agent asking for a new pod's identity is not turned away for a race.
 */
export class KubePodDirectory implements PodDirectory {
  readonly #watch: KubeWatch<V1Pod>;
  readonly #core: CoreV1Api;
  /** uid → placement, and placement key → number of pods: one writer, the watch. */
  readonly #pods = new Map<string, string>();
  readonly #counts = new Map<string, number>();

  constructor(options: { kubeconfig: KubeConfig; log: Logger }) {
    this.#core = options.kubeconfig.makeApiClient(CoreV1Api);
    this.#watch = new KubeWatch<V1Pod>({
      kubeconfig: options.kubeconfig,
      name: 'pods',
      path: '/api/v1/pods',
      list: () => this.#core.listPodForAllNamespaces(),
      onEvent: (event, pod) => this.#apply(event, pod),
      log: options.log,
    });
  }

  get ready(): Promise<void> {
    return this.#watch.ready;
  }

  get isReady(): boolean {
    return this.#watch.isReady;
  }

  start(): void {
    this.#watch.start();
  }

  stop(): Promise<void> {
    return this.#watch.stop();
  }

  async hasPod(query: PlacedPod): Promise<boolean> {
    if ((this.#counts.get(keyOf(query)) ?? 0) > 0) return true;
    const pods = await this.#core.listNamespacedPod({ namespace: query.namespace, fieldSelector: `spec.nodeName=${query.nodeName}` });
    return pods.items.some((pod) => {
      const placed = fromK8s(pod);
      return placed !== undefined && keyOf(placed) === keyOf(query);
    });
  }

  #apply(event: WatchEvent, pod: V1Pod): void {
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
