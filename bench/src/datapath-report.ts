import type { LoadResult } from './fortio.js';
import { fmt } from './stats.js';
import type { NodeName } from './two-node-topology.js';

export const datapathGoals = { deltaP99Ms: 0.5, throughputRatio: 0.6, cpuPer1000: 0.1 } as const;

/** Both paths at the fixed rate over one number of connections, with the agents' CPU meanwhile. */
export interface FixedRateFigures {
  connections: number;
  direct: LoadResult;
  meshed: LoadResult;
  /** CPU (cores: CPU seconds / run seconds) of each agent during each run. */
  agentCores: { direct: Record<NodeName, number>; meshed: Record<NodeName, number> };
}

/** One step of the rate search: what fortio measured and each agent's CPU (cores) meanwhile. */
export interface RatePoint {
  result: LoadResult;
  agentCores: Record<NodeName, number>;
}

/** The direct pods through the pair of bare Node TCP relays at the fixed rate, and the relays' CPU meanwhile. */
export interface RelayFixedRateFigures {
  connections: number;
  relay: LoadResult;
  /** CPU (cores) of each relay: node1's in the client pod, node2's in the server pod. */
  relayCores: Record<NodeName, number>;
}

export interface DatapathFigures {
  fortioVersion: string;
  /** /proc/loadavg (1, 5, 15 min) when the measurements began and ended. */
  loadAverage: { start: string; end: string };
  rate: number;
  seconds: number;
  fixedRate: FixedRateFigures[];
  maxRate: { connections: number; stepSeconds: number; p99LimitMs: number; direct: RatePoint | undefined; meshed: RatePoint | undefined };
  /** Not a goal: the floor under the agents' figures, measured in the same run (see fixtures/tcp-relay.ts). */
  reference: { fixedRate: RelayFixedRateFigures[]; maxRate: RatePoint | undefined };
  /** RSS in bytes of each agent at each stage. */
  memory: {
    idle: Record<NodeName, number>;
    pods: number;
    beforePods: Record<NodeName, number>;
    withPods: Record<NodeName, number>;
    connections: number;
    beforeConnections: Record<NodeName, number>;
    withConnections: Record<NodeName, number>;
    afterLoad: Record<NodeName, number>;
  };
}

const sum = (value: Record<NodeName, number>): number => value.node1 + value.node2;
const delta = (after: Record<NodeName, number>, before: Record<NodeName, number>): number => sum(after) - sum(before);
const mb = (bytes: number): string => `${fmt(bytes / 2 ** 20, 1)} MB`;
const kb = (bytes: number): string => `${bytes >= 0 ? '+' : ''}${fmt(bytes / 1024, 1)} kB`;
const signed = (value: number): string => `${value >= 0 ? '+' : ''}${fmt(value)}`;
const met = (ok: boolean): string => (ok ? 'met' : 'NOT met');

/** CPU of both agents per 1,000 req/s of the meshed run. */
export function cpuPer1000(figures: FixedRateFigures): number {
  return sum(figures.agentCores.meshed) / (figures.meshed.actualQps / 1000);
}

/** The printed result: every figure beside the direct path of the same run, and the goals. */
export function formatDatapathReport(f: DatapathFigures): string {
  const lines: string[] = [];
  const out = (line = ''): void => void lines.push(line);
  const goalsMet: boolean[] = [];
  out();
  out(`Weft data-path benchmark: direct vs meshed (HBONE mTLS through both agents), across the link between two nodes`);
  out(`fortio ${f.fortioVersion}, HTTP/1.1 keep-alive, 1 kB POST bodies echoed (1 kB each way), constant ${f.rate} req/s, ${f.seconds} s per run`);
  out(`machine load average (1/5/15 min, 2 cores): ${f.loadAverage.start} at the start, ${f.loadAverage.end} at the end`);
  out();
  out(`latency at ${f.rate} req/s (ms)     direct    meshed         Δ   goal            `);
  for (const run of f.fixedRate) {
    const row = (label: string, key: 'p50Ms' | 'p90Ms' | 'p99Ms', goal?: number): void => {
      const d = run.meshed[key] - run.direct[key];
      let tail = '';
      if (goal !== undefined) {
        goalsMet.push(d <= goal);
        tail = `   Δ ≤ ${fmt(goal)}       ${met(d <= goal)}`;
      }
      out(`  ${label.padEnd(14)} ${key.slice(0, 3)}   ${fmt(run.direct[key]).padStart(8)}  ${fmt(run.meshed[key]).padStart(8)}  ${signed(d).padStart(8)}${tail}`);
    };
    row(`${run.connections} connections`, 'p50Ms');
    row('', 'p90Ms');
    row('', 'p99Ms', datapathGoals.deltaP99Ms);
    out(`  ${''.padEnd(14)} max   ${fmt(run.direct.maxMs).padStart(8)}  ${fmt(run.meshed.maxMs).padStart(8)}   (requests: ${run.direct.requests} direct, ${run.meshed.requests} meshed, none failed)`);
  }
  out();
  const { direct, meshed } = f.maxRate;
  out(`highest rate passing with p99 < ${f.maxRate.p99LimitMs} ms, no error and ≥ 95 % of the asked rate reached (${f.maxRate.connections} connections, ${f.maxRate.stepSeconds} s steps)`);
  const rate = (point: RatePoint | undefined): string => (point ? `${point.result.requestedQps} req/s (p99 ${fmt(point.result.p99Ms)} ms)` : 'none found');
  out(`  direct ${rate(direct)}`);
  out(`  meshed ${rate(meshed)}`);
  if (direct && meshed) {
    const ratio = meshed.result.requestedQps / direct.result.requestedQps;
    goalsMet.push(ratio >= datapathGoals.throughputRatio);
    out(`  ratio meshed / direct ${fmt(ratio)}   goal ≥ ${fmt(datapathGoals.throughputRatio)}   ${met(ratio >= datapathGoals.throughputRatio)}`);
  } else {
    goalsMet.push(false);
    out(`  ratio: not measured   goal ≥ ${fmt(datapathGoals.throughputRatio)}   NOT met`);
  }
  out();
  out(`agent CPU (utime + stime of both weft-agent processes) at ${f.rate} req/s`);
  for (const run of f.fixedRate) {
    const per1000 = cpuPer1000(run);
    goalsMet.push(per1000 <= datapathGoals.cpuPer1000);
    const { meshed: m, direct: d } = run.agentCores;
    out(
      `  ${String(run.connections).padStart(2)} connections: meshed ${fmt(sum(m), 3)} cores (node1 ${fmt(m.node1, 3)}, node2 ${fmt(m.node2, 3)}); direct ${fmt(sum(d), 3)} → ${fmt(per1000, 3)} per 1,000 req/s   goal ≤ ${fmt(datapathGoals.cpuPer1000)}   ${met(per1000 <= datapathGoals.cpuPer1000)}`,
    );
  }
  if (meshed) {
    const cores = sum(meshed.agentCores);
    out(`  for comparison, at the meshed highest rate (${meshed.result.requestedQps} req/s): ${fmt(cores, 3)} cores → ${fmt(cores / (meshed.result.actualQps / 1000), 3)} per 1,000 req/s`);
  }
  out();
  out('reference, not a goal: the same two hops through a pair of bare Node TCP relays (no TLS, HTTP/2,');
  out('observing or policy; one in the direct client pod, one in the direct server pod): the floor under');
  out('any proxy written for Node on this machine, measured in this run');
  for (const run of f.reference.fixedRate) {
    const direct = f.fixedRate.find((figures) => figures.connections === run.connections);
    const d = (key: 'p50Ms' | 'p90Ms' | 'p99Ms'): string => (direct ? signed(run.relay[key] - direct.direct[key]) : '?');
    const cores = sum(run.relayCores);
    const meshedPer1000 = direct ? ` (meshed ${fmt(cpuPer1000(direct), 3)})` : '';
    out(`  ${String(run.connections).padStart(2)} connections: Δp50 ${d('p50Ms')}, Δp90 ${d('p90Ms')}, Δp99 ${d('p99Ms')} ms against direct; relays ${fmt(cores, 3)} cores → ${fmt(cores / (run.relay.actualQps / 1000), 3)} per 1,000 req/s${meshedPer1000}`);
  }
  const relayMax = f.reference.maxRate;
  const relayRatio = relayMax && direct ? ` → ratio relay / direct ${fmt(relayMax.result.requestedQps / direct.result.requestedQps)}` : '';
  out(`  highest rate ${rate(relayMax)}${relayRatio}`);
  out();
  const m = f.memory;
  out('agent memory (VmRSS)');
  out(`  idle, no pod enrolled       node1 ${mb(m.idle.node1)}, node2 ${mb(m.idle.node2)}`);
  out(`  per enrolled pod            ${kb(delta(m.withPods, m.beforePods) / m.pods)}   (${m.pods} idle pods, each its own identity; both agents: ${mb(sum(m.beforePods))} → ${mb(sum(m.withPods))})`);
  out(`  per open connection         ${kb(delta(m.withConnections, m.beforeConnections) / m.connections)}   (${m.connections} idle meshed connections; both agents: ${mb(sum(m.beforeConnections))} → ${mb(sum(m.withConnections))})`);
  out(`  after the load runs         node1 ${mb(m.afterLoad.node1)}, node2 ${mb(m.afterLoad.node2)}`);
  out();
  out(`goals met: ${goalsMet.filter(Boolean).length} of ${goalsMet.length} (Δp99 at each connection count, throughput ratio, CPU at each connection count)`);
  out();
  return lines.join('\n');
}
