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
import { datapathGoals, formatDatapathReport, type DatapathFigures, type FixedRateFigures, type FixedRateRun, type MaxRateRun, type RatePoint } from './datapath-report.js';
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
/** Every verdict comes from this many interleaved repetitions (direct, meshed, relay, direct, …). */
const repetitions = 3;
/** Connections spread over this many client/server pod pairs: an mTLS session each. */
const spreadPairs = 10;
const caServerName = 'weft-control.weft-system.svc';
const nodeNames: NodeName[] = ['node1', 'node2'];
const holdConnectionsFixture = fileURLToPath(new URL('./fixtures/hold-connections.js', import.meta.url));
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

/**
 * Each agent's RSS: after a full garbage collection in each and the same 2 s to settle every
 * time, the median of 5 readings over 2 s.
 */
async function rss(agents: PerNode<AgentProcess>): Promise<PerNode<number>> {
  for (const node of nodeNames) agents[node].collectGarbage();
  await sleep(2000);
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
  // Every counter of both agents: node1 sees the meshed requests outbound, node2 inbound.
  const counted = async (): Promise<{ out1: number; in1: number; out2: number; in2: number }> => {
    const [out1, in1, out2, in2] = await Promise.all([
      agents.node1.metricTotal('weft_requests_total', { direction: 'outbound' }),
      agents.node1.metricTotal('weft_requests_total', { direction: 'inbound' }),
      agents.node2.metricTotal('weft_requests_total', { direction: 'outbound' }),
      agents.node2.metricTotal('weft_requests_total', { direction: 'inbound' }),
    ]);
    return { out1, in1, out2, in2 };
  };
  const countedBefore = await counted();
  const before = { node1: cpuOf('node1'), node2: cpuOf('node2') };
  const result = await bench.fortio.load({ pod: client.netnsPath, cgroup: bench.cgroups.node1, url, qps, connections, seconds, resultPath: join(bench.work, 'fortio.json') });
  const after = { node1: cpuOf('node1'), node2: cpuOf('node2') };
  const countedAfter = await counted();
  const seen = { out1: countedAfter.out1 - countedBefore.out1, in1: countedAfter.in1 - countedBefore.in1, out2: countedAfter.out2 - countedBefore.out2, in2: countedAfter.in2 - countedBefore.in2 };
  const total = seen.out1 + seen.in1 + seen.out2 + seen.in2;
  if (path !== 'meshed' && total !== 0) throw new WeftError('WEFT_BENCH_WRONG_PATH', `the ${path} run went through an agent (requests counted: ${JSON.stringify(seen)})`);
  if (path === 'meshed' && (seen.out1 < result.requests || seen.in2 < result.requests || seen.in1 !== 0 || seen.out2 !== 0)) {
    throw new WeftError('WEFT_BENCH_WRONG_PATH', `the meshed run made ${result.requests} requests, but the agents counted ${JSON.stringify(seen)} (node1 outbound and node2 inbound must see every one, nothing else)`);
  }
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

/**
 * Opens `perPair` idle connections from each client pod to its server pod (TCP echo), checks
 * the agents proxied them all, weighs the agents with them open, then closes them.
 */
async function holdConnections(bench: Bench, pairs: { client: string; server: string }[], perPair: number): Promise<{ before: PerNode<number>; with: PerNode<number> }> {
  const before = await rss(bench.agents);
  const opened = await bench.agents.node1.metricTotal('weft_tcp_connections_opened_total', { direction: 'outbound' });
  bench.signal.throwIfAborted();
  const holders = pairs.map(({ client, server }) => new ProcessOutput(bench.lab.spawn(client, process.execPath, [holdConnectionsFixture, server, '8078', String(perPair)], { cgroup: bench.cgroups.node1 })));
  try {
    for (const holder of holders) {
      const holding = JSON.parse(await holder.waitFor((line) => line.startsWith('{'), 60_000)) as { held: number; failed: number };
      if (holding.held !== perPair) throw new WeftError('WEFT_BENCH_CONNECTIONS_FAILED', `only ${holding.held} of ${perPair} connections opened (${holding.failed} failed): ${holder.stderr}`);
    }
    const meshed = (await bench.agents.node1.metricTotal('weft_tcp_connections_opened_total', { direction: 'outbound' })) - opened;
    if (meshed < pairs.length * perPair) throw new WeftError('WEFT_BENCH_WRONG_PATH', `${pairs.length * perPair} connections held, but agent node1 opened ${meshed}`);
    return { before, with: await rss(bench.agents) };
  } finally {
    for (const holder of holders) {
      if (holder.child.pid !== undefined && holder.child.exitCode === null) process.kill(holder.child.pid, 'SIGTERM');
      await holder.exit();
    }
  }
}

async function run(bench: Bench, fortioVersion: string): Promise<DatapathFigures> {
  const { topology, agents } = bench;
  const loadAtStart = loadAverage();
  const meshPair: MeshMember[] = [
    { pod: topology.clientMesh, serviceAccount: 'client' },
    { pod: topology.serverMesh, serviceAccount: 'server' },
  ];
  const spread: MeshMember[] = [
    ...topology.spread.clients.map((pod, i) => ({ pod, serviceAccount: `spread-client-${i}` })),
    ...topology.spread.servers.map((pod, i) => ({ pod, serviceAccount: `spread-server-${i}` })),
  ];
  progress('both agents ready; weighing them idle (no pod enrolled)');
  const idle = await rss(agents);

  progress('enrolling the meshed client and server pods');
  await applyMesh(bench, 'mesh', meshPair);
  const beforePods = await rss(agents);
  progress(`enrolling ${idlePods} more pods (${idlePods / 2} per node, each its own identity)`);
  const withIdle = [...meshPair, ...topology.idle.map((pod, i) => ({ pod, serviceAccount: `idle-${i}` }))];
  await applyMesh(bench, 'mesh+idle', withIdle);
  const withPods = await rss(agents);

  progress(`opening ${heldConnections} idle meshed connections between one pod pair (one mTLS session)`);
  const onePair = await holdConnections(bench, [{ client: topology.clientMesh.netnsPath, server: topology.serverMesh.ip }], heldConnections);
  progress(`opening ${heldConnections} idle meshed connections spread over ${spreadPairs} pod pairs (an mTLS session each)`);
  await applyMesh(bench, 'mesh+idle+spread', [...withIdle, ...spread]);
  const spreadHeld = await holdConnections(
    bench,
    topology.spread.clients.map((client, i) => ({ client: client.netnsPath, server: topology.spread.servers[i]?.ip ?? '' })),
    heldConnections / spreadPairs,
  );
  await applyMesh(bench, 'mesh+idle+2', withIdle);

  progress(`warming up the three paths (3 s each at ${rate} req/s)`);
  for (const path of ['direct', 'meshed', 'relay'] as const) requireNoErrors(`${path} warm-up`, (await measure(bench, path, rate, search.connections, 3)).result);

  const fixedRate: FixedRateFigures[] = [];
  for (const connections of connectionCounts) {
    const runs: FixedRateRun[] = [];
    for (let repetition = 1; repetition <= repetitions; repetition++) {
      const one = async (path: BenchPath): Promise<{ result: LoadResult; cores: PerNode<number> }> => {
        progress(`${rate} req/s over ${connections} connections for ${fixedSeconds} s (${repetition} of ${repetitions}): ${path}…`);
        const measured = await measure(bench, path, rate, connections, fixedSeconds);
        requireNoErrors(path, measured.result);
        return measured;
      };
      const direct = await one('direct');
      const meshed = await one('meshed');
      const relay = await one('relay');
      runs.push({ direct: direct.result, meshed: meshed.result, relay: relay.result, cores: { direct: direct.cores, meshed: meshed.cores, relay: relay.cores } });
    }
    fixedRate.push({ connections, runs });
  }

  progress(`searching the highest rate with p99 < ${search.p99LimitMs} ms (${search.connections} connections, ${search.stepSeconds} s steps), ${repetitions} times, interleaved`);
  const maxRates: MaxRateRun[] = [];
  for (let repetition = 1; repetition <= repetitions; repetition++) {
    progress(`rate search ${repetition} of ${repetitions}`);
    maxRates.push({ direct: await maxRate(bench, 'direct'), meshed: await maxRate(bench, 'meshed'), relay: await maxRate(bench, 'relay') });
  }
  const afterLoad = await rss(agents);

  return {
    fortioVersion,
    loadAverage: { start: loadAtStart, end: loadAverage() },
    rate,
    seconds: fixedSeconds,
    repetitions,
    fixedRate,
    maxRate: { connections: search.connections, stepSeconds: search.stepSeconds, p99LimitMs: search.p99LimitMs, runs: maxRates },
    memory: {
      idle,
      pods: idlePods,
      beforePods,
      withPods,
      connections: heldConnections,
      onePair,
      spread: { pairs: spreadPairs, ...spreadHeld },
      afterLoad,
    },
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
    const topology = buildTwoNodeTopology(lab, { idlePods, spreadPairs });
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
    for (const server of topology.spread.servers) await fortio.server(server.netnsPath);

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
        // --expose-gc: memory is read after a full collection (AgentProcess.collectGarbage).
        nodeFlags: ['--expose-gc', ...agentNodeFlags],
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
