import type { GraphNode, WorkloadDetail } from '@weft/api';
import type { ApiClient } from './api-client.js';
import { EdgeTable } from './edge-table.js';
import { formatLatency, formatPercent, formatRate } from './format.js';
import { seriesColours } from './health-palette.js';
import { LineChart } from './line-chart.js';
import { windowChoices } from './view-filter.js';

export interface WorkloadPageOptions {
  element: HTMLElement;
  api: ApiClient;
  onOpen: (nodeId: string) => void;
  /** The page's title changed (the workload's name, or why it is missing). */
  onTitle: (title: string) => void;
}

interface Shown {
  namespace: string;
  name: string;
  windowSeconds: number;
}

/**
 * A workload's golden metrics over the window (success rate, requests per second, p50/p95/
 * p99 latency of its inbound traffic) and its inbound and outbound edges. Fetched when
 * opened and again on each live update while it is shown, one request at a time.
 */
export class WorkloadPage {
  readonly #options: WorkloadPageOptions;
  readonly #heading: HTMLHeadingElement;
  readonly #facts: HTMLElement;
  readonly #message: HTMLElement;
  readonly #content: HTMLElement;
  readonly #success = new LineChart({ title: 'Success rate', format: (v) => formatPercent(v), min: 0, max: 1 });
  readonly #rate = new LineChart({ title: 'Requests per second', format: (v) => formatRate(v) });
  readonly #latency = new LineChart({ title: 'Latency', format: (v) => formatLatency(v) });
  readonly #inbound: EdgeTable;
  readonly #outbound: EdgeTable;
  #shown: Shown | null = null;
  #loading: AbortController | null = null;
  #again = false;

  constructor(options: WorkloadPageOptions) {
    this.#options = options;
    this.#heading = document.createElement('h2');
    this.#heading.tabIndex = -1;
    this.#facts = document.createElement('p');
    this.#facts.className = 'workload-facts';
    this.#message = document.createElement('p');
    this.#message.className = 'notice';
    this.#message.setAttribute('role', 'status');
    this.#inbound = new EdgeTable({ caption: 'Inbound edges', onOpen: (id) => options.onOpen(id) });
    this.#outbound = new EdgeTable({ caption: 'Outbound edges', onOpen: (id) => options.onOpen(id) });
    const charts = document.createElement('div');
    charts.className = 'charts';
    charts.append(this.#success.element, this.#rate.element, this.#latency.element);
    this.#content = document.createElement('div');
    this.#content.append(charts, this.#inbound.element, this.#outbound.element);
    options.element.replaceChildren(this.#heading, this.#facts, this.#message, this.#content);
  }

  /** Opens a workload; the heading takes focus so keyboard and screen reader users land on it. */
  open(namespace: string, name: string, windowSeconds: number): void {
    const same = this.#shown?.namespace === namespace && this.#shown.name === name;
    this.#shown = { namespace, name, windowSeconds };
    if (!same) {
      this.#heading.textContent = `${namespace}/${name}`;
      this.#facts.textContent = '';
      this.#message.textContent = 'Loading…';
      this.#content.hidden = true;
      this.#options.onTitle(`${namespace}/${name}`);
      this.#heading.focus({ preventScroll: true });
    }
    this.#loading?.abort();
    this.#loading = null;
    this.refresh();
  }

  close(): void {
    this.#shown = null;
    this.#loading?.abort();
    this.#loading = null;
  }

  /** Fetches again (a live update arrived); a fetch already running is followed by one more. */
  refresh(): void {
    const shown = this.#shown;
    if (!shown) return;
    if (this.#loading) {
      this.#again = true;
      return;
    }
    const controller = new AbortController();
    this.#loading = controller;
    this.#options.api
      .workload(shown, shown.windowSeconds, controller.signal)
      .then((detail) => {
        if (controller.signal.aborted) return;
        if (detail) this.#render(detail);
        else this.#missing(shown);
      })
      .catch((error: unknown) => {
        if (!controller.signal.aborted) this.#message.textContent = error instanceof Error ? error.message : String(error);
      })
      .finally(() => {
        if (this.#loading !== controller) return;
        this.#loading = null;
        if (this.#again) {
          this.#again = false;
          this.refresh();
        }
      });
  }

  #render(detail: WorkloadDetail): void {
    this.#message.textContent = '';
    this.#content.hidden = false;
    this.#facts.replaceChildren(...facts(detail.workload, detail.stepSeconds));
    const series = detail.series;
    this.#success.update([{ name: 'success', colour: seriesColours.success, points: series.map((s) => ({ at: s.at, value: s.successRate })) }], {
      min: successFloor(series.map((s) => s.successRate)),
    });
    this.#rate.update([{ name: 'req/s', colour: seriesColours.rate, points: series.map((s) => ({ at: s.at, value: s.requestsPerSecond })) }]);
    this.#latency.update(
      (['p50', 'p95', 'p99'] as const).map((p) => ({ name: p, colour: seriesColours[p], points: series.map((s) => ({ at: s.at, value: s.latency?.[p] ?? null })) })),
    );
    this.#inbound.update(detail.inbound);
    this.#outbound.update(detail.outbound);
  }

  #missing(shown: Shown): void {
    const window = windowChoices.find((choice) => choice.seconds === shown.windowSeconds)?.label ?? `${shown.windowSeconds} s`;
    this.#content.hidden = true;
    this.#message.textContent = `No traffic of ${shown.namespace}/${shown.name} in the last ${window}: the control plane does not know this workload.`;
  }
}

/** 90 % or the next tenth below the worst step: on a 0–100 % axis, 99.9 % and 95 % look the same. */
function successFloor(rates: readonly (number | null)[]): number {
  const lowest = Math.min(0.9, ...rates.filter((rate) => rate !== null));
  return Math.max(0, Math.floor(lowest * 10) / 10);
}

function facts(workload: GraphNode, stepSeconds: number): HTMLElement[] {
  const health = document.createElement('span');
  health.className = `health-badge health-${workload.health}`;
  health.textContent = workload.health;
  const identities = document.createElement('span');
  identities.textContent = workload.identities.length > 0 ? ` · runs as ${workload.identities.join(', ')}` : ' · no mesh identity';
  const step = document.createElement('span');
  step.textContent = ` · one point per ${stepSeconds} s`;
  const label = document.createElement('span');
  label.textContent = 'Inbound health: ';
  return [label, health, identities, step];
}
