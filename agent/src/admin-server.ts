import type { Server } from 'node:http';
import { isIPv6 } from 'node:net';
import { createAdminServer, listenAdmin, type Logger } from '@weft/api';
import { listenInNetns } from '@weft/native';
import type { Agent } from './agent.js';

export interface AdminServerOptions {
  agent: Agent;
  /** Where to listen: node IP :15020; `netnsPath` opens the socket in that netns (tests). */
  address: string;
  port: number;
  netnsPath?: string;
  /** A listening socket to serve instead (the previous agent's, handed over). */
  fd?: number;
  /** Where the mesh state comes from and how that is going (shown in /debug/state). */
  source?: () => unknown;
  log: Logger;
}

/**
 * The agent's admin port (15020): /metrics, /healthz, /readyz, /debug/state. Its socket is
 * opened natively so its fd is known: a successor is handed the same socket, and kubelet
 * probes never find the port closed during an upgrade.
 */
export async function startAdminServer(options: AdminServerOptions): Promise<{ server: Server; port: number; fd: number }> {
  const { agent } = options;
  const server = createAdminServer(
    {
      '/healthz': () => ({ status: 200, body: 'ok\n' }),
      '/readyz': () => (agent.ready ? { status: 200, body: 'ready\n' } : { status: 503, body: 'not ready: no mesh state applied yet\n' }),
      '/metrics': async () => ({ status: 200, body: await agent.registry.metrics(), type: agent.registry.contentType }),
      '/debug/state': () => ({
        status: 200,
        type: 'application/json',
        body: `${JSON.stringify({ version: agent.state.version, source: options.source?.(), enrolled: agent.enrolled() }, null, 2)}\n`,
      }),
    },
    options.log,
  );
  const fd = options.fd ?? (await listenInNetns({ netns: options.netnsPath ?? '/proc/self/ns/net', family: isIPv6(options.address) ? 6 : 4, address: options.address, port: options.port }));
  return { server, port: await listenAdmin(server, { fd }), fd };
}
