import { WeftError } from '@weft/api';
import { huffmanDecode } from './hpack-huffman.js';

/**
 * A decoded header: name and value as latin1 strings, one character per octet, so that
 * lengths (and with them dynamic table sizes) are octet counts as RFC 7541 defines them.
 */
export type HeaderField = readonly [name: string, value: string];

export interface HpackDecoderOptions {
  /**
   * The SETTINGS_HEADER_TABLE_SIZE the decoding side advertised: the most the encoder may
   * grow the dynamic table to. Default 4096 (RFC 9113 §6.5.2).
   */
  maxTableSize?: number;
}

/** RFC 7541 §4.1: each entry costs its octets plus 32 for the encoder's bookkeeping. */
const ENTRY_OVERHEAD = 32;
const DEFAULT_TABLE_SIZE = 4096;
/** An integer longer than this many continuation bits can only be an attack or garbage. */
const MAX_INTEGER_SHIFT = 28;

/** RFC 7541 Appendix A; index 1 is the first entry. */
const STATIC_TABLE: readonly HeaderField[] = [
  [':authority', ''], [':method', 'GET'], [':method', 'POST'], [':path', '/'], [':path', '/index.html'],
  [':scheme', 'http'], [':scheme', 'https'], [':status', '200'], [':status', '204'], [':status', '206'],
  [':status', '304'], [':status', '400'], [':status', '404'], [':status', '500'], ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'], ['accept-language', ''], ['accept-ranges', ''], ['accept', ''],
  ['access-control-allow-origin', ''], ['age', ''], ['allow', ''], ['authorization', ''], ['cache-control', ''],
  ['content-disposition', ''], ['content-encoding', ''], ['content-language', ''], ['content-length', ''],
  ['content-location', ''], ['content-range', ''], ['content-type', ''], ['cookie', ''], ['date', ''], ['etag', ''],
  ['expect', ''], ['expires', ''], ['from', ''], ['host', ''], ['if-match', ''], ['if-modified-since', ''],
  ['if-none-match', ''], ['if-range', ''], ['if-unmodified-since', ''], ['last-modified', ''], ['link', ''],
  ['location', ''], ['max-forwards', ''], ['proxy-authenticate', ''], ['proxy-authorization', ''], ['range', ''],
  ['referer', ''], ['refresh', ''], ['retry-after', ''], ['server', ''], ['set-cookie', ''],
  ['strict-transport-security', ''], ['transfer-encoding', ''], ['user-agent', ''], ['vary', ''], ['via', ''],
  ['www-authenticate', ''],
];

/**
 * Decodes HPACK header blocks (RFC 7541) for one direction of one HTTP/2 connection. The
 * dynamic table is connection state: every block must be decoded, in order, even those
 * whose headers nobody wants, or later blocks decode wrongly.
 */
export class HpackDecoder {
  /** Oldest first, so insertion is a push and eviction a shift. */
  readonly #entries: HeaderField[] = [];
  #size = 0;
  #maxSize: number;
  #limit: number;

  constructor(options: HpackDecoderOptions = {}) {
    this.#limit = options.maxTableSize ?? DEFAULT_TABLE_SIZE;
    this.#maxSize = this.#limit;
  }

  /** The dynamic table's size in RFC 7541 terms (octets plus 32 per entry). */
  get tableSize(): number {
    return this.#size;
  }

  /** The dynamic table's current maximum, as last set by the encoder. */
  get maxTableSize(): number {
    return this.#maxSize;
  }

  /** The dynamic table, newest first (the order of HPACK indices 62, 63, ...). */
  get dynamicTable(): HeaderField[] {
    return this.#entries.slice().reverse();
  }

  /** A new SETTINGS_HEADER_TABLE_SIZE from the decoding side: the bound for size updates. */
  setTableSizeLimit(limit: number): void {
    this.#limit = limit;
  }

  /** Decodes one complete header block (all of HEADERS and its CONTINUATIONs). */
  decode(block: Uint8Array, start = 0, end = block.length): HeaderField[] {
    const fields: HeaderField[] = [];
    const cursor = { block, position: start, end };
    while (cursor.position < end) {
      const first = block[cursor.position] ?? 0;
      if (first & 0x80) {
        fields.push(this.#field(readInteger(cursor, 7)));
      } else if (first & 0x40) {
        const field = this.#literal(cursor, 6);
        this.#insert(field);
        fields.push(field);
      } else if (first & 0x20) {
        // RFC 7541 §4.2: updates come only at the start of a block.
        if (fields.length > 0) throw hpackError('a dynamic table size update follows a header field');
        const size = readInteger(cursor, 5);
        if (size > this.#limit) throw hpackError(`a dynamic table size update to ${size} exceeds the limit ${this.#limit}`);
        this.#maxSize = size;
        this.#evictTo(size);
      } else {
        // Without indexing (0000) or never indexed (0001): neither touches the table.
        fields.push(this.#literal(cursor, 4));
      }
    }
    return fields;
  }

  #literal(cursor: Cursor, prefixBits: number): HeaderField {
    const index = readInteger(cursor, prefixBits);
    const name = index === 0 ? readString(cursor) : this.#field(index)[0];
    return [name, readString(cursor)];
  }

  #field(index: number): HeaderField {
    if (index === 0) throw hpackError('index 0 is not a header field');
    const fromStatic = STATIC_TABLE[index - 1];
    if (fromStatic) return fromStatic;
    const fromDynamic = this.#entries[this.#entries.length - 1 - (index - 1 - STATIC_TABLE.length)];
    if (!fromDynamic) throw hpackError(`index ${index} is past the end of the dynamic table`);
    return fromDynamic;
  }

  #insert(field: HeaderField): void {
    const size = entrySize(field);
    // RFC 7541 §4.4: an entry larger than the table empties it and is not added.
    this.#evictTo(this.#maxSize - size);
    if (size > this.#maxSize) return;
    this.#entries.push(field);
    this.#size += size;
  }

  #evictTo(size: number): void {
    while (this.#size > size) {
      const oldest = this.#entries.shift();
      if (!oldest) break;
      this.#size -= entrySize(oldest);
    }
  }
}

interface Cursor {
  readonly block: Uint8Array;
  position: number;
  readonly end: number;
}

function entrySize([name, value]: HeaderField): number {
  return name.length + value.length + ENTRY_OVERHEAD;
}

/** RFC 7541 §5.1: an integer in the low `prefixBits` of the current byte, then 7 bits a byte. */
function readInteger(cursor: Cursor, prefixBits: number): number {
  const { block, end } = cursor;
  const mask = (1 << prefixBits) - 1;
  let value = (block[cursor.position++] ?? 0) & mask;
  if (value < mask) return value;
  for (let shift = 0; shift <= MAX_INTEGER_SHIFT; shift += 7) {
    if (cursor.position >= end) throw hpackError('an integer runs past the end of the block');
    const byte = block[cursor.position++] ?? 0;
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return value;
  }
  throw hpackError('an integer is too large');
}

/** RFC 7541 §5.2: a Huffman flag, a 7-bit-prefix length, then the octets. */
function readString(cursor: Cursor): string {
  if (cursor.position >= cursor.end) throw hpackError('a string literal is missing');
  const huffman = ((cursor.block[cursor.position] ?? 0) & 0x80) !== 0;
  const length = readInteger(cursor, 7);
  const start = cursor.position;
  const stop = start + length;
  if (stop > cursor.end) throw hpackError('a string literal runs past the end of the block');
  cursor.position = stop;
  if (huffman) return huffmanDecode(cursor.block, start, stop);
  return Buffer.from(cursor.block.buffer, cursor.block.byteOffset + start, length).toString('latin1');
}

function hpackError(reason: string): WeftError {
  return new WeftError('WEFT_PROXY_HPACK', `an HPACK header block is invalid: ${reason}`, {
    hint: 'the peer sent a malformed or out-of-sync HTTP/2 header block',
  });
}
