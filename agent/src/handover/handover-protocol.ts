import { WeftError } from '@weft/api';

/**
 * The hand-over between two agents of one node (docs/upgrades.md): messages of JSON over
 * an FdChannel, the listening sockets travelling as SCM_RIGHTS beside them.
 *
 *   taker (new agent)                        giver (running agent)
 *   hello {version, pid}          ─────────►  stops changing the kernel state (freeze)
 *                                 ◄─────────  sockets {admin?, pods} × n, with their fds
 *                                 ◄─────────  end
 *   (config, certificates)
 *   taken                         ─────────►  stops accepting; drains what it holds
 *                                 ◄─────────  released
 *   takes the kernel state over, accepts on the same sockets (nothing queued is lost)
 *
 * A giver that hears nothing more, or a taker that goes away, aborts: the giver thaws and
 * goes on owning the node as before.
 */
export const handoverVersion = 1;

/** Descriptors of a message are referred to by their index in the message's fd list. */
export interface PodSocketsMessage {
  uid: string;
  /** Decimal: JSON has no 64-bit integers. */
  netnsCookie: string;
  inboundSlot: number;
  outbound: number[];
  inbound: number;
  /** The HBONE listeners (podIP:15008), one per pod IP. */
  hbone: { ip: string; fd: number }[];
}

export type HandoverMessage =
  | { type: 'hello'; version: number; pid: number }
  | { type: 'sockets'; admin?: number; pods: PodSocketsMessage[] }
  | { type: 'end' }
  | { type: 'taken' }
  | { type: 'released' }
  | { type: 'refused'; reason: string };

/** At most this many descriptors go in one message (the kernel's SCM_MAX_FD is 253). */
export const maxFdsPerMessage = 240;

export function encodeMessage(message: HandoverMessage): Buffer {
  return Buffer.from(JSON.stringify(message));
}

const bad = (what: string): never => {
  throw new WeftError('WEFT_HANDOVER_BAD_MESSAGE', `a hand-over message is malformed: ${what}`, {
    hint: 'the two agents of this node are of builds that do not speak the same hand-over; the running one keeps the node',
  });
};

const isIndex = (value: unknown, fds: number): value is number => Number.isInteger(value) && (value as number) >= 0 && (value as number) < fds;
const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Parses and checks one message; descriptor indices must name fds that came with it. */
export function decodeMessage(data: Buffer, fdCount: number): HandoverMessage {
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
  } catch {
    return bad('not JSON');
  }
  if (!isRecord(value) || typeof value.type !== 'string') return bad('no type');
  switch (value.type) {
    case 'hello':
      if (!Number.isInteger(value.version) || !Number.isInteger(value.pid)) return bad('hello needs version and pid');
      return { type: 'hello', version: value.version as number, pid: value.pid as number };
    case 'sockets':
      return decodeSockets(value, fdCount);
    case 'end':
    case 'taken':
    case 'released':
      return { type: value.type };
    case 'refused':
      return { type: 'refused', reason: typeof value.reason === 'string' ? value.reason : 'no reason given' };
    default:
      return bad(`unknown type ${JSON.stringify(value.type).slice(0, 40)}`);
  }
}

function decodeSockets(value: Record<string, unknown>, fdCount: number): HandoverMessage {
  if (value.admin !== undefined && !isIndex(value.admin, fdCount)) return bad('admin is not a descriptor of the message');
  if (!Array.isArray(value.pods)) return bad('pods is not a list');
  const pods = value.pods.map((pod: unknown): PodSocketsMessage => {
    if (!isRecord(pod) || typeof pod.uid !== 'string' || typeof pod.netnsCookie !== 'string' || !/^\d{1,20}$/.test(pod.netnsCookie)) return bad('a pod needs uid and netnsCookie');
    const { uid, netnsCookie, inboundSlot, outbound, inbound } = pod;
    if (!isIndex(inboundSlot, Number.MAX_SAFE_INTEGER)) return bad(`pod ${uid}: inboundSlot`);
    if (!Array.isArray(outbound) || outbound.length === 0 || !outbound.every((i) => isIndex(i, fdCount))) return bad(`pod ${uid}: outbound`);
    if (!isIndex(inbound, fdCount)) return bad(`pod ${uid}: inbound`);
    if (!Array.isArray(pod.hbone)) return bad(`pod ${uid}: hbone`);
    const hbone = pod.hbone.map((h: unknown) => {
      if (!isRecord(h) || typeof h.ip !== 'string' || !isIndex(h.fd, fdCount)) return bad(`pod ${uid}: an hbone listener`);
      return { ip: h.ip, fd: h.fd };
    });
    return { uid, netnsCookie, inboundSlot, outbound, inbound, hbone };
  });
  return value.admin === undefined ? { type: 'sockets', pods } : { type: 'sockets', admin: value.admin, pods };
}
