import { closeSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { WeftError } from '@weft/api';
import type { InheritedListeners } from '../capture/index.js';
import { maxFdsPerMessage, type HandoverMessage, type PodSocketsMessage } from './handover-protocol.js';

/** One pod's listening sockets: fds of this process. */
export interface PodSockets extends InheritedListeners {
  inboundSlot: number;
  /** The HBONE listeners (podIP:15008), one per pod IP. */
  hbone: { ip: string; fd: number }[];
}

/** Every listening socket an agent serves its node with. */
export interface NodeSockets {
  /** The admin port (node IP :15020), shared so kubelet probes never see it closed. */
  adminFd?: number;
  pods: PodSockets[];
}

/** The giver's sockets as messages of at most maxFdsPerMessage descriptors each. */
export function socketMessages(sockets: NodeSockets): { message: HandoverMessage; fds: number[] }[] {
  const out: { message: HandoverMessage; fds: number[] }[] = [];
  let fds: number[] = [];
  let pods: PodSocketsMessage[] = [];
  let admin: number | undefined;
  const index = (fd: number): number => fds.push(fd) - 1;
  const flush = (): void => {
    if (pods.length === 0 && admin === undefined) return;
    out.push({ message: admin === undefined ? { type: 'sockets', pods } : { type: 'sockets', admin, pods }, fds });
    fds = [];
    pods = [];
    admin = undefined;
  };
  if (sockets.adminFd !== undefined) admin = index(sockets.adminFd);
  for (const pod of sockets.pods) {
    const count = pod.outboundFds.length + 1 + pod.hbone.length;
    if (count > maxFdsPerMessage) throw new WeftError('WEFT_HANDOVER_TOO_MANY_SOCKETS', `pod ${pod.uid} has ${count} listening sockets`);
    if (fds.length + count > maxFdsPerMessage) flush();
    pods.push({
      uid: pod.uid,
      netnsCookie: pod.netnsCookie.toString(),
      inboundSlot: pod.inboundSlot,
      outbound: pod.outboundFds.map(index),
      inbound: index(pod.inboundFd),
      hbone: pod.hbone.map(({ ip, fd }) => ({ ip, fd: index(fd) })),
    });
  }
  flush();
  return out;
}

/**
 * Sockets a predecessor handed over, open in this process and served by no one yet. Each
 * is taken once by what serves it (capture, the HBONE listeners, the admin server); what
 * nobody takes is closed by closeUnused().
 */
export class InheritedSockets {
  #adminFd: number | undefined;
  readonly #pods = new Map<string, PodSockets>();

  /** Adds one 'sockets' message and the fds that came with it. */
  add(message: Extract<HandoverMessage, { type: 'sockets' }>, fds: number[]): void {
    const fd = (i: number): number => {
      const value = fds[i];
      if (value === undefined) throw new WeftError('WEFT_HANDOVER_BAD_MESSAGE', `descriptor ${i} did not come with the message`);
      return value;
    };
    if (message.admin !== undefined) this.#adminFd = fd(message.admin);
    for (const pod of message.pods) {
      this.#pods.set(pod.uid, {
        uid: pod.uid,
        netnsCookie: BigInt(pod.netnsCookie),
        inboundSlot: pod.inboundSlot,
        outboundFds: pod.outbound.map(fd),
        inboundFd: fd(pod.inbound),
        hbone: pod.hbone.map((h) => ({ ip: h.ip, fd: fd(h.fd) })),
      });
    }
  }

  get podCount(): number {
    return this.#pods.size;
  }

  /** The admin socket, once. */
  takeAdmin(): number | undefined {
    const fd = this.#adminFd;
    this.#adminFd = undefined;
    return fd;
  }

  /** Every pod's capture listeners, once (capture serves each pod's when it enrolls it). */
  takeCapture(): InheritedListeners[] {
    return [...this.#pods.values()].flatMap((pod) => {
      if (pod.inboundFd < 0) return [];
      const listeners = { uid: pod.uid, netnsCookie: pod.netnsCookie, outboundFds: pod.outboundFds, inboundFd: pod.inboundFd };
      pod.outboundFds = [];
      pod.inboundFd = -1;
      return [listeners];
    });
  }

  /** The HBONE listener of a pod on an IP, once. */
  takeHbone(uid: string, ip: string): number | undefined {
    const pod = this.#pods.get(uid);
    const index = pod?.hbone.findIndex((h) => h.ip === ip) ?? -1;
    if (!pod || index < 0) return undefined;
    const [taken] = pod.hbone.splice(index, 1);
    return taken?.fd;
  }

  /** Closes every fd nobody took (pods that left meanwhile, addresses they no longer have). */
  closeUnused(): void {
    const left = [...this.#pods.values()].flatMap((pod) => [...pod.outboundFds, ...(pod.inboundFd >= 0 ? [pod.inboundFd] : []), ...pod.hbone.map((h) => h.fd)]);
    if (this.#adminFd !== undefined) left.push(this.#adminFd);
    this.#adminFd = undefined;
    this.#pods.clear();
    for (const fd of left) {
      try {
        closeSync(fd);
      } catch {
        // Already closed by whoever failed to serve it.
      }
    }
  }
}

const capSysAdmin = 21n;
const capNetAdmin = 12n;

/**
 * Only a process as privileged as an agent may take part in a hand-over: root, in this
 * user namespace, with CAP_SYS_ADMIN and CAP_NET_ADMIN (it could take the node's capture
 * state anyway). The abstract socket itself has no permissions, so this check is the gate.
 */
export function checkPeer(peer: { pid: number; uid: number }, procRoot = '/proc'): string | undefined {
  if (peer.uid !== 0) return `its user is ${peer.uid}, not root`;
  if (peer.pid <= 0) return 'its process is not visible (run the agent with hostPID)';
  try {
    const status = readFileSync(join(procRoot, String(peer.pid), 'status'), 'utf8');
    const capEff = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];
    const caps = BigInt(`0x${capEff ?? '0'}`);
    for (const [cap, name] of [[capSysAdmin, 'CAP_SYS_ADMIN'], [capNetAdmin, 'CAP_NET_ADMIN']] as const) {
      if (((caps >> cap) & 1n) === 0n) return `it lacks ${name}`;
    }
    if (readlinkSync(join(procRoot, String(peer.pid), 'ns', 'user')) !== readlinkSync(join(procRoot, 'self', 'ns', 'user'))) return 'it is in another user namespace';
  } catch (error) {
    return `its process ${peer.pid} cannot be read (${(error as Error).message})`;
  }
  return undefined;
}
