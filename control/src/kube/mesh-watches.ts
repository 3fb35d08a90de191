import { CoreV1Api, CustomObjectsApi, DiscoveryV1Api, type KubeConfig, type KubernetesListObject, type KubernetesObject, type V1EndpointSlice, type V1Namespace, type V1Pod, type V1Service } from '@kubernetes/client-node';
import type { Logger } from '@weft/api';
import type { MeshModel } from '../mesh/mesh-model.js';
import { policyFromK8s, policyResource, type AuthorizationPolicyObject, type TranslatedPolicy } from '../mesh/policy-translate.js';
import { namespaceFromK8s, podFromK8s, serviceFromK8s, sliceFromK8s } from '../mesh/translate.js';
import { KubeWatch, type WatchEvent } from './kube-watch.js';
import type { KubePodDirectory } from './pod-directory.js';

export interface MeshWatchesOptions {
  kubeconfig: KubeConfig;
  model: MeshModel;
  /** The CA's view of pods, fed from the same pod watch. */
  pods: KubePodDirectory;
  /** Told of every policy as translated, to write its status. */
  onPolicy?: (object: AuthorizationPolicyObject, translated: TranslatedPolicy) => void;
  log: Logger;
}

/** What the watches are to their owner: started, stopped, listed. */
type Watch = Pick<KubeWatch<KubernetesObject>, 'ready' | 'isReady' | 'start' | 'stop'>;

const nameOf = (object: KubernetesObject): string => `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;

/**
 * The control plane's watches of the cluster — Namespaces, Pods, Services,
 * EndpointSlices and Weft's AuthorizationPolicies — each translated where it arrives and
 * written into the model. `ready` resolves when every one has listed once.
 */
export class MeshWatches {
  readonly ready: Promise<void>;
  readonly #watches: Watch[];

  constructor(options: MeshWatchesOptions) {
    const { kubeconfig, model, pods, log } = options;
    const core = kubeconfig.makeApiClient(CoreV1Api);
    const discovery = kubeconfig.makeApiClient(DiscoveryV1Api);
    const custom = kubeconfig.makeApiClient(CustomObjectsApi);
    const watch = <T extends KubernetesObject>(name: string, path: string, list: () => Promise<KubernetesListObject<T>>, onEvent: (event: WatchEvent, object: T) => void, absentIsEmpty = false): Watch =>
      new KubeWatch<T>({ kubeconfig, name, path, list, onEvent, log, absentIsEmpty });
    const { group, version, plural } = policyResource;
    this.#watches = [
      watch<V1Namespace>('namespaces', '/api/v1/namespaces', () => core.listNamespace(), (event, ns) => {
        const name = ns.metadata?.name;
        if (name) model.setNamespace(name, event === 'delete' ? undefined : namespaceFromK8s(ns));
      }),
      watch<V1Pod>('pods', '/api/v1/pods', () => core.listPodForAllNamespaces(), (event, pod) => {
        pods.apply(event, pod);
        const uid = pod.metadata?.uid;
        if (uid) model.setPod(uid, event === 'delete' ? undefined : podFromK8s(pod));
      }),
      watch<V1Service>('services', '/api/v1/services', () => core.listServiceForAllNamespaces(), (event, service) => {
        model.setService(nameOf(service), event === 'delete' ? undefined : serviceFromK8s(service));
      }),
      watch<V1EndpointSlice>('endpointslices', '/apis/discovery.k8s.io/v1/endpointslices', () => discovery.listEndpointSliceForAllNamespaces(), (event, slice) => {
        model.setSlice(nameOf(slice), event === 'delete' ? undefined : sliceFromK8s(slice));
      }),
      watch<AuthorizationPolicyObject>(
        'authorizationpolicies',
        `/apis/${group}/${version}/${plural}`,
        async () => (await custom.listClusterCustomObject({ group, version, plural })) as KubernetesListObject<AuthorizationPolicyObject>,
        (event, object) => {
          const translated = event === 'delete' ? undefined : policyFromK8s(object);
          model.setPolicy(nameOf(object), translated);
          if (translated) options.onPolicy?.(object, translated);
        },
        true,
      ),
    ];
    this.ready = Promise.all(this.#watches.map((w) => w.ready)).then(() => undefined);
  }

  get isReady(): boolean {
    return this.#watches.every((w) => w.isReady);
  }

  start(): void {
    for (const w of this.#watches) w.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.#watches.map((w) => w.stop()));
  }
}
