import { isIP } from 'node:net';
import { WeftError } from '@weft/api';

export type IpFamily = 4 | 6;

/** An IP address with its family; `address` is in Node's textual form. */
export interface SocketAddress {
  family: IpFamily;
  address: string;
  port: number;
}

/** Network-order bytes of an address: 4 for IPv4, 16 for IPv6. */
export function ipToBytes(address: string): { family: IpFamily; bytes: Buffer } {
  const family = isIP(address);
  if (family === 4) return { family, bytes: Buffer.from(address.split('.').map(Number)) };
  if (family === 6) return { family, bytes: ipv6ToBytes(address) };
  throw new WeftError('WEFT_CAPTURE_BAD_ADDRESS', `'${address}' is not an IP address`);
}

function ipv6ToBytes(address: string): Buffer {
  let text = address;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    // Embedded IPv4 in the last 32 bits (::ffff:1.2.3.4).
    tail.push(...text.slice(lastColon + 1).split('.').map(Number));
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [head = '', rest] = text.split('::');
  const groups = (part: string | undefined): string[] => (part ? part.split(':') : []);
  const left = groups(head);
  const right = groups(rest);
  const zeros = rest === undefined ? 0 : 8 - left.length - right.length;
  const all = [...left, ...Array<string>(zeros).fill('0'), ...right];
  const bytes = Buffer.alloc(16);
  all.forEach((group, i) => bytes.writeUInt16BE(parseInt(group, 16), i * 2));
  if (tail.length === 4) Buffer.from(tail).copy(bytes, 12);
  return bytes;
}

/** The textual form of network-order bytes (the first 4 for IPv4). */
export function bytesToIp(family: IpFamily, bytes: Buffer): string {
  if (family === 4) return [...bytes.subarray(0, 4)].join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return compressIpv6(groups);
}

/** RFC 5952 form: the longest run of two or more zero groups becomes '::'. */
function compressIpv6(groups: string[]): string {
  let best = { start: -1, length: 0 };
  let run = { start: -1, length: 0 };
  groups.forEach((g, i) => {
    if (g === '0') {
      run = run.start < 0 ? { start: i, length: 1 } : { start: run.start, length: run.length + 1 };
      if (run.length > best.length) best = run;
    } else {
      run = { start: -1, length: 0 };
    }
  });
  if (best.length < 2) return groups.join(':');
  const left = groups.slice(0, best.start).join(':');
  const right = groups.slice(best.start + best.length).join(':');
  return `${left}::${right}`;
}

/** Node names IPv4 peers of a dual-stack socket ::ffff:a.b.c.d; Weft names them a.b.c.d. */
export function unmapIpv4(address: string): { family: IpFamily; address: string } {
  const lower = address.toLowerCase();
  if (lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4) return { family: 4, address: lower.slice(7) };
  return { family: isIP(address) === 6 ? 6 : 4, address };
}
