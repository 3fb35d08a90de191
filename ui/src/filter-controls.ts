import { windowChoices, type ViewFilter } from './view-filter.js';

export interface FilterControlsOptions {
  namespace: HTMLSelectElement;
  window: HTMLSelectElement;
  initial: ViewFilter;
  onChange: (filter: ViewFilter) => void;
}

/** The namespace and window choices in the header (labelled <select>s in index.html). */
export class FilterControls {
  readonly #namespace: HTMLSelectElement;
  readonly #window: HTMLSelectElement;
  #known: readonly string[] = [];

  constructor(options: FilterControlsOptions) {
    this.#namespace = options.namespace;
    this.#window = options.window;
    this.#window.replaceChildren(...windowChoices.map((choice) => new Option(choice.label, String(choice.seconds))));
    this.#window.value = String(options.initial.windowSeconds);
    this.setNamespaces([], options.initial.namespace);
    const changed = (): void => options.onChange(this.value);
    this.#namespace.addEventListener('change', changed);
    this.#window.addEventListener('change', changed);
  }

  get value(): ViewFilter {
    return { windowSeconds: Number(this.#window.value), namespace: this.#namespace.value === '' ? null : this.#namespace.value };
  }

  /** The graph's namespaces; the chosen one stays offered even when it has no traffic now. */
  setNamespaces(namespaces: readonly string[], selected = this.value.namespace): void {
    const offered = selected !== null && !namespaces.includes(selected) ? [...namespaces, selected].sort() : namespaces;
    if (sameList(offered, this.#known)) return;
    this.#known = offered;
    this.#namespace.replaceChildren(new Option('All namespaces', ''), ...offered.map((ns) => new Option(ns, ns)));
    this.#namespace.value = selected ?? '';
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}
