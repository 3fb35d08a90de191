import { isIP } from 'node:net';
import { bytesToIp, ipToBytes } from '../capture/ip-address.js';

/**
 * The one text form Weft keys addresses by: dotted IPv4, RFC 5952 IPv6 (lower case,
 * longest zero run compressed), and an IPv4-mapped IPv6 address as the IPv4 it maps —
 * a dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d, and they must find the
 * same workload. Returns undefined for anything that is not a plain IP address; zone
 * ids (fe80::1%eth0) are refused because a pod or service address never has one.
 */
const octet = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const canonicalIpv4 = new RegExp(`^${octet}\\.${octet}\\.${octet}\\.${octet}$`);

export function canonicalIp(text: string): string | undefined {
  // Most addresses are IPv4 already in this form (no leading zeros); every snapshot checks
  // thousands of them, so they are recognised without the byte round trip.
  if (canonicalIpv4.test(text)) return text;
  const family = isIP(text);
  if (family === 0 || text.includes('%')) return undefined;
  const { bytes } = ipToBytes(text);
  if (family === 4) return bytesToIp(4, bytes);
  if (isIpv4Mapped(bytes)) return bytesToIp(4, bytes.subarray(12));
  return bytesToIp(6, bytes);
}

function isIpv4Mapped(bytes: Buffer): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}
