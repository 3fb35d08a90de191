// weft-agent: read settings, take the node over from a running agent (an upgrade) or start
// owning it, take the mesh state from the control plane's config stream (or a static config
// file), serve the admin port; on SIGTERM/SIGINT hand over, leave or release the node's
// capture (docs/upgrades.md), then drain.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger, WeftError, type Logger } from '@weft/api';
import { startAdminServer } from './admin-server.js';
import { Agent, type AgentOptions, type StopMode } from './agent.js';
import { PodNetnsFinder } from './capture/index.js';
import { helpText, readConfig, serviceAccountDir, type AgentConfig } from './config.js';
import { ControlPlaneSource } from './control/index.js';
import { HandoverClient, handoverName, HandoverServer, type HandoverGiver } from './handover/index.js';
import { GrpcCertificateSigner } from './identity/index.js';
import { ownerDaemonSet } from './lifecycle/owner-daemonset.js';
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
  const agentOptions: AgentOptions = {
    ...(edges ? { edges } : {}),
    node: config.node,
    capture: { objectPath: config.objectPath, cgroupPath: config.cgroupPath, pinRoot: config.pinRoot },
    signer,
    trustBundlePem,
    log,
  };
  // An agent already serving this node (an upgrade) hands its sockets over; none: a first
  // start, or a restart after a crash, which takes over what the kernel still holds.
  const handover = handoverName(config.pinRoot);
  const predecessor = await HandoverClient.connect({ name: handover, log, procRoot: config.procRoot });
  if (predecessor) log.info('taking the node over from the running agent', { pods: predecessor.sockets.podCount });
  const agent = predecessor ? Agent.standby(agentOptions) : Agent.start(agentOptions);

  const sourceStatus: { current: () => unknown } = { current: () => undefined };
  const adminOptions = { agent, address: config.admin.host, port: config.admin.port, log, source: () => sourceStatus.current() };
  let admin: Awaited<ReturnType<typeof startAdminServer>>;
  let source: Awaited<ReturnType<typeof startSource>>;
  if (predecessor) {
    // The running agent serves the admin port until it hands it over with the rest.
    source = await startSource(config, agent, edges, log, initial, token, trustBundlePem);
    admin = await takeOverFrom(predecessor, agent, adminOptions, log);
  } else {
    // The admin port comes first: /readyz says "not ready" until a mesh state is applied.
    admin = await startAdminServer(adminOptions);
    source = await startSource(config, agent, edges, log, initial, token, trustBundlePem);
  }
  sourceStatus.current = source.status;
  const served = admin;
  log.info('admin listening', { port: served.port, from: config.staticConfig ?? `control plane ${config.ca.address}` });
  const successors = await listenForSuccessor(handover, log, config.procRoot, {
    freeze: () => agent.freeze(),
    sockets: () => ({ adminFd: served.fd, pods: agent.podSockets() }),
    release: async () => {
      await agent.release();
      served.server.close();
    },
    thaw: () => agent.thaw(),
  });

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    stopMode(config, successors, log)
      .then(async (mode) => {
        successors.close();
        source.stop();
        served.server.close();
        signer.close();
        log.info(mode === 'release' ? 'ending capture on this node: pods talk directly again' : 'capture stays in the kernel for the next agent', { drainSeconds: config.stop.drainMs / 1000 });
        await agent.stop({ mode, drainMs: config.stop.drainMs });
        process.exit(0);
      })
      .catch((error: unknown) => {
        log.error('stop failed', { error });
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // Benchmarks weigh the agent after a full collection: started with --expose-gc, SIGUSR2 runs one.
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect) process.on('SIGUSR2', () => collect());
}

/**
 * The node from the running agent: once the mesh state and certificates are here, it is
 * asked to release the node; then capture and the handed-over sockets are served here.
 */
async function takeOverFrom(predecessor: HandoverClient, agent: Agent, adminOptions: Parameters<typeof startAdminServer>[0], log: Logger): Promise<Awaited<ReturnType<typeof startAdminServer>>> {
  try {
    await agent.whenApplied();
    if (!(await predecessor.take())) throw new WeftError('WEFT_HANDOVER_NOT_RELEASED', 'the running agent kept the node', { hint: 'it gave up waiting for this one; this agent exits and is started again' });
    await agent.activate(predecessor.sockets);
    const adminFd = predecessor.sockets.takeAdmin();
    const admin = await startAdminServer({ ...adminOptions, ...(adminFd === undefined ? {} : { fd: adminFd }) });
    predecessor.sockets.closeUnused();
    log.info('took the node over', { enrolled: agent.enrolled().length });
    return admin;
  } catch (error) {
    predecessor.abort();
    throw error;
  }
}

async function startSource(
  config: AgentConfig,
  agent: Agent,
  edges: EdgeStats | undefined,
  log: Logger,
  initial: ReturnType<typeof loadStaticConfig> | undefined,
  token: () => Promise<string>,
  trustBundlePem: string,
): Promise<{ stop(): void; status: () => unknown }> {
  if (config.staticConfig && initial) {
    const fromFile = new StaticConfigSource({ path: config.staticConfig, apply: (snapshot) => agent.apply(snapshot), log });
    await fromFile.start(initial);
    return { stop: () => fromFile.stop(), status: () => undefined };
  }
  const netns = new PodNetnsFinder({ procRoot: config.procRoot });
  const fromControl = new ControlPlaneSource({ agent, node: config.node, netns, address: config.ca.address, serverName: config.ca.serverName, trustBundlePem, token, log });
  fromControl.start();
  const reporter = edges ? new TelemetryReporter({ address: config.ca.address, serverName: config.ca.serverName, trustBundlePem, token, stats: edges, log }) : undefined;
  reporter?.start();
  return {
    status: () => ({ ...fromControl.status(), telemetry: reporter?.status() }),
    stop: () => {
      reporter?.stop();
      fromControl.stop();
      netns.releaseAll();
    },
  };
}

/** Listens for a successor; the predecessor frees the name a moment after it released the node. */
async function listenForSuccessor(name: string, log: Logger, procRoot: string, giver: HandoverGiver): Promise<HandoverServer> {
  for (let attempt = 0; ; attempt++) {
    try {
      return HandoverServer.start({ name, giver, log, procRoot });
    } catch (error) {
      if (!(error instanceof WeftError && error.code === 'WEFT_NATIVE_NAME_IN_USE') || attempt >= 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/**
 * What a stop does with the node's capture. Handed over: nothing (the successor owns it).
 * Otherwise, by WEFT_STOP_MODE; in 'auto', the agent's DaemonSet gone or being deleted
 * means an uninstall (release), else a successor may be starting (an upgrade): it is
 * given WEFT_SUCCESSOR_WAIT_SECONDS to take over while this agent serves on, and without
 * one capture stays in the kernel (leave).
 */
async function stopMode(config: AgentConfig, successors: HandoverServer, log: Logger): Promise<StopMode> {
  const settings = config.stop;
  if (successors.handedOver()) return 'leave';
  if (settings.mode !== 'auto') return settings.mode;
  if (settings.daemonSet) {
    const presence = await ownerDaemonSet({ ...settings.daemonSet, tokenPath: join(serviceAccountDir, 'token'), caPath: join(serviceAccountDir, 'ca.crt') });
    if (presence === 'gone' || presence === 'deleting') return 'release';
    log.info('the agent DaemonSet stays; waiting for a successor to take the node over', { daemonSet: presence, seconds: settings.successorWaitMs / 1000 });
  }
  const deadline = Date.now() + settings.successorWaitMs;
  while (!successors.handedOver() && (Date.now() < deadline || successors.inProgress())) await new Promise((resolve) => setTimeout(resolve, 100));
  if (!successors.handedOver()) log.warn('no successor took the node over: enrolled pods are refused (STRICT: dropped) until an agent runs again, never sent around the mesh');
  return 'leave';
}

main().catch((error: unknown) => {
  const message = error instanceof WeftError ? `${error.code}: ${error.message}` : error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`weft-agent: ${message}\n`);
  process.exit(1);
});
