// DER encoding shared by both sides of the CA contract (api/proto/weft/ca/v1/ca.proto): agents
// write PKCS#10 requests with it, the CA reads them and writes certificates with it.
// A minimal DER writer for the few structures the issuer builds on its hot path (see
// workload-issuer.ts), and a strict reader for the requests the CA checks (csr-check.ts).

/** Bytes a DER header takes for content of `length` bytes (tag, then short or long form). */
function headerLength(length: number): number {
  if (length < 0x80) return 2;
  let bytes = 0;
  for (let v = length; v > 0; v = Math.floor(v / 256)) bytes++;
  return 2 + bytes;
}

/** Writes tag and length at the start of `out`; returns where the content begins. */
function writeHeader(out: Buffer, tag: number, length: number): number {
  out[0] = tag;
  if (length < 0x80) {
    out[1] = length;
    return 2;
  }
  const bytes = headerLength(length) - 2;
  out[1] = 0x80 | bytes;
  for (let i = bytes, v = length; i > 0; i--, v = Math.floor(v / 256)) out[1 + i] = v & 0xff;
  return 2 + bytes;
}

/**
 * Tag-length-value. One allocation and one copy per part: the issuer builds a certificate
 * from some thirty of these per request, and concatenating twice per value showed in profiles.
 */
export function tlv(tag: number, ...content: Buffer[]): Buffer {
  let length = 0;
  for (const part of content) length += part.length;
  const out = Buffer.allocUnsafe(headerLength(length) + length);
  let offset = writeHeader(out, tag, length);
  for (const part of content) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export const sequence = (...items: Buffer[]): Buffer => tlv(0x30, ...items);
export const set = (...items: Buffer[]): Buffer => tlv(0x31, ...items);
export const octetString = (content: Buffer): Buffer => tlv(0x04, content);
export const bitString = (content: Buffer, unusedBits = 0): Buffer => tlv(0x03, Buffer.from([unusedBits]), content);
export const boolean = (value: boolean): Buffer => tlv(0x01, Buffer.from([value ? 0xff : 0]));
export const explicit = (n: number, ...content: Buffer[]): Buffer => tlv(0xa0 | n, ...content);

/** A non-negative INTEGER from big-endian bytes (a leading zero keeps it positive). */
export function integer(bytes: Buffer): Buffer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0 && ((bytes[i + 1] ?? 0) & 0x80) === 0) i++;
  const trimmed = bytes.subarray(i);
  return tlv(0x02, (trimmed[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

export function oid(dotted: string): Buffer {
  const [a = 0, b = 0, ...rest] = dotted.split('.').map(Number);
  const out = [a * 40 + b];
  for (const n of rest) {
    const chunk: number[] = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** UTCTime (years 1950–2049) or GeneralizedTime, as RFC 5280 requires. */
export function time(date: Date): Buffer {
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  const y = date.getUTCFullYear();
  const rest = `${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}Z`;
  return y < 2050 ? tlv(0x17, Buffer.from(`${pad(y % 100)}${rest}`, 'ascii')) : tlv(0x18, Buffer.from(`${pad(y, 4)}${rest}`, 'ascii'));
}

/** One element of a DER buffer: where its content starts and where it ends. */
interface Element {
  start: number;
  contentStart: number;
  end: number;
}

function element(der: Buffer, offset: number): Element {
  const first = der[offset + 1];
  if (first === undefined) throw new Error('truncated DER');
  let length = first;
  let contentStart = offset + 2;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 4) throw new Error('unsupported DER length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (der[offset + 2 + i] ?? 0);
    // DER wants the shortest form: no long form under 128, no leading zero byte.
    if (length < 0x80 || der[offset + 2] === 0) throw new Error('non-minimal DER length');
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > der.length) throw new Error('truncated DER');
  return { start: offset, contentStart, end };
}

/**
 * The elements directly inside a constructed DER value (e.g. a SEQUENCE). The buffer must
 * hold exactly that value: trailing bytes are refused.
 */
export function children(der: Buffer, expectedTag?: number): Buffer[] {
  if (expectedTag !== undefined && der[0] !== expectedTag) throw new Error(`expected DER tag 0x${expectedTag.toString(16)}`);
  const outer = element(der, 0);
  if (outer.end !== der.length) throw new Error('trailing bytes after a DER value');
  const out: Buffer[] = [];
  for (let offset = outer.contentStart; offset < outer.end; ) {
    const e = element(der, offset);
    out.push(der.subarray(e.start, e.end));
    offset = e.end;
  }
  return out;
}

/** The content bytes of a DER value (without tag and length). */
export function content(der: Buffer, expectedTag?: number): Buffer {
  if (expectedTag !== undefined && der[0] !== expectedTag) throw new Error(`expected DER tag 0x${expectedTag.toString(16)}`);
  const e = element(der, 0);
  if (e.end !== der.length) throw new Error('trailing bytes after a DER value');
  return der.subarray(e.contentStart, e.end);
}
