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

/** A volume whose source is not there yet (a ConfigMap not yet created): the pod waits, as with the kubelet. */
export class VolumeNotReadyError extends Error {}

/** A read of a ConfigMap or Secret; a missing one means "not ready yet", not "failed". */
async function source<T>(what: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if ((error as { code?: unknown }).code === 404) throw new VolumeNotReadyError(`${what} does not exist yet`);
    throw error;
  }
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

  /** Where a volume's files are on the host: its hostPath, or a folder of the pod's own. */
  pathOf(volume: string): string {
    const hostPath = this.#pod.spec?.volumes?.find((v) => v.name === volume)?.hostPath?.path;
    return hostPath ?? join(this.#root, volume);
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
    if (volume.hostPath) {
      // Like the kubelet: DirectoryOrCreate makes the folder, the other types want it there.
      if (volume.hostPath.type === 'DirectoryOrCreate') ensureMountPoint(volume.hostPath.path);
      else if (!existsSync(volume.hostPath.path)) throw new VolumeNotReadyError(`hostPath ${volume.hostPath.path} of volume ${volume.name} does not exist`);
      return;
    }
    const dir = this.pathOf(volume.name);
    mkdirSync(dir, { recursive: true });
    const namespace = this.#pod.metadata?.namespace ?? 'default';
    if (volume.configMap) {
      const name = volume.configMap.name ?? '';
      const cm = await source(`ConfigMap ${namespace}/${name}`, () => this.#api.readNamespacedConfigMap({ name, namespace }));
      for (const [key, value] of Object.entries(cm.data ?? {})) writeAtomic(join(dir, key), value);
    } else if (volume.secret) {
      const name = volume.secret.secretName ?? '';
      const secret = await source(`Secret ${namespace}/${name}`, () => this.#api.readNamespacedSecret({ name, namespace }));
      for (const [key, value] of Object.entries(secret.data ?? {})) writeAtomic(join(dir, key), Buffer.from(value, 'base64'));
    } else if (volume.projected) {
      for (const projection of volume.projected.sources ?? []) await this.#projection(dir, projection, namespace);
    }
    // emptyDir and anything else: an empty folder.
  }

  async #projection(dir: string, projection: V1VolumeProjection, namespace: string): Promise<void> {
    if (projection.serviceAccountToken) {
      this.#tokens.push({
        file: join(dir, projection.serviceAccountToken.path),
        audience: projection.serviceAccountToken.audience,
        expirationSeconds: projection.serviceAccountToken.expirationSeconds ?? 3607,
      });
    } else if (projection.configMap) {
      const name = projection.configMap.name ?? '';
      const cm = await source(`ConfigMap ${namespace}/${name}`, () => this.#api.readNamespacedConfigMap({ name, namespace }));
      const items = projection.configMap.items ?? Object.keys(cm.data ?? {}).map((key) => ({ key, path: key }));
      for (const item of items) writeAtomic(join(dir, item.path), cm.data?.[item.key] ?? '');
    } else if (projection.downwardAPI) {
      for (const item of projection.downwardAPI.items ?? []) {
        const field = item.fieldRef?.fieldPath;
        const value = field === 'metadata.namespace' ? namespace : field === 'metadata.name' ? (this.#pod.metadata?.name ?? '') : '';
        writeAtomic(join(dir, item.path), value);
      }
    } else if (projection.secret) {
      const name = projection.secret.name ?? '';
      const secret = await source(`Secret ${namespace}/${name}`, () => this.#api.readNamespacedSecret({ name, namespace }));
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
