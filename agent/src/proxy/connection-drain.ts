/**
 * The proxied connections an agent holds, for the end of its life: when it drains (a
 * successor took the node over, or it stops), each HTTP/1 connection is closed at its next
 * rest between exchanges — a keep-alive client then opens its next connection to the
 * successor — and the rest run until they end or the drain deadline.
 */
export class ConnectionDrain {
  readonly #closers = new Set<() => void>();
  #draining = false;

  get draining(): boolean {
    return this.#draining;
  }

  /** Registers a connection's "close when you can"; returns its unregistration. */
  register(closeWhenAtRest: () => void): () => void {
    if (this.#draining) {
      closeWhenAtRest();
      return () => undefined;
    }
    this.#closers.add(closeWhenAtRest);
    return () => this.#closers.delete(closeWhenAtRest);
  }

  drain(): void {
    if (this.#draining) return;
    this.#draining = true;
    for (const close of this.#closers) close();
    this.#closers.clear();
  }
}
