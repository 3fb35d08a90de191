import { join } from 'node:path';
import { WeftError } from '@weft/api';
import type { RawBpfObject, StructLayout } from './addon.js';
import { addon } from './addon.js';
import { BpfMap } from './bpf-map.js';
import { BpfProgram } from './bpf-program.js';
import { native } from './native-error.js';

/** A BPF object file, opened and loaded into the kernel. */
export class BpfObject {
  readonly path: string;
  readonly #raw: RawBpfObject;
  readonly #programs = new Map<string, BpfProgram>();
  readonly #maps = new Map<string, BpfMap>();

  private constructor(path: string, raw: RawBpfObject) {
    this.path = path;
    this.#raw = raw;
    for (const p of raw.programs()) this.#programs.set(p.name, new BpfProgram(p));
    for (const m of raw.maps()) this.#maps.set(m.name, new BpfMap(m));
  }

  /**
   * Opens and loads the object; a kernel refusal carries the verifier log in `detail`.
   * With `pinMapsIn`, each map is pinned at `<pinMapsIn>/<map name>`, and a map already
   * pinned there (by an earlier load, another process) is reused with its contents
   * instead of created: a reused map whose type, sizes or flags differ fails the load
   * with WEFT_NATIVE_PINNED_MAP_MISMATCH.
   */
  static load(path: string, options: { pinMapsIn?: string } = {}): BpfObject {
    const raw = native(() => new addon.BpfObject(path));
    try {
      const { pinMapsIn } = options;
      if (pinMapsIn !== undefined) for (const m of raw.maps()) native(() => raw.setMapPinPath(m.name, join(pinMapsIn, m.name)));
      native(() => raw.load());
    } catch (error) {
      raw.close();
      throw error;
    }
    const object = new BpfObject(path, raw);
    if (options.pinMapsIn !== undefined) for (const map of object.#maps.values()) map.markPinned(join(options.pinMapsIn, map.name));
    return object;
  }

  /**
   * Reads struct layouts from an object's BTF without loading it into the kernel (no
   * privileges needed): for checking codecs in unit tests and tools.
   */
  static readStructLayouts(path: string, names: string[]): Record<string, StructLayout | null> {
    const raw = native(() => new addon.BpfObject(path));
    try {
      return Object.fromEntries(names.map((name) => [name, raw.btfStruct(name)]));
    } finally {
      raw.close();
    }
  }

  /** The program whose C function has this name. */
  program(name: string): BpfProgram {
    const p = this.#programs.get(name);
    if (!p) throw missing('program', name, this.path, [...this.#programs.keys()]);
    return p;
  }

  map(name: string): BpfMap {
    const m = this.#maps.get(name);
    if (!m) throw missing('map', name, this.path, [...this.#maps.keys()]);
    return m;
  }

  programNames(): string[] {
    return [...this.#programs.keys()];
  }

  /** The layout of a struct from the object's BTF, or null when it has none by that name. */
  structLayout(name: string): StructLayout | null {
    return this.#raw.btfStruct(name);
  }

  /** Closes program and map fds; links and pins keep what they reference alive. */
  close(): void {
    this.#raw.close();
  }
}

function missing(kind: string, name: string, path: string, have: string[]): WeftError {
  return new WeftError('WEFT_NATIVE_MISSING_SYMBOL', `${path} has no ${kind} named ${name} (it has: ${have.join(', ') || 'none'})`, {
    hint: "the object file and the agent come from different builds: run 'make build'",
  });
}
