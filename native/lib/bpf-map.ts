import { rmSync } from 'node:fs';
import { WeftError } from '@weft/api';
import type { RawMap } from './addon.js';
import { addon } from './addon.js';
import type { Codec } from './codec.js';
import { NativeError, native } from './native-error.js';

/** Flags of a map update, as in the kernel (BPF_ANY, BPF_NOEXIST, BPF_EXIST). */
export const UpdateFlag = { any: 0, noExist: 1, exist: 2 } as const;
export type UpdateFlag = (typeof UpdateFlag)[keyof typeof UpdateFlag];

/** A map of a loaded object, with raw byte keys and values. */
export class BpfMap {
  readonly name: string;
  readonly type: string;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly #fd: number;
  #pinnedAt: string | undefined;

  constructor(raw: RawMap) {
    this.name = raw.name;
    this.type = raw.type;
    this.keySize = raw.keySize;
    this.valueSize = raw.valueSize;
    this.maxEntries = raw.maxEntries;
    this.#fd = raw.fd;
  }

  get pinnedAt(): string | undefined {
    return this.#pinnedAt;
  }

  pin(path: string): void {
    native(() => addon.objPin(this.#fd, path));
    this.#pinnedAt = path;
  }

  /** Records a pin libbpf made or reused at load (BpfObject.load's pinMapsIn). */
  markPinned(path: string): void {
    this.#pinnedAt = path;
  }

  unpin(): void {
    if (this.#pinnedAt === undefined) return;
    rmSync(this.#pinnedAt, { force: true });
    this.#pinnedAt = undefined;
  }

  /** A view with typed keys and values; the codecs must match the map's sizes. */
  typed<K, V>(key: Codec<K>, value: Codec<V>): TypedMap<K, V> {
    return new TypedMap(this, this.#fd, key, value);
  }

  /** A SOCKMAP/SOCKHASH view: values are sockets, given by fd. */
  sockets<K>(key: Codec<K>): SocketMap<K> {
    if (this.type !== 'sockmap' && this.type !== 'sockhash') {
      throw new WeftError('WEFT_NATIVE_MAP_TYPE', `map ${this.name} is a ${this.type}, not a sockmap or sockhash`);
    }
    return new SocketMap(this, this.#fd, key);
  }
}

function checkSize(map: BpfMap, what: 'key' | 'value', codec: Codec<unknown>): void {
  const expected = what === 'key' ? map.keySize : map.valueSize;
  if (codec.size !== expected) {
    throw new WeftError('WEFT_NATIVE_LAYOUT_MISMATCH', `map ${map.name}: ${what} is ${expected} bytes but codec ${codec.name} has ${codec.size}`, {
      hint: 'bpf/include/weft_types.h and its TypeScript codec changed apart; update both',
    });
  }
}

export class TypedMap<K, V> {
  readonly map: BpfMap;
  readonly #fd: number;
  readonly #key: Codec<K>;
  readonly #value: Codec<V>;

  constructor(map: BpfMap, fd: number, key: Codec<K>, value: Codec<V>) {
    checkSize(map, 'key', key);
    checkSize(map, 'value', value);
    this.map = map;
    this.#fd = fd;
    this.#key = key;
    this.#value = value;
  }

  set(key: K, value: V, flag: UpdateFlag = UpdateFlag.any): void {
    native(() => addon.mapUpdate(this.#fd, this.#key.encode(key), this.#value.encode(value), flag));
  }

  get(key: K): V | undefined {
    const bytes = native(() => addon.mapLookup(this.#fd, this.#key.encode(key), this.#value.size));
    return bytes ? this.#value.decode(bytes) : undefined;
  }

  /** Reads and removes in one step (hash maps, Linux >= 5.14). */
  take(key: K): V | undefined {
    const bytes = native(() => addon.mapLookupAndDelete(this.#fd, this.#key.encode(key), this.#value.size));
    return bytes ? this.#value.decode(bytes) : undefined;
  }

  /** True when an entry was removed. */
  delete(key: K): boolean {
    return native(() => addon.mapDelete(this.#fd, this.#key.encode(key)));
  }

  *keys(): Generator<K> {
    let cursor: Buffer | null = null;
    for (;;) {
      const previous: Buffer | null = cursor;
      cursor = native(() => addon.mapNextKey(this.#fd, previous, this.#key.size));
      if (!cursor) return;
      yield this.#key.decode(cursor);
    }
  }

  *entries(): Generator<[K, V]> {
    for (const key of this.keys()) {
      const value = this.get(key);
      if (value !== undefined) yield [key, value];
    }
  }

  /** Number of entries (walks the map: for tests, metrics and debugging, not hot paths). */
  count(): number {
    let n = 0;
    for (const _ of this.keys()) n++;
    return n;
  }
}

export class SocketMap<K> {
  readonly map: BpfMap;
  readonly #fd: number;
  readonly #key: Codec<K>;

  constructor(map: BpfMap, fd: number, key: Codec<K>) {
    checkSize(map, 'key', key);
    this.map = map;
    this.#fd = fd;
    this.#key = key;
  }

  /** Puts the socket with this fd at key; the map holds its own reference to the socket. */
  set(key: K, socketFd: number): void {
    const value = Buffer.alloc(this.map.valueSize);
    if (this.map.valueSize === 8) value.writeBigUInt64LE(BigInt(socketFd));
    else value.writeUInt32LE(socketFd);
    native(() => addon.mapUpdate(this.#fd, this.#key.encode(key), value, UpdateFlag.any));
  }

  has(key: K): boolean {
    return native(() => addon.mapLookup(this.#fd, this.#key.encode(key), this.map.valueSize)) !== null;
  }

  /** True when a socket was removed. The kernel answers EINVAL for an empty slot. */
  delete(key: K): boolean {
    try {
      return native(() => addon.mapDelete(this.#fd, this.#key.encode(key)));
    } catch (error) {
      if (error instanceof NativeError && error.errnoName === 'EINVAL') return false;
      throw error;
    }
  }
}
