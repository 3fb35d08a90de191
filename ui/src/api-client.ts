import type { TrafficGraph, WorkloadDetail } from '@weft/api';
import { graphUrl, workloadUrl } from './api-urls.js';
import { readTrafficGraph, readWorkloadDetail } from './contract-reader.js';
import { UiError } from './ui-error.js';
import type { ViewFilter } from './view-filter.js';

/** The REST half of the contract. */
export class ApiClient {
  readonly #page: string;

  /** `page`: the page's own address; the API is resolved relative to it. */
  constructor(page: string) {
    this.#page = page;
  }

  async graph(filter: ViewFilter, signal?: AbortSignal): Promise<TrafficGraph> {
    return readTrafficGraph(await this.#get(graphUrl(this.#page, filter), signal));
  }

  /** null when the control plane knows no such workload in the window (404). */
  async workload(workload: { namespace: string; name: string }, windowSeconds: number, signal?: AbortSignal): Promise<WorkloadDetail | null> {
    const body = await this.#get(workloadUrl(this.#page, workload, windowSeconds), signal, { allowNotFound: true });
    return body === notFound ? null : readWorkloadDetail(body);
  }

  async #get(url: URL, signal: AbortSignal | undefined, options: { allowNotFound?: boolean } = {}): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(url, { headers: { accept: 'application/json' }, ...(signal ? { signal } : {}) });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new UiError('WEFT_UI_UNREACHABLE', `the control plane did not answer ${url.pathname}; is it running (and the port-forward up)?`, { cause: error });
    }
    if (response.status === 404 && options.allowNotFound) return notFound;
    if (!response.ok) {
      // The contract answers 400 "with a reason": show it.
      const reason = (await response.text().catch(() => '')).trim().slice(0, 300);
      throw new UiError('WEFT_UI_REQUEST_FAILED', `${url.pathname} answered ${response.status}${reason ? `: ${reason}` : ''}`);
    }
    try {
      return (await response.json()) as unknown;
    } catch (error) {
      throw new UiError('WEFT_UI_BAD_PAYLOAD', `${url.pathname} did not answer JSON`, { cause: error });
    }
  }
}

const notFound = Symbol('not found');
