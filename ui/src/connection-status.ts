import type { LiveStatus } from './live-connection.js';

/** The live connection's state in the header, in words (a role="status" region). */
export class ConnectionStatus {
  readonly #element: HTMLElement;

  constructor(element: HTMLElement) {
    this.#element = element;
  }

  show(status: LiveStatus): void {
    const [text, state] = describe(status);
    if (this.#element.textContent !== text) this.#element.textContent = text;
    this.#element.dataset.state = state;
  }
}

function describe(status: LiveStatus): [string, string] {
  switch (status.state) {
    case 'connecting':
      return ['connecting…', 'connecting'];
    case 'live':
      return ['live', 'live'];
    case 'reconnecting':
      return [`reconnecting… (attempt ${status.attempt}, next in ${Math.ceil(status.retryInMs / 1000)} s)`, 'reconnecting'];
    case 'error':
      return [`error: ${status.message}`, 'error'];
    case 'stopped':
      return ['not live', 'stopped'];
  }
}
