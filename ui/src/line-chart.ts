import { chartScale, linePath, type ChartPoint } from './chart-geometry.js';
import { theme } from './health-palette.js';

export interface LineSeries {
  name: string;
  colour: string;
  points: readonly ChartPoint[];
}

export interface LineChartOptions {
  title: string;
  format: (value: number) => string;
  /** Fixed value range (a success rate is 0–1 whatever the data). */
  min?: number;
  max?: number;
}

const svgNs = 'http://www.w3.org/2000/svg';
const box = { width: 560, height: 180 };
const margin = { left: 96, right: 16, top: 12, bottom: 30 };

/**
 * A small SVG line chart: one figure with a caption, one path per series, the top and
 * bottom of the value axis and the time range. The SVG is an image to assistive
 * technology, described by its latest values; the same figures are in the tables.
 */
export class LineChart {
  readonly element: HTMLElement;
  readonly #options: LineChartOptions;
  readonly #svg: SVGSVGElement;
  readonly #plot: SVGGElement;
  readonly #legend: HTMLElement;

  constructor(options: LineChartOptions) {
    this.#options = options;
    this.element = document.createElement('figure');
    this.element.className = 'line-chart';
    const caption = document.createElement('figcaption');
    caption.textContent = options.title;
    this.#legend = document.createElement('span');
    this.#legend.className = 'legend';
    caption.append(' ', this.#legend);
    this.#svg = svg('svg', { viewBox: `0 0 ${box.width + margin.left + margin.right} ${box.height + margin.top + margin.bottom}`, role: 'img' });
    this.#plot = svg('g', { transform: `translate(${margin.left} ${margin.top})` });
    this.#svg.append(this.#plot);
    this.element.append(caption, this.#svg);
  }

  /** Redraws with `series`; `range` overrides the value range of the options for this drawing. */
  update(series: readonly LineSeries[], range: { min?: number; max?: number } = {}): void {
    const fixed: { min?: number; max?: number } = {};
    const min = range.min ?? this.#options.min;
    const max = range.max ?? this.#options.max;
    if (min !== undefined) fixed.min = min;
    if (max !== undefined) fixed.max = max;
    const scale = chartScale(series.map((s) => s.points), fixed);
    const format = this.#options.format;
    const children: SVGElement[] = [
      svg('line', { x1: 0, y1: box.height, x2: box.width, y2: box.height, stroke: theme.border }),
      svg('line', { x1: 0, y1: 0, x2: box.width, y2: 0, stroke: theme.border, 'stroke-dasharray': '3 4' }),
      text(format(scale.max), -8, 6, 'end'),
      text(format(scale.min), -8, box.height + 6, 'end'),
      text(clock(scale.from), 0, box.height + 24, 'start'),
      text(clock(scale.to), box.width, box.height + 24, 'end'),
      ...series.map((s) => svg('path', { d: linePath(s.points, scale, box), fill: 'none', stroke: s.colour, 'stroke-width': 2, 'stroke-linejoin': 'round' })),
    ];
    this.#plot.replaceChildren(...children);
    this.#legend.replaceChildren(
      ...series.map((s) => {
        const item = document.createElement('span');
        item.className = 'legend-item';
        item.style.setProperty('--series-colour', s.colour);
        item.textContent = `${s.name} ${latest(s.points, format)}`;
        return item;
      }),
    );
    const summary = series.map((s) => `${s.name} ${latest(s.points, format)}`).join(', ');
    this.#svg.setAttribute('aria-label', `${this.#options.title}, from ${clock(scale.from)} to ${clock(scale.to)}; latest: ${summary}`);
  }
}

function latest(points: readonly ChartPoint[], format: (value: number) => string): string {
  for (let i = points.length - 1; i >= 0; i--) {
    const value = points[i]?.value;
    if (value !== null && value !== undefined) return format(value);
  }
  return '–';
}

function clock(at: number): string {
  return new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

function text(content: string, x: number, y: number, anchor: 'start' | 'end'): SVGTextElement {
  const element = svg('text', { x, y, 'text-anchor': anchor, fill: theme.mutedText, 'font-size': 17 });
  element.textContent = content;
  return element;
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>): SVGElementTagNameMap[K] {
  const element = document.createElementNS(svgNs, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  return element;
}
