import { WeftError } from '@weft/api';

/**
 * Code lengths of the HPACK Huffman code, symbols 0-255 then EOS (256), from RFC 7541
 * Appendix B. The code is canonical (codes of one length are consecutive, in symbol order,
 * and each length continues from the last), so the lengths alone determine every code;
 * the tests pin a sample of the Appendix B codes to prove it.
 */
const CODE_LENGTHS = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
  28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
  5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
  7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
  6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
  24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
  21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
  19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
  26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
  30,
] as const;

const EOS = 256;
const SYMBOLS = CODE_LENGTHS.length;
/** A complete binary tree with 257 leaves has 256 inner nodes; they are the decoder's states. */
const STATES = SYMBOLS - 1;
/** Padding is a prefix of EOS (all ones) shorter than a byte (RFC 7541 §5.2). */
const MAX_PADDING_BITS = 7;

interface HuffmanCode {
  /** The code's bits, most significant first. */
  code: number;
  bits: number;
}

const codes: HuffmanCode[] = assignCanonicalCodes();

/** The RFC 7541 Appendix B code of `symbol` (0-255, or 256 for EOS). */
export function huffmanCode(symbol: number): HuffmanCode {
  const code = codes[symbol];
  if (code === undefined) throw new RangeError(`no Huffman code for symbol ${symbol}`);
  return { ...code };
}

function assignCanonicalCodes(): HuffmanCode[] {
  const order = Array.from(CODE_LENGTHS, (bits, symbol) => ({ bits, symbol }));
  order.sort((a, b) => a.bits - b.bits || a.symbol - b.symbol);
  const assigned = new Array<HuffmanCode>(SYMBOLS);
  let code = 0;
  let previousBits = order[0]?.bits ?? 0;
  for (const { bits, symbol } of order) {
    code <<= bits - previousBits;
    previousBits = bits;
    assigned[symbol] = { code, bits };
    code++;
  }
  return assigned;
}

/*
 * Decoding walks the code tree four bits at a time. Each entry of NIBBLES, for a state (an
 * inner node) and a nibble, packs the next state, the symbol completed on the way (a nibble
 * completes at most one: the shortest code is 5 bits) and whether EOS was hit.
 */
const NEXT_MASK = 0xff;
const SYMBOL_SHIFT = 8;
const SYMBOL_MASK = 0x1ff;
const FAILED = 1 << 18;
const { nibbles: NIBBLES, accepting: ACCEPTING } = buildDecodeTables();

function buildDecodeTables(): { nibbles: Int32Array; accepting: Uint8Array } {
  // children[2 * node + bit]: > 0 an inner node, < 0 the leaf ~symbol, 0 not yet built (the root is no one's child).
  const children = new Int32Array(STATES * 2);
  const depth = new Uint8Array(STATES);
  const allOnes = new Uint8Array(STATES);
  allOnes[0] = 1;
  let nodes = 1;
  codes.forEach(({ code, bits }, symbol) => {
    let node = 0;
    for (let bit = bits - 1; bit >= 0; bit--) {
      const value = (code >>> bit) & 1;
      const slot = 2 * node + value;
      if (bit === 0) {
        children[slot] = ~symbol;
        break;
      }
      let next = children[slot] ?? 0;
      if (next === 0) {
        next = nodes++;
        children[slot] = next;
        depth[next] = (depth[node] ?? 0) + 1;
        allOnes[next] = allOnes[node] === 1 && value === 1 ? 1 : 0;
      }
      node = next;
    }
  });

  const nibbles = new Int32Array(STATES * 16);
  const accepting = new Uint8Array(STATES);
  for (let state = 0; state < STATES; state++) {
    accepting[state] = state === 0 || (allOnes[state] === 1 && (depth[state] ?? 0) <= MAX_PADDING_BITS) ? 1 : 0;
    for (let nibble = 0; nibble < 16; nibble++) {
      let node = state;
      let entry = 0;
      for (let bit = 3; bit >= 0; bit--) {
        const child = children[2 * node + ((nibble >> bit) & 1)] ?? 0;
        if (child >= 0) {
          node = child;
          continue;
        }
        const symbol = ~child;
        if (symbol === EOS) entry |= FAILED;
        entry |= (symbol + 1) << SYMBOL_SHIFT;
        node = 0;
      }
      nibbles[state * 16 + nibble] = entry | node;
    }
  }
  return { nibbles, accepting };
}

let scratch = Buffer.allocUnsafe(256);

/** Decodes `source[start..end)` as an HPACK Huffman string; the octets come back as latin1. */
export function huffmanDecode(source: Uint8Array, start: number, end: number): string {
  // The shortest code is 5 bits, so n input bytes hold at most 8n/5 symbols.
  const most = Math.ceil(((end - start) * 8) / 5);
  if (scratch.length < most) scratch = Buffer.allocUnsafe(Math.max(most, scratch.length * 2));
  const out = scratch;
  let state = 0;
  let length = 0;
  for (let index = start; index < end; index++) {
    const byte = source[index] ?? 0;
    for (let shift = 4; shift >= 0; shift -= 4) {
      const entry = NIBBLES[state * 16 + ((byte >> shift) & 0xf)] ?? FAILED;
      if ((entry & FAILED) !== 0) throw invalid('it contains EOS');
      const symbol = (entry >> SYMBOL_SHIFT) & SYMBOL_MASK;
      if (symbol !== 0) out[length++] = symbol - 1;
      state = entry & NEXT_MASK;
    }
  }
  if (ACCEPTING[state] !== 1) throw invalid('its padding is not a short run of ones');
  return out.toString('latin1', 0, length);
}

function invalid(reason: string): WeftError {
  return new WeftError('WEFT_PROXY_HPACK', `an HPACK Huffman string is invalid: ${reason}`);
}
