import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { AnchorStore } from '../ca/trust-anchor-loader.js';
import { anchorFiles, type EncodedTrustAnchor } from '../ca/trust-anchor-codec.js';
import { apiStatus } from './kube-config.js';

const names = Object.values(anchorFiles);

/** The trust anchor kept in a Secret (default weft-system/weft-ca). */
export class AnchorSecret implements AnchorStore {
  readonly description: string;
  readonly #core: CoreV1Api;
  readonly #namespace: string;
  readonly #name: string;

  constructor(options: { kubeconfig: KubeConfig; namespace: string; name: string }) {
    this.#core = options.kubeconfig.makeApiClient(CoreV1Api);
    this.#namespace = options.namespace;
    this.#name = options.name;
    this.description = `Secret ${options.namespace}/${options.name}`;
  }

  async read(): Promise<EncodedTrustAnchor | undefined> {
    let data: Record<string, string> | undefined;
    try {
      data = (await this.#core.readNamespacedSecret({ namespace: this.#namespace, name: this.#name })).data;
    } catch (error) {
      if (apiStatus(error) === 404) return undefined;
      throw error;
    }
    const files: EncodedTrustAnchor = {};
    for (const name of names) {
      const value = data?.[name];
      if (value !== undefined) files[name] = Buffer.from(value, 'base64').toString('utf8');
    }
    return files;
  }

  async create(files: EncodedTrustAnchor): Promise<'created' | 'exists'> {
    const data: Record<string, string> = {};
    for (const [name, value] of Object.entries(files)) if (value !== undefined) data[name] = Buffer.from(value).toString('base64');
    try {
      await this.#core.createNamespacedSecret({
        namespace: this.#namespace,
        body: {
          apiVersion: 'v1',
          kind: 'Secret',
          type: 'Opaque',
          metadata: { name: this.#name, namespace: this.#namespace, labels: { 'app.kubernetes.io/managed-by': 'weft-control' } },
          data,
        },
      });
      return 'created';
    } catch (error) {
      // Another replica created it first: the caller reads theirs, so all agree on one root.
      if (apiStatus(error) === 409) return 'exists';
      throw error;
    }
  }
}
