import type { BpfObject, Codec, SocketMap, TypedMap } from '@weft/native';
import { checkLayout, u32Codec, u64Codec } from '@weft/native';
import type { IpFamily } from './ip-address.js';
import { bytesToIp, ipToBytes } from './ip-address.js';

// Codecs for the structs of bpf/include/weft_types.h. Offsets are checked against the
// object's BTF when the programs load (checkCaptureLayouts), so C and TypeScript cannot
// drift apart silently. Multi-byte integers are little-endian (the host's order) except
// addresses, which are kept in network order as in the kernel.

const AF_INET = 2;
const AF_INET6 = 10;

const familyToAf = (family: IpFamily): number => (family === 4 ? AF_INET : AF_INET6);
const afToFamily = (af: number): IpFamily => (af === AF_INET6 ? 6 : 4);

export const podFlags = { strict: 0x1 } as const;

export interface PodEntry {
  inboundSlot: number;
  flags: number;
}

export const podCodec: Codec<PodEntry> = {
  name: 'weft_pod',
  size: 8,
  offsets: { inbound_slot: 0, flags: 4 },
  encode: ({ inboundSlot, flags }) => {
    const b = Buffer.alloc(8);
    b.writeUInt32LE(inboundSlot, 0);
    b.writeUInt32LE(flags, 4);
    return b;
  },
  decode: (b) => ({ inboundSlot: b.readUInt32LE(0), flags: b.readUInt32LE(4) }),
};

export interface OriginalDestination {
  family: IpFamily;
  address: string;
  port: number;
}

export const origDstCodec: Codec<OriginalDestination> = {
  name: 'weft_orig_dst',
  size: 20,
  offsets: { addr: 0, port: 16, family: 18 },
  encode: ({ family, address, port }) => {
    const b = Buffer.alloc(20);
    ipToBytes(address).bytes.copy(b, 0);
    b.writeUInt16LE(port, 16);
    b.writeUInt16LE(familyToAf(family), 18);
    return b;
  },
  decode: (b) => {
    const family = afToFamily(b.readUInt16LE(18));
    return { family, address: bytesToIp(family, b.subarray(0, 16)), port: b.readUInt16LE(16) };
  },
};

/** The client of a redirected connection, as the agent's listener sees it. */
export interface OrigKey {
  netnsCookie: bigint;
  family: IpFamily;
  address: string;
  port: number;
}

export const origKeyCodec: Codec<OrigKey> = {
  name: 'weft_orig_key',
  size: 32,
  offsets: { netns_cookie: 0, addr: 8, port: 24, family: 26, pad: 28 },
  encode: ({ netnsCookie, address, port, family }) => {
    const b = Buffer.alloc(32);
    b.writeBigUInt64LE(netnsCookie, 0);
    ipToBytes(address).bytes.copy(b, 8);
    b.writeUInt16LE(port, 24);
    b.writeUInt16LE(familyToAf(family), 26);
    return b;
  },
  decode: (b) => {
    const family = afToFamily(b.readUInt16LE(26));
    return { netnsCookie: b.readBigUInt64LE(0), family, address: bytesToIp(family, b.subarray(8, 24)), port: b.readUInt16LE(24) };
  },
};

export const ipCodec: Codec<string> = {
  name: 'weft_ip',
  size: 20,
  offsets: { addr: 0, family: 16 },
  encode: (address) => {
    const { family, bytes } = ipToBytes(address);
    const b = Buffer.alloc(20);
    bytes.copy(b, 0);
    b.writeUInt32LE(familyToAf(family), 16);
    return b;
  },
  decode: (b) => bytesToIp(afToFamily(b.readUInt32LE(16)), b.subarray(0, 16)),
};

export interface CaptureConfig {
  agentIpv4: string | undefined;
  agentIpv6: string | undefined;
  agentMark: number;
  outboundPort: number;
  inboundPort: number;
  inboundTlsPort: number;
}

export const configCodec: Codec<CaptureConfig> = {
  name: 'weft_config',
  size: 32,
  offsets: { agent_ip4: 0, agent_ip6: 4, agent_mark: 20, outbound_port: 24, inbound_port: 26, inbound_tls_port: 28, pad: 30 },
  encode: (c) => {
    const b = Buffer.alloc(32);
    if (c.agentIpv4) ipToBytes(c.agentIpv4).bytes.copy(b, 0);
    if (c.agentIpv6) ipToBytes(c.agentIpv6).bytes.copy(b, 4);
    b.writeUInt32LE(c.agentMark, 20);
    b.writeUInt16LE(c.outboundPort, 24);
    b.writeUInt16LE(c.inboundPort, 26);
    b.writeUInt16LE(c.inboundTlsPort, 28);
    return b;
  },
  decode: (b) => {
    const ip4 = bytesToIp(4, b.subarray(0, 4));
    const ip6 = bytesToIp(6, b.subarray(4, 20));
    return {
      agentIpv4: ip4 === '0.0.0.0' ? undefined : ip4,
      agentIpv6: ip6 === '::' ? undefined : ip6,
      agentMark: b.readUInt32LE(20),
      outboundPort: b.readUInt16LE(24),
      inboundPort: b.readUInt16LE(26),
      inboundTlsPort: b.readUInt16LE(28),
    };
  },
};

/** Typed views of every capture map. */
export interface CaptureMaps {
  enrolled: TypedMap<bigint, PodEntry>;
  podIps: TypedMap<string, PodEntry>;
  origByCookie: TypedMap<bigint, OriginalDestination>;
  origDst: TypedMap<OrigKey, OriginalDestination>;
  inbound: SocketMap<number>;
  config: TypedMap<number, CaptureConfig>;
}

/** The C name of each map, by its role. */
export const captureMapNames = {
  enrolled: 'weft_enrolled',
  podIps: 'weft_pod_ips',
  origByCookie: 'weft_orig_by_cookie',
  origDst: 'weft_orig_dst',
  inbound: 'weft_inbound',
  config: 'weft_config',
} as const satisfies Record<keyof CaptureMaps, string>;

export const captureStructCodecs: Codec<never>[] = [podCodec, origDstCodec, origKeyCodec, ipCodec, configCodec] as Codec<never>[];

/** Fails with WEFT_NATIVE_LAYOUT_MISMATCH when a codec differs from the compiled struct. */
export function checkCaptureLayouts(object: BpfObject): void {
  for (const codec of captureStructCodecs) checkLayout(codec, object.structLayout(codec.name));
}

export function captureMaps(object: BpfObject): CaptureMaps {
  const map = (role: keyof CaptureMaps) => object.map(captureMapNames[role]);
  return {
    enrolled: map('enrolled').typed(u64Codec, podCodec),
    podIps: map('podIps').typed(ipCodec, podCodec),
    origByCookie: map('origByCookie').typed(u64Codec, origDstCodec),
    origDst: map('origDst').typed(origKeyCodec, origDstCodec),
    inbound: map('inbound').sockets(u32Codec),
    config: map('config').typed(u32Codec, configCodec),
  };
}
