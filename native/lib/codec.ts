import { WeftError } from '@weft/api';
import type { StructLayout } from './addon.js';

/** Encodes one C struct (or scalar) to and from the bytes a BPF map stores. */
export interface Codec<T> {
  /** The C type name, e.g. "struct weft_pod" or "__u64". */
  readonly name: string;
  readonly size: number;
  /** Byte offset of each member, for structs: compared with the object's BTF. */
  readonly offsets?: Readonly<Record<string, number>>;
  encode(value: T): Buffer;
  decode(bytes: Buffer): T;
}

export const u32Codec: Codec<number> = {
  name: '__u32',
  size: 4,
  encode: (value) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(value);
    return b;
  },
  decode: (bytes) => bytes.readUInt32LE(0),
};

export const u64Codec: Codec<bigint> = {
  name: '__u64',
  size: 8,
  encode: (value) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(value);
    return b;
  },
  decode: (bytes) => bytes.readBigUInt64LE(0),
};

/**
 * Compares a codec with the struct the compiler laid out (from BTF). Throws a
 * WEFT_NATIVE_LAYOUT_MISMATCH naming the first difference: C and TypeScript disagree,
 * and every map access would be silently wrong.
 */
export function checkLayout(codec: Codec<unknown>, layout: StructLayout | null): void {
  const mismatch = (what: string): never => {
    throw new WeftError('WEFT_NATIVE_LAYOUT_MISMATCH', `${codec.name}: ${what}`, {
      hint: 'bpf/include/weft_types.h and its TypeScript codec changed apart; update both',
    });
  };
  if (!layout) return mismatch('not found in the object BTF');
  if (layout.size !== codec.size) mismatch(`size is ${layout.size} in C but ${codec.size} in TypeScript`);
  const offsets = codec.offsets ?? {};
  for (const member of layout.members) {
    const mine = offsets[member.name];
    if (mine === undefined) mismatch(`member ${member.name} is missing in TypeScript`);
    if (mine !== member.offset) mismatch(`member ${member.name} is at ${member.offset} in C but ${mine} in TypeScript`);
  }
  const cNames = new Set(layout.members.map((m) => m.name));
  for (const name of Object.keys(offsets)) if (!cNames.has(name)) mismatch(`member ${name} does not exist in C`);
}
