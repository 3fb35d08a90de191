import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { exitCodes, UsageError } from '../cli-error.js';
import type { Command } from '../command.js';
import { UiForward } from '../ui-forward.js';

const openers = ['/usr/bin/xdg-open', '/usr/bin/open'];

export const dashboardCommand: Command = {
  name: 'dashboard',
  summary: 'open the traffic map: forward a local port to the UI',
  usage: 'weft dashboard [flags]',
  description: [
    'Forwards a local port to the control plane\'s web UI (the live traffic map) through the',
    'Kubernetes API server (needs get on services/proxy in the Weft namespace), prints the address',
    'and opens it in a browser when one can be opened. Runs until interrupted (Ctrl-C).',
  ].join('\n'),
  examples: ['weft dashboard', 'weft dashboard --port 9000 --no-open', 'weft dashboard --address 0.0.0.0  # reachable from other machines: mind who can'],
  flags: {
    port: { type: 'string', value: 'PORT', default: '8084', help: 'local port to listen on (0: any free one)' },
    address: { type: 'string', value: 'ADDRESS', default: '127.0.0.1', help: 'local address to listen on' },
    'no-open': { type: 'boolean', help: 'only print the address, do not start a browser' },
  },
  positionals: { min: 0, max: 0 },
  run: async (context) => {
    const portText = String(context.flags.port ?? '8084');
    const port = Number(portText);
    if (!/^\d+$/.test(portText) || port > 65535) throw new UsageError(`--port must be a port number from 0 to 65535, not '${portText}'`, 'dashboard');
    const address = String(context.flags.address ?? '127.0.0.1');
    const cluster = context.cluster();
    // Fail early, with the API server's reason, rather than on the first page load.
    const probe = await cluster.proxyGet({ kind: 'services', namespace: context.weftNamespace, name: 'weft-control', port: 'http' }, '/readyz');
    if (probe.status !== 200) {
      context.stderr(`weft: error: the control plane's UI is not reachable through the API server (${probe.status}: ${probe.body.trim().slice(0, 200)})\n    hint: run 'weft check'\n`);
      return exitCodes.failed;
    }
    const forward = new UiForward({ cluster, target: { kind: 'services', namespace: context.weftNamespace, name: 'weft-control', port: 'http' }, log: (line) => context.stderr(`${line}\n`) });
    let bound: number;
    try {
      bound = await forward.listen(address, port);
    } catch (error) {
      context.stderr(`weft: error: cannot listen on ${address}:${port}: ${error instanceof Error ? error.message : String(error)}\n    hint: pick another --port (0: any free one)\n`);
      return exitCodes.failed;
    }
    const url = `http://${address.includes(':') ? `[${address}]` : address}:${bound}/`;
    context.stdout(`Weft dashboard: ${url}\n(forwarding to ${context.weftNamespace}/weft-control through ${cluster.server.origin}; Ctrl-C to stop)\n`);
    const opener = openers.find((o) => existsSync(o));
    if (context.flags['no-open'] !== true && opener && (context.env.DISPLAY || context.env.WAYLAND_DISPLAY || opener.endsWith('/open'))) {
      spawn(opener, [url], { stdio: 'ignore', detached: true }).on('error', () => undefined).unref();
    }
    await context.interrupted;
    await forward.close();
    return exitCodes.ok;
  },
};
