// make bench (data path): direct vs meshed cross-node HTTP/1.1 at a constant rate, with the
// real weft-agent binary as one process per emulated node (CPU and RSS read per PID), real
// eBPF capture, HBONE mTLS between the nodes, certificates from the real CA code over
// gRPC/TLS, and fortio (built from its Go module) as client and echo server in pods. The
// direct path (pods not in the mesh, same topology, same client cgroup) is measured in the
// same run. Needs root; everything happens in namespaces, cgroups and bpffs mounts this
// benchmark creates, and all of it is removed at the end, on failure and on SIGINT.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { WeftError } from '@weft/api';
import { AgentProcess, NetnsLab, ProcessOutput, agentMainPath, captureObjectPath, repoRoot } from '@weft/agent/testing';
import { generateTrustAnchor, issueServingIdentity, startGrpcServer } from '@weft/control';
import { trustingAuthority } from '@weft/control/testing';
import { datapathGoals, formatDatapathReport, type DatapathFigures, type FixedRateFigures, type RatePoint, type RelayFixedRateFigures } from './datapath-report.js';
import { Fortio, type LoadResult } from './fortio.js';
import { writeStaticMeshConfig, type MeshMember } from './static-mesh-config.js';
import { processUsage } from './process-usage.js';
import { percentile } from './stats.js';
import { buildTwoNodeTopology, type NodeName, type TwoNodeTopology } from './two-node-topology.js';

const rate = 1000;
const fixedSeconds = 15;
const connectionCounts = [4, 16];
const search = { connections: 16, stepSeconds: 5, p99LimitMs: 10, startQps: 1000, maxQps: 64_000, bisections: 4 };
const idlePods = 100;
const heldConnections = 500;
const caServerName = 'weft-control.weft-system.svc';
const nodeNames: NodeName[] = ['node1', 'node2'];
const holdConnections = fileURLToPath(new URL('./fixtures/hold-connections.js', import.meta.url));
const tcpRelay = fileURLToPath(new URL('./fixtures/tcp-relay.js', import.meta.url));
/** Where the reference relays listen: as the agents' sockets are, in the client pod (loopback) and in the server pod. */
const relayPorts = { outbound: 15001, inbound: 15008 } as const;

/**
 * The three paths every figure is measured on: the pods outside the mesh (`direct`), the
 * enrolled pods through both agents (`meshed`), and the pods outside the mesh through a
 * pair of bare Node TCP relays (`relay`: the floor of any proxy in Node on this machine).
 */
type BenchPath = 'direct' | 'meshed' | 'relay';

/**
 * Opt-in, for finding where the agents spend their time: `--cpu-prof=<folder>` has each
 * agent write a V8 CPU profile there when it stops (open it in Chrome DevTools).
 */
const cpuProfileDir = process.argv
  .slice(2)
  .find((argument) => argument.startsWith('--cpu-prof='))
  ?.slice('--cpu-prof='.length);

/**
 * Opt-in, for comparing runtime settings: `--agent-node-flags=--single-threaded-gc,--max-semi-space-size=16`
 * starts each agent with these Node/V8 flags (comma-separated), named in the progress lines.
 */
const agentNodeFlags = (
  process.argv
    .slice(2)
    .find((argument) => argument.startsWith('--agent-node-flags='))
    ?.slice('--agent-node-flags='.length)
    .split(',')
    .filter((flag) => flag !== '') ?? []
);
for (const flag of agentNodeFlags) {
  if (!flag.startsWith('--')) throw new WeftError('WEFT_BENCH_BAD_FLAG', `--agent-node-flags takes Node flags separated by commas, each starting with '--'; got '${flag}'`);
}

const progress = (line: string): void => void process.stdout.write(`[datapath] ${line}\n`);
/** The machine's 1, 5 and 15 minute load averages: other work on its 2 cores moves every figure. */
const loadAverage = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** Everything the bench made, undone in reverse order, once, also on failure and on SIGINT. */
class Teardown {
  readonly #steps: { what: string; undo: () => Promise<void> | void }[] = [];
  #done: Promise<void> | undefined;

  add(what: string, undo: () => Promise<void> | void): void {
    this.#steps.push({ what, undo });
  }

  run(): Promise<void> {
    this.#done ??= (async () => {
      for (const { what, undo } of this.#steps.reverse()) {
        try {
          await undo();
        } catch (error) {
          process.stderr.write(`[datapath] cleanup of ${what} failed: ${String(error)}\n`);
        }
      }
    })();
    return this.#done;
  }
}

/** Root, the tools and the built pieces, and fortio's path (built from its Go module if not cached). */
function preflight(): string {
  if (process.getuid?.() !== 0) throw new WeftError('WEFT_BENCH_NOT_ROOT', 'the data-path bench must run as root (network namespaces, eBPF, cgroups)', { hint: 'run `sudo make bench`' });
  for (const tool of ['ip', 'nsenter', 'bpftool', 'mount', 'getconf', 'bash']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      throw new WeftError('WEFT_BENCH_TOOL_MISSING', `the data-path bench needs '${tool}', which is not on PATH`, { hint: "run 'make deps'" });
    }
  }
  for (const built of [agentMainPath, captureObjectPath]) {
    if (!existsSync(built)) throw new WeftError('WEFT_BENCH_NOT_BUILT', `${built} is missing`, { hint: "run 'make build'" });
  }
  try {
    return execFileSync('bash', [`${repoRoot}bench/scripts/build-fortio.sh`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  } catch (error) {
    throw new WeftError('WEFT_BENCH_TOOL_MISSING', 'fortio could not be built (bench/scripts/build-fortio.sh failed; its reason is above)', { cause: error });
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

type PerNode<T> = Record<NodeName, T>;

async function forEachNode<T>(agents: PerNode<AgentProcess>, run: (agent: AgentProcess) => Promise<T> | T): Promise<PerNode<T>> {
  const [node1, node2] = await Promise.all([run(agents.node1), run(agents.node2)]);
  return { node1, node2 };
}

/** Each agent's RSS: the median of 5 readings over 2 s, after a moment to settle. */
async function rss(agents: PerNode<AgentProcess>, settleMs = 2000): Promise<PerNode<number>> {
  await sleep(settleMs);
  const samples: PerNode<number[]> = { node1: [], node2: [] };
  for (let i = 0; i < 5; i++) {
    for (const node of nodeNames) samples[node].push(processUsage(agents[node].pid).rssBytes);
    await sleep(400);
  }
  return { node1: percentile(samples.node1, 50), node2: percentile(samples.node2, 50) };
}

interface Bench {
  lab: NetnsLab;
  topology: TwoNodeTopology;
  cgroups: PerNode<string>;
  fortio: Fortio;
  agents: PerNode<AgentProcess>;
  /** The PIDs of the reference relays: node1's in the direct client pod, node2's in the direct server pod. */
  relays: PerNode<number>;
  configPaths: PerNode<string>;
  work: string;
  /** Aborted on SIGINT/SIGTERM: nothing new is started while the teardown runs. */
  signal: AbortSignal;
}

/** Rewrites both static configs to `members`, signals both agents and waits until each runs it. */
async function applyMesh(bench: Bench, version: string, members: MeshMember[]): Promise<void> {
  await forEachNode(bench.agents, async (agent) => {
    const node = agent.node as NodeName;
    writeStaticMeshConfig(bench.configPaths[node], node, version, members);
    await agent.reloadTo(version, members.filter((m) => m.pod.node === node).length);
  });
}

/**
 * One fortio run from a client pod to a server pod, the CPU meanwhile of the proxies on the
 * path (the agents, or the relays for `relay`), and a check that the path was the one meant.
 */
async function measure(bench: Bench, path: BenchPath, qps: number, connections: number, seconds: number): Promise<{ result: LoadResult; cores: PerNode<number> }> {
  const { topology, agents, relays } = bench;
  bench.signal.throwIfAborted();
  const [client, url] =
    path === 'meshed'
      ? [topology.clientMesh, `http://${topology.serverMesh.ip}:8080/echo`]
      : path === 'direct'
        ? [topology.clientDirect, `http://${topology.serverDirect.ip}:8080/echo`]
        : [topology.clientDirect, `http://127.0.0.1:${relayPorts.outbound}/echo`];
  const cpuOf = (node: NodeName): number => (path === 'relay' ? processUsage(relays[node]).cpuSeconds : processUsage(agents[node].pid).cpuSeconds);
  const counted = (): Promise<number> => agents.node1.metricTotal('weft_requests_total', { direction: 'outbound' });
  const requestsBefore = await counted();
  const before = { node1: cpuOf('node1'), node2: cpuOf('node2') };
  const result = await bench.fortio.load({ pod: client.netnsPath, cgroup: bench.cgroups.node1, url, qps, connections, seconds, resultPath: join(bench.work, 'fortio.json') });
  const after = { node1: cpuOf('node1'), node2: cpuOf('node2') };
  const proxied = (await counted()) - requestsBefore;
  if (path !== 'meshed' && proxied !== 0) throw new WeftError('WEFT_BENCH_WRONG_PATH', `the ${path} run went through the agent (${proxied} requests counted)`);
  if (path === 'meshed' && proxied < result.requests) throw new WeftError('WEFT_BENCH_WRONG_PATH', `the meshed run made ${result.requests} requests but agent node1 counted ${proxied}: not everything was captured`);
  return { result, cores: { node1: (after.node1 - before.node1) / result.seconds, node2: (after.node2 - before.node2) / result.seconds } };
}

/** Starts a reference relay in a pod and waits until it listens; the lab stops it at cleanup. */
async function startRelay(lab: NetnsLab, pod: string, listen: string, port: number, target: string, targetPort: number): Promise<number> {
  const relay = new ProcessOutput(lab.spawn(pod, process.execPath, [tcpRelay, listen, String(port), target, String(targetPort)]));
  await relay.waitFor((line) => line.startsWith('{"listening"'), 10_000).catch((error: unknown) => {
    throw new WeftError('WEFT_BENCH_RELAY_FAILED', `the reference relay in ${pod} did not start: ${relay.stderr}`, { cause: error });
  });
  const pid = relay.child.pid;
  if (pid === undefined) throw new WeftError('WEFT_BENCH_RELAY_FAILED', `the reference relay in ${pod} has no PID`);
  return pid;
}

/** Fails loudly: a fixed-rate figure with failed requests would compare unlike with like. */
function requireNoErrors(path: string, result: LoadResult): LoadResult {
  if (result.errors > 0) throw new WeftError('WEFT_BENCH_REQUESTS_FAILED', `${path}: ${result.errors} of ${result.requests} requests failed at ${result.requestedQps} req/s over ${result.connections} connections (codes ${JSON.stringify(result.codes)})`);
  return result;
}

/**
 * The highest rate that passes (no error, p99 under the limit, ≥ 95 % of the asked rate
 * reached). p99 is not monotonic in the rate on a shared machine: at low rates it is set by
 * how fast each sleeping process on the path is woken, so one failed step does not end the
 * scan. The rate doubles until the path saturates (the asked rate is not reached), then
 * the bench bisects between the highest passing step and the next one up.
 */
async function maxRate(bench: Bench, path: BenchPath): Promise<RatePoint | undefined> {
  const step = async (qps: number): Promise<{ point: RatePoint; result: LoadResult; ok: boolean; saturated: boolean }> => {
    const { result, cores } = await measure(bench, path, qps, search.connections, search.stepSeconds);
    const saturated = result.actualQps < 0.95 * qps;
    const ok = result.errors === 0 && result.p99Ms < search.p99LimitMs && !saturated;
    const verdict = ok ? 'passes' : saturated ? 'saturated' : 'fails';
    progress(`  ${path} ${String(qps).padStart(6)} req/s: reached ${result.actualQps.toFixed(0)}, p99 ${result.p99Ms.toFixed(2)} ms, ${result.errors} errors → ${verdict}`);
    return { point: { result, agentCores: cores }, result, ok, saturated };
  };
  let good: RatePoint | undefined;
  for (let qps = search.startQps; qps <= search.maxQps; qps *= 2) {
    const { point, ok, saturated } = await step(qps);
    if (ok) good = point;
    if (saturated) break;
  }
  for (let qps = search.startQps / 2; !good && qps >= 125; qps /= 2) {
    const { point, ok } = await step(qps);
    if (ok) good = point;
  }
  if (!good) return undefined;
  let bad = 2 * good.result.requestedQps;
  for (let i = 0; i < search.bisections && bad - good.result.requestedQps > 0.05 * good.result.requestedQps; i++) {
    const qps = Math.round((good.result.requestedQps + bad) / 2 / 50) * 50;
    const { point, ok } = await step(qps);
    if (ok) good = point;
    else bad = qps;
  }
  return good;
}

async function run(bench: Bench, fortioVersion: string): Promise<DatapathFigures> {
  const { lab, topology, agents } = bench;
  const loadAtStart = loadAverage();
  const meshPair: MeshMember[] = [
    { pod: topology.clientMesh, serviceAccount: 'client' },
    { pod: topology.serverMesh, serviceAccount: 'server' },
  ];
  progress('both agents ready; weighing them idle (no pod enrolled)');
  const idle = await rss(agents, 3000);

  progress('enrolling the meshed client and server pods');
  await applyMesh(bench, 'mesh', meshPair);
  const beforePods = await rss(agents);
  progress(`enrolling ${idlePods} more pods (${idlePods / 2} per node, each its own identity)`);
  await applyMesh(bench, 'mesh+idle', [...meshPair, ...topology.idle.map((pod, i) => ({ pod, serviceAccount: `idle-${i}` }))]);
  const withPods = await rss(agents);

  progress(`opening ${heldConnections} idle meshed connections (client pod → server pod, TCP echo)`);
  const beforeConnections = await rss(agents, 1000);
  const opened = await bench.agents.node1.metricTotal('weft_tcp_connections_opened_total', { direction: 'outbound' });
  bench.signal.throwIfAborted();
  const holder = new ProcessOutput(lab.spawn(topology.clientMesh.netnsPath, process.execPath, [holdConnections, topology.serverMesh.ip, '8078', String(heldConnections)], { cgroup: bench.cgroups.node1 }));
  const holding = JSON.parse(await holder.waitFor((line) => line.startsWith('{'), 60_000)) as { held: number; failed: number };
  if (holding.held !== heldConnections) throw new WeftError('WEFT_BENCH_CONNECTIONS_FAILED', `only ${holding.held} of ${heldConnections} connections opened (${holding.failed} failed): ${holder.stderr}`);
  const meshedConnections = (await bench.agents.node1.metricTotal('weft_tcp_connections_opened_total', { direction: 'outbound' })) - opened;
  if (meshedConnections < heldConnections) throw new WeftError('WEFT_BENCH_WRONG_PATH', `${heldConnections} connections held, but agent node1 opened ${meshedConnections}`);
  const withConnections = await rss(agents);
  const holderPid = holder.child.pid;
  if (holderPid !== undefined) process.kill(holderPid, 'SIGTERM');
  await holder.exit();

  progress(`warming up the three paths (3 s each at ${rate} req/s)`);
  for (const path of ['direct', 'meshed', 'relay'] as const) requireNoErrors(`${path} warm-up`, (await measure(bench, path, rate, search.connections, 3)).result);

  const fixedRate: FixedRateFigures[] = [];
  const relayFixedRate: RelayFixedRateFigures[] = [];
  for (const connections of connectionCounts) {
    progress(`${rate} req/s over ${connections} connections for ${fixedSeconds} s: direct…`);
    const direct = await measure(bench, 'direct', rate, connections, fixedSeconds);
    progress(`${rate} req/s over ${connections} connections for ${fixedSeconds} s: meshed…`);
    const meshed = await measure(bench, 'meshed', rate, connections, fixedSeconds);
    fixedRate.push({
      connections,
      direct: requireNoErrors('direct', direct.result),
      meshed: requireNoErrors('meshed', meshed.result),
      agentCores: { direct: direct.cores, meshed: meshed.cores },
    });
    progress(`${rate} req/s over ${connections} connections for ${fixedSeconds} s: through the reference relays…`);
    const relayed = await measure(bench, 'relay', rate, connections, fixedSeconds);
    relayFixedRate.push({ connections, relay: requireNoErrors('relay', relayed.result), relayCores: relayed.cores });
  }

  progress(`searching the highest rate with p99 < ${search.p99LimitMs} ms (${search.connections} connections, ${search.stepSeconds} s steps)`);
  const maxDirect = await maxRate(bench, 'direct');
  const maxMeshed = await maxRate(bench, 'meshed');
  const maxRelay = await maxRate(bench, 'relay');
  const afterLoad = await rss(agents);

  return {
    fortioVersion,
    loadAverage: { start: loadAtStart, end: loadAverage() },
    rate,
    seconds: fixedSeconds,
    fixedRate,
    maxRate: { connections: search.connections, stepSeconds: search.stepSeconds, p99LimitMs: search.p99LimitMs, direct: maxDirect, meshed: maxMeshed },
    reference: { fixedRate: relayFixedRate, maxRate: maxRelay },
    memory: { idle, pods: idlePods, beforePods, withPods, connections: heldConnections, beforeConnections, withConnections, afterLoad },
  };
}

async function main(): Promise<void> {
  const started = performance.now();
  const fortioBinary = preflight();
  const fortioVersion = execFileSync(fortioBinary, ['version'], { encoding: 'utf8' }).trim();
  const teardown = new Teardown();
  const state = { interrupted: false };
  const abort = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    state.interrupted = true;
    abort.abort(new WeftError('WEFT_BENCH_INTERRUPTED', `interrupted by ${signal}`));
    progress(`${signal}: cleaning up`);
    void teardown.run().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    progress(`goals: Δp99 ≤ ${datapathGoals.deltaP99Ms} ms, throughput ratio ≥ ${datapathGoals.throughputRatio}, ≤ ${datapathGoals.cpuPer1000} CPU per 1,000 req/s`);
    progress('building two nodes and their pods in network namespaces');
    const lab = NetnsLab.create();
    teardown.add('the network lab', () => lab.cleanup());
    const topology = buildTwoNodeTopology(lab, { idlePods });
    const cgroups = { node1: lab.cgroup('node1'), node2: lab.cgroup('node2') };
    const pinRoots = { node1: lab.bpffs(), node2: lab.bpffs() };
    const work = mkdtempSync(join(tmpdir(), 'weft-datapath-bench-'));
    teardown.add('the work folder', () => rmSync(work, { recursive: true, force: true }));

    progress('starting the CA (gRPC/TLS on 127.0.0.1)');
    const anchor = await generateTrustAnchor({ trustDomain: 'cluster.local' });
    const ca = await startGrpcServer({ host: '127.0.0.1', port: 0, serving: await issueServingIdentity(anchor, { dns: [caServerName] }), authority: trustingAuthority({ anchor }) });
    teardown.add('the CA', () => ca.server.forceShutdown());
    const trustBundlePath = join(work, 'root.crt');
    const tokenPath = join(work, 'token');
    writeFileSync(trustBundlePath, anchor.root.certificate.toString('pem'));
    writeFileSync(tokenPath, 'bench-agent\n', { mode: 0o600 });

    const fortio = new Fortio(fortioBinary, lab);
    progress('starting fortio echo servers in the two server pods');
    await fortio.server(topology.serverDirect.netnsPath);
    await fortio.server(topology.serverMesh.netnsPath);

    progress(`starting one weft-agent process per node${agentNodeFlags.length > 0 ? ` (node flags: ${agentNodeFlags.join(' ')})` : ''}`);
    const configPaths = { node1: join(work, 'node1.json'), node2: join(work, 'node2.json') };
    const start = async (node: NodeName): Promise<AgentProcess> => {
      writeStaticMeshConfig(configPaths[node], node, 'idle', []);
      const agent = AgentProcess.start({
        node,
        adminPort: await freePort(),
        cgroupPath: cgroups[node],
        pinRoot: pinRoots[node],
        staticConfigPath: configPaths[node],
        caAddress: `127.0.0.1:${ca.port}`,
        caServerName,
        trustBundlePath,
        tokenPath,
        cpuProfileDir,
        nodeFlags: agentNodeFlags,
      });
      // Before the lab (added earlier, so undone later): the agent must be gone before its cgroup and pins.
      teardown.add(`weft-agent ${node}`, async () => {
        const ended = await agent.stop();
        const { count, first } = agent.complaints();
        progress(`weft-agent ${node}: ${ended}; ${count} warning or error lines logged${first.length > 0 ? `, first:\n  ${first.join('\n  ')}` : ''}`);
      });
      return agent;
    };
    const agents = { node1: await start('node1'), node2: await start('node2') };
    await forEachNode(agents, (agent) => agent.waitReady());

    progress('starting the reference relays (bare Node TCP, in the direct client and server pods)');
    const relays = {
      node1: await startRelay(lab, topology.clientDirect.netnsPath, '127.0.0.1', relayPorts.outbound, topology.serverDirect.ip, relayPorts.inbound),
      node2: await startRelay(lab, topology.serverDirect.netnsPath, topology.serverDirect.ip, relayPorts.inbound, '127.0.0.1', 8080),
    };

    const figures = await run({ lab, topology, cgroups, fortio, agents, relays, configPaths, work, signal: abort.signal }, fortioVersion);
    await forEachNode(agents, (agent) => {
      if (!agent.running) throw new WeftError('WEFT_BENCH_AGENT_FAILED', `weft-agent of ${agent.node} exited during the bench:\n${agent.logTail()}`);
    });
    process.stdout.write(formatDatapathReport(figures));
    progress(`done in ${Math.round((performance.now() - started) / 1000)} s; cleaning up`);
  } catch (error) {
    if (state.interrupted) return;
    throw error;
  } finally {
    if (!state.interrupted) await teardown.run();
  }
}

await main();
