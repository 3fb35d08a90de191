import { appendFileSync, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CoreV1Api, V1Pod, V1Volume, V1VolumeProjection } from '@kubernetes/client-node';
import { paths } from '../testbed/testbed-config.js';

/**
 * Makes a volume's mount point on the host (the bind mount itself happens in the pod's
 * private mount namespace) and records the top-most folder it created, so that
 * `testbed down` removes it.
 */
export function ensureMountPoint(path: string): void {
  let top: string | undefined;
  for (let p = path; !existsSync(p); p = dirname(p)) top = p;
  if (top === undefined) return;
  mkdirSync(path, { recursive: true });
  appendFileSync(paths.createdMountPoints, `${top}\n`);
}

function writeAtomic(path: string, content: string | Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, content, { mode: 0o600 });
  renameSync(tmp, path);
}

interface TokenSource {
  file: string;
  audience: string | undefined;
  expirationSeconds: number;
}

/**
 * The files of a pod's volumes under podDir/volumes/<name>, and the projected
 * ServiceAccount tokens, refreshed at 80 % of their life like the kubelet does.
 */
export class PodVolumes {
  readonly #api: CoreV1Api;
  readonly #pod: V1Pod;
  readonly #root: string;
  readonly #tokens: TokenSource[] = [];
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(api: CoreV1Api, pod: V1Pod, podDir: string) {
    this.#api = api;
    this.#pod = pod;
    this.#root = join(podDir, 'volumes');
  }

  pathOf(volume: string): string {
    return join(this.#root, volume);
  }

  async materialize(): Promise<void> {
    for (const volume of this.#pod.spec?.volumes ?? []) await this.#volume(volume);
    await this.#refreshTokens();
  }

  #isStopped(): boolean {
    return this.#stopped;
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  async #volume(volume: V1Volume): Promise<void> {
    const dir = this.pathOf(volume.name);
    mkdirSync(dir, { recursive: true });
    const namespace = this.#pod.metadata?.namespace ?? 'default';
    if (volume.configMap) {
      const cm = await this.#api.readNamespacedConfigMap({ name: volume.configMap.name ?? '', namespace });
      for (const [key, value] of Object.entries(cm.data ?? {})) writeAtomic(join(dir, key), value);
    } else if (volume.secret) {
      const secret = await this.#api.readNamespacedSecret({ name: volume.secret.secretName ?? '', namespace });
      for (const [key, value] of Object.entries(secret.data ?? {})) writeAtomic(join(dir, key), Buffer.from(value, 'base64'));
    } else if (volume.projected) {
      for (const source of volume.projected.sources ?? []) await this.#projection(dir, source, namespace);
    }
    // emptyDir and anything else: an empty folder.
  }

  async #projection(dir: string, source: V1VolumeProjection, namespace: string): Promise<void> {
    if (source.serviceAccountToken) {
      this.#tokens.push({
        file: join(dir, source.serviceAccountToken.path),
        audience: source.serviceAccountToken.audience,
        expirationSeconds: source.serviceAccountToken.expirationSeconds ?? 3607,
      });
    } else if (source.configMap) {
      const cm = await this.#api.readNamespacedConfigMap({ name: source.configMap.name ?? '', namespace });
      const items = source.configMap.items ?? Object.keys(cm.data ?? {}).map((key) => ({ key, path: key }));
      for (const item of items) writeAtomic(join(dir, item.path), cm.data?.[item.key] ?? '');
    } else if (source.downwardAPI) {
      for (const item of source.downwardAPI.items ?? []) {
        const field = item.fieldRef?.fieldPath;
        const value = field === 'metadata.namespace' ? namespace : field === 'metadata.name' ? (this.#pod.metadata?.name ?? '') : '';
        writeAtomic(join(dir, item.path), value);
      }
    } else if (source.secret) {
      const secret = await this.#api.readNamespacedSecret({ name: source.secret.name ?? '', namespace });
      for (const [key, value] of Object.entries(secret.data ?? {})) writeAtomic(join(dir, key), Buffer.from(value, 'base64'));
    }
  }

  async #refreshTokens(): Promise<void> {
    if (this.#tokens.length === 0 || this.#stopped) return;
    const { name = '', namespace = 'default', uid = '' } = this.#pod.metadata ?? {};
    let shortest = Infinity;
    for (const token of this.#tokens) {
      const review = await this.#api.createNamespacedServiceAccountToken({
        name: this.#pod.spec?.serviceAccountName ?? 'default',
        namespace,
        body: {
          spec: {
            audiences: token.audience ? [token.audience] : [],
            expirationSeconds: token.expirationSeconds,
            boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name, uid },
          },
        },
      });
      if (this.#isStopped()) return; // the pod went away while the request was in flight
      writeAtomic(token.file, review.status?.token ?? '');
      shortest = Math.min(shortest, token.expirationSeconds);
    }
    this.#scheduleRefresh(shortest * 800);
  }

  /** Refresh at 80 % of the shortest lifetime; after a failure, retry in 10 s. */
  #scheduleRefresh(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#refreshTokens().catch(() => this.#scheduleRefresh(10_000));
    }, ms);
    this.#timer.unref();
  }
}
