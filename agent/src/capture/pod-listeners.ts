import { closeSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { isWeftError } from '@weft/api';
import { listenInNetns } from '@weft/native';

/** The listening sockets the agent owns inside one pod's network namespace. */
export interface PodListeners {
  /** 127.0.0.1:<outbound> and, when the pod has IPv6, [::1]:<outbound>. */
  outbound: Server[];
  /** [::]:<inbound> dual-stack, or 0.0.0.0:<inbound> when IPv6 is off in the pod. */
  inbound: Server;
  /** fd of the inbound listener, for the SOCKMAP and a hand-over. */
  inboundFd: number;
  /** fds of the outbound listeners, for a hand-over. */
  outboundFds: number[];
  /** Stops serving them; a successor that holds copies of the sockets serves them on. */
  close(): Promise<void>;
}

export interface PodListenerHandlers {
  onOutbound: (socket: Socket) => void;
  onInbound: (socket: Socket) => void;
}

export interface PodListenerOptions extends PodListenerHandlers {
  netnsPath: string;
  outboundPort: number;
  inboundPort: number;
}

/** Errors that mean "this address family is not available in the pod". */
const familyUnavailable = ['WEFT_NATIVE_ADDRESS_NOT_AVAILABLE'];

async function optional(open: () => Promise<number>): Promise<number | undefined> {
  try {
    return await open();
  } catch (error) {
    if (isWeftError(error) && familyUnavailable.includes(error.code)) return undefined;
    throw error;
  }
}

function adopt(fd: number, onConnection: (socket: Socket) => void): Promise<Server> {
  // pauseOnConnect: the handler decides when to read, so no byte is lost before it runs.
  // allowHalfOpen: a client's FIN must reach the upstream as a half-close, not end our side too.
  const server = createServer({ pauseOnConnect: true, allowHalfOpen: true }, onConnection);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ fd }, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/**
 * Stops listening at once. server.close()'s callback would wait for every accepted
 * connection to end, but captured connections outlive their pod's listeners.
 */
function closeServer(server: Server): Promise<void> {
  if (server.listening) server.close();
  return Promise.resolve();
}

/**
 * Opens the pod's listeners in its netns and serves them from this process. Everything
 * opened is closed again when a later step fails.
 */
export async function openPodListeners(options: PodListenerOptions): Promise<PodListeners> {
  const { netnsPath: netns, outboundPort, inboundPort } = options;
  const unadopted = new Set<number>();
  const track = (fd: number): number => (unadopted.add(fd), fd);
  try {
    const outbound4 = track(await listenInNetns({ netns, family: 4, address: '127.0.0.1', port: outboundPort }));
    const outbound6 = await optional(() => listenInNetns({ netns, family: 6, address: '::1', port: outboundPort, v6only: true }));
    if (outbound6 !== undefined) track(outbound6);
    const inboundFd = track(
      (await optional(() => listenInNetns({ netns, family: 6, address: '::', port: inboundPort }))) ??
        (await listenInNetns({ netns, family: 4, address: '0.0.0.0', port: inboundPort })),
    );
    unadopted.clear(); // servePodListeners owns them from here, failure included
    return await servePodListeners({ outboundFds: outbound6 === undefined ? [outbound4] : [outbound4, outbound6], inboundFd }, options);
  } catch (error) {
    for (const fd of unadopted) closeSync(fd);
    throw error;
  }
}

/**
 * Serves listening sockets that are open in this process already: just opened, or handed
 * over by the previous agent (the connections queued on them are accepted here). On
 * failure the fds are closed.
 */
export async function servePodListeners(fds: { outboundFds: number[]; inboundFd: number }, handlers: PodListenerHandlers): Promise<PodListeners> {
  const servers: Server[] = [];
  const unserved = new Set([...fds.outboundFds, fds.inboundFd]);
  const serve = async (fd: number, onConnection: (socket: Socket) => void): Promise<Server> => {
    const server = await adopt(fd, onConnection);
    unserved.delete(fd);
    servers.push(server);
    return server;
  };
  try {
    const outbound: Server[] = [];
    for (const fd of fds.outboundFds) outbound.push(await serve(fd, handlers.onOutbound));
    const inbound = await serve(fds.inboundFd, handlers.onInbound);
    return { outbound, inbound, inboundFd: fds.inboundFd, outboundFds: [...fds.outboundFds], close: () => closeAll(servers) };
  } catch (error) {
    await closeAll(servers);
    for (const fd of unserved) closeSync(fd);
    throw error;
  }
}

async function closeAll(servers: Server[]): Promise<void> {
  await Promise.all(servers.map(closeServer));
}
