// weft-agent: read settings, start capture and the proxy, take the mesh state from the
// control plane's config stream (or a static config file), serve the admin port; drain on
// SIGTERM/SIGINT.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createLogger, WeftError } from '@weft/api';
import { startAdminServer } from './admin-server.js';
import { Agent } from './agent.js';
import { PodNetnsFinder } from './capture/index.js';
import { helpText, readConfig } from './config.js';
import { ControlPlaneSource } from './control/index.js';
import { GrpcCertificateSigner } from './identity/index.js';
import { loadStaticConfig, StaticConfigSource } from './state/index.js';
import { EdgeStats, TelemetryReporter } from './telemetry/index.js';

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write(helpText());
  process.exit(0);
}

async function main(): Promise<void> {
  const config = readConfig();
  const log = createLogger({ component: 'weft-agent', level: config.logLevel }).with({ node: config.node });
  // Everything that can be refused is read before the kernel is touched.
  const initial = config.staticConfig ? loadStaticConfig(config.staticConfig) : undefined;
  let trustBundlePem: string;
  try {
    trustBundlePem = readFileSync(config.ca.trustBundle, 'utf8');
  } catch (error) {
    throw new WeftError('WEFT_AGENT_NO_TRUST_BUNDLE', `the mesh root cannot be read from ${config.ca.trustBundle}`, {
      cause: error,
      hint: 'in Kubernetes it is the ConfigMap weft-trust-bundle, which the control plane publishes; set WEFT_TRUST_BUNDLE to another file',
    });
  }
  const token = async (): Promise<string> => (await readFile(config.ca.tokenPath, 'utf8')).trim();
  const signer = new GrpcCertificateSigner({ address: config.ca.address, serverName: config.ca.serverName, trustBundlePem, token });
  // Telemetry for the traffic map goes to the control plane, so only when following it.
  const edges = config.staticConfig ? undefined : new EdgeStats();
  const agent = Agent.start({
    ...(edges ? { edges } : {}),
    node: config.node,
    capture: { objectPath: config.objectPath, cgroupPath: config.cgroupPath, pinRoot: config.pinRoot },
    signer,
    trustBundlePem,
    log,
  });
  // The admin port comes first: /readyz says "not ready" until a mesh state is applied.
  let status: (() => unknown) | undefined;
  const admin = await startAdminServer({ agent, address: config.admin.host, port: config.admin.port, log, source: () => status?.() });
  let source: { stop(): void };
  if (config.staticConfig && initial) {
    const fromFile = new StaticConfigSource({ path: config.staticConfig, apply: (snapshot) => agent.apply(snapshot), log });
    await fromFile.start(initial);
    source = fromFile;
  } else {
    const netns = new PodNetnsFinder({ procRoot: config.procRoot });
    const fromControl = new ControlPlaneSource({ agent, node: config.node, netns, address: config.ca.address, serverName: config.ca.serverName, trustBundlePem, token, log });
    fromControl.start();
    const reporter = edges ? new TelemetryReporter({ address: config.ca.address, serverName: config.ca.serverName, trustBundlePem, token, stats: edges, log }) : undefined;
    reporter?.start();
    status = () => ({ ...fromControl.status(), telemetry: reporter?.status() });
    source = {
      stop: () => {
        reporter?.stop();
        fromControl.stop();
        netns.releaseAll();
      },
    };
  }
  log.info('admin listening', { port: admin.port, from: config.staticConfig ?? `control plane ${config.ca.address}` });

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    source.stop();
    admin.server.close();
    signer.close();
    agent.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error('stop failed', { error });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  const message = error instanceof WeftError ? `${error.code}: ${error.message}` : error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`weft-agent: ${message}\n`);
  process.exit(1);
});
