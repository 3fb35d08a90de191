import { makeInformer, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '@weft/api';
import { apiStatus } from './kube-config.js';

export type WatchEvent = 'add' | 'update' | 'delete';

export interface KubeWatchOptions<T extends KubernetesObject> {
  kubeconfig: KubeConfig;
  /** What is watched, for logs: "pods". */
  name: string;
  /** The API path, e.g. /api/v1/pods. */
  path: string;
  list: () => Promise<KubernetesListObject<T>>;
  onEvent: (event: WatchEvent, object: T) => void;
  log: Logger;
  /** First and largest wait before a restart (default 500 ms, 30 s). */
  backoffMs?: { initial: number; max: number };
  /**
   * A resource that may not exist (a CRD not installed): a 404 counts as an empty list, so
   * `ready` resolves, and the watch keeps trying at the largest back-off until it appears.
   */
  absentIsEmpty?: boolean;
}

/**
 * One informer, started once and kept running: client-node's informers stop on any error
 * but 410, so every error here schedules a restart with exponential back-off. `ready`
 * resolves after the first complete list; a restart re-lists, and the informer reports
 * what changed meanwhile (deletions included) through the same events.
 */
export class KubeWatch<T extends KubernetesObject> {
  readonly ready: Promise<void>;
  readonly #options: KubeWatchOptions<T>;
  readonly #informer;
  #markReady: () => void = () => undefined;
  #isReady = false;
  #failedThisAttempt = false;
  #stopped = false;
  #restart: NodeJS.Timeout | undefined;
  #delayMs: number;

  constructor(options: KubeWatchOptions<T>) {
    this.#options = options;
    this.#delayMs = options.backoffMs?.initial ?? 500;
    this.ready = new Promise((resolve) => (this.#markReady = resolve));
    this.#informer = makeInformer<T>(options.kubeconfig, options.path, options.list);
    for (const event of ['add', 'update', 'delete'] as const) this.#informer.on(event, (object) => this.#deliver(event, object));
    this.#informer.on('error', (error) => this.#failed(error));
  }

  get isReady(): boolean {
    return this.#isReady;
  }

  start(): void {
    void this.#attempt();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#restart);
    await this.#informer.stop();
  }

  async #attempt(): Promise<void> {
    this.#restart = undefined;
    if (this.#stopped) return;
    this.#failedThisAttempt = false;
    try {
      await this.#informer.start();
    } catch (error) {
      this.#failed(error);
      return;
    }
    if (this.#interrupted()) return;
    this.#delayMs = this.#options.backoffMs?.initial ?? 500;
    if (!this.#isReady) {
      this.#isReady = true;
      this.#options.log.info('watch ready', { watch: this.#options.name });
      this.#markReady();
    }
  }

  /** One object that its handler cannot take is logged and skipped; the watch goes on. */
  #deliver(event: WatchEvent, object: T): void {
    try {
      this.#options.onEvent(event, object);
    } catch (error) {
      const { namespace, name } = object.metadata ?? {};
      this.#options.log.error('a watched object could not be handled; skipped', { watch: this.#options.name, object: `${namespace ?? ''}/${name ?? ''}`, event, error });
    }
  }

  /** Read through a method: the informer's callbacks change these fields during start(). */
  #interrupted(): boolean {
    return this.#failedThisAttempt || this.#stopped;
  }

  #failed(error: unknown): void {
    this.#failedThisAttempt = true;
    if (this.#stopped || this.#restart) return;
    const max = this.#options.backoffMs?.max ?? 30_000;
    if (this.#options.absentIsEmpty && apiStatus(error) === 404) {
      if (!this.#isReady) {
        this.#isReady = true;
        this.#options.log.warn('resource not installed; treated as empty until it appears', { watch: this.#options.name, path: this.#options.path });
        this.#markReady();
      }
      this.#restart = setTimeout(() => void this.#attempt(), max);
      return;
    }
    const delay = this.#delayMs;
    this.#delayMs = Math.min(delay * 2, max);
    this.#options.log.warn('watch failed; restarting', { watch: this.#options.name, inMs: delay, error });
    this.#restart = setTimeout(() => void this.#attempt(), delay);
  }
}
