import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from '@weft/api';
import type { MeshSnapshot } from './mesh-types.js';
import { loadStaticConfig } from './static-config.js';

export interface StaticConfigSourceOptions {
  path: string;
  /** Takes a snapshot: throws (or rejects) to refuse it. */
  apply: (snapshot: MeshSnapshot) => Promise<void>;
  log: Logger;
}

/**
 * Feeds the agent from a static config file (docs/static-config.md): applied at start,
 * applied again when the file changes or on SIGHUP. A bad file is refused with its
 * problems and the running state kept.
 */
export class StaticConfigSource {
  readonly #options: StaticConfigSourceOptions;
  #version = '';
  #watcher: FSWatcher | undefined;
  #pending: NodeJS.Timeout | undefined;
  readonly #onHangup = (): void => this.#reload();

  constructor(options: StaticConfigSourceOptions) {
    this.#options = options;
  }

  /**
   * Applies the file (or `initial`, the file as already read); a bad file at start is an
   * error, as there is nothing to keep. Then follows the file.
   */
  async start(initial?: MeshSnapshot): Promise<void> {
    // Listening first: a SIGHUP during the first apply must reload, not end the process.
    process.on('SIGHUP', this.#onHangup);
    const snapshot = initial ?? loadStaticConfig(this.#options.path);
    await this.#options.apply(snapshot);
    this.#version = snapshot.version;
    this.#options.log.info('mesh state applied', { version: snapshot.version, from: this.#options.path });
    this.#watcher = watch(this.#options.path, () => this.#reload());
  }

  stop(): void {
    clearTimeout(this.#pending);
    this.#watcher?.close();
    process.off('SIGHUP', this.#onHangup);
  }

  #reload(): void {
    clearTimeout(this.#pending);
    // Editors write a file in several steps: wait for the last.
    this.#pending = setTimeout(() => {
      const { log } = this.#options;
      let next: MeshSnapshot;
      try {
        next = loadStaticConfig(this.#options.path);
      } catch (error) {
        log.error('static config refused; keeping the previous state', { error });
        return;
      }
      if (next.version === this.#version) return;
      Promise.resolve()
        .then(() => this.#options.apply(next))
        .then(
          () => {
            this.#version = next.version;
            log.info('mesh state applied', { version: next.version, from: this.#options.path });
          },
          (error: unknown) => log.error('mesh state refused; keeping the previous one', { error }),
        );
    }, 200);
  }
}
