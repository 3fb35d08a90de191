import type { LoadResult } from './fortio.js';
import { fmt, percentile } from './stats.js';
import type { NodeName } from './two-node-topology.js';

export const datapathGoals = { deltaP99Ms: 0.5, throughputRatio: 0.6, cpuPer1000: 0.1 } as const;

type PerNode = Record<NodeName, number>;

/** The three paths at the fixed rate, measured one after the other (one repetition). */
export interface FixedRateRun {
  direct: LoadResult;
  meshed: LoadResult;
  /** The direct pods through the pair of bare Node TCP relays. */
  relay: LoadResult;
  /** CPU (cores: CPU seconds / run seconds) of the agents (direct, meshed) or the relays (relay). */
  cores: { direct: PerNode; meshed: PerNode; relay: PerNode };
}

export interface FixedRateFigures {
  connections: number;
  /** Interleaved repetitions: direct, meshed, relay, direct, … */
  runs: FixedRateRun[];
}

/** One step of the rate search: what fortio measured and each proxy's CPU (cores) meanwhile. */
export interface RatePoint {
  result: LoadResult;
  agentCores: PerNode;
}

/** One repetition of the rate search on each path (undefined: no rate passed). */
export interface MaxRateRun {
  direct: RatePoint | undefined;
  meshed: RatePoint | undefined;
  relay: RatePoint | undefined;
}

export interface DatapathFigures {
  fortioVersion: string;
  /** /proc/loadavg (1, 5, 15 min) when the measurements began and ended. */
  loadAverage: { start: string; end: string };
  rate: number;
  seconds: number;
  repetitions: number;
  fixedRate: FixedRateFigures[];
  maxRate: { connections: number; stepSeconds: number; p99LimitMs: number; runs: MaxRateRun[] };
  /** RSS in bytes of each agent at each stage, each read after a full garbage collection. */
  memory: {
    idle: PerNode;
    pods: number;
    beforePods: PerNode;
    withPods: PerNode;
    connections: number;
    /** `connections` between one pod pair: one mTLS session. */
    onePair: { before: PerNode; with: PerNode };
    /** `connections` spread over `pairs` pod pairs: an mTLS session each. */
    spread: { pairs: number; before: PerNode; with: PerNode };
    afterLoad: PerNode;
  };
}

const sum = (value: PerNode): number => value.node1 + value.node2;
const delta = (after: PerNode, before: PerNode): number => sum(after) - sum(before);
const mb = (bytes: number): string => `${fmt(bytes / 2 ** 20, 1)} MB`;
const kb = (bytes: number): string => `${bytes >= 0 ? '+' : ''}${fmt(bytes / 1024, 1)} kB`;
const signed = (value: number): string => `${value >= 0 ? '+' : ''}${fmt(value)}`;
const met = (ok: boolean): string => (ok ? 'met' : 'NOT met');

/** The median of repeated figures and their spread, as printed: "+0.98 (+0.91…+1.20)". */
export function medianSpread(values: number[], show: (value: number) => string = signed): { median: number; text: string } {
  const median = percentile(values, 50);
  return { median, text: `${show(median)} (${show(Math.min(...values))}…${show(Math.max(...values))})` };
}

/** CPU of both proxies per 1,000 req/s of a run. */
export function cpuPer1000(cores: PerNode, result: LoadResult): number {
  return sum(cores) / (result.actualQps / 1000);
}

/** The printed result: every figure beside the direct path of the same runs, and the goals, judged on medians. */
export function formatDatapathReport(f: DatapathFigures): string {
  const lines: string[] = [];
  const out = (line = ''): void => void lines.push(line);
  const goalsMet: boolean[] = [];
  out();
  out(`Weft data-path benchmark: direct vs meshed (HBONE mTLS through both agents), across the link between two nodes`);
  out(`fortio ${f.fortioVersion}, HTTP/1.1 keep-alive, 1 kB POST bodies echoed (1 kB each way), constant ${f.rate} req/s, ${f.seconds} s per run`);
  out(`every figure: the median of ${f.repetitions} interleaved repetitions (direct, meshed, relay, direct, …), with the spread (lowest…highest)`);
  out(`machine load average (1/5/15 min, 2 cores): ${f.loadAverage.start} at the start, ${f.loadAverage.end} at the end`);
  out();
  out(`latency at ${f.rate} req/s (ms)       direct              Δ meshed                    Δ relay (reference)        goal`);
  for (const figures of f.fixedRate) {
    for (const key of ['p50Ms', 'p90Ms', 'p99Ms'] as const) {
      const direct = medianSpread(figures.runs.map((r) => r.direct[key]), (v) => fmt(v));
      const meshed = medianSpread(figures.runs.map((r) => r.meshed[key] - r.direct[key]));
      const relay = medianSpread(figures.runs.map((r) => r.relay[key] - r.direct[key]));
      let goal = '';
      if (key === 'p99Ms') {
        const ok = meshed.median <= datapathGoals.deltaP99Ms;
        goalsMet.push(ok);
        goal = `Δ ≤ ${fmt(datapathGoals.deltaP99Ms)}  ${met(ok)}`;
      }
      const label = key === 'p50Ms' ? `${figures.connections} connections` : '';
      out(`  ${label.padEnd(16)} ${key.slice(0, 3)}  ${direct.text.padEnd(18)}  ${meshed.text.padEnd(26)} ${relay.text.padEnd(26)} ${goal}`);
    }
    const requests = figures.runs.map((r) => `${r.direct.requests}/${r.meshed.requests}/${r.relay.requests}`).join(', ');
    out(`  ${''.padEnd(16)} requests (direct/meshed/relay per repetition, none failed): ${requests}`);
  }
  out();
  const { runs } = f.maxRate;
  out(`highest rate passing with p99 < ${f.maxRate.p99LimitMs} ms, no error and ≥ 95 % of the asked rate reached (${f.maxRate.connections} connections, ${f.maxRate.stepSeconds} s steps)`);
  const rates = (pick: (run: MaxRateRun) => RatePoint | undefined): string => runs.map((run) => (pick(run) ? String(pick(run)?.result.requestedQps) : 'none')).join(', ');
  out(`  direct ${rates((r) => r.direct)} req/s;  meshed ${rates((r) => r.meshed)};  relay ${rates((r) => r.relay)}`);
  const ratios = (pick: (run: MaxRateRun) => RatePoint | undefined): number[] => runs.map((run) => (run.direct && pick(run) ? (pick(run)?.result.requestedQps ?? 0) / run.direct.result.requestedQps : 0));
  const meshedRatio = medianSpread(ratios((r) => r.meshed), (v) => fmt(v));
  const relayRatio = medianSpread(ratios((r) => r.relay), (v) => fmt(v));
  const ratioOk = meshedRatio.median >= datapathGoals.throughputRatio;
  goalsMet.push(ratioOk);
  out(`  ratio meshed / direct ${meshedRatio.text}   goal ≥ ${fmt(datapathGoals.throughputRatio)}   ${met(ratioOk)}   (relay / direct ${relayRatio.text})`);
  out();
  out(`proxy CPU per 1,000 req/s at ${f.rate} req/s (utime + stime: both weft-agent processes, or both reference relays)`);
  for (const figures of f.fixedRate) {
    const meshed = medianSpread(figures.runs.map((r) => cpuPer1000(r.cores.meshed, r.meshed)), (v) => fmt(v, 3));
    const relay = medianSpread(figures.runs.map((r) => cpuPer1000(r.cores.relay, r.relay)), (v) => fmt(v, 3));
    const idleAgents = medianSpread(figures.runs.map((r) => sum(r.cores.direct)), (v) => fmt(v, 3));
    const ok = meshed.median <= datapathGoals.cpuPer1000;
    goalsMet.push(ok);
    out(`  ${String(figures.connections).padStart(2)} connections: meshed ${meshed.text}   goal ≤ ${fmt(datapathGoals.cpuPer1000)}   ${met(ok)};  relay ${relay.text};  agents during direct runs ${idleAgents.text} cores`);
  }
  out();
  const m = f.memory;
  out('agent memory (VmRSS, each reading after a full garbage collection and the same settle time)');
  out(`  idle, no pod enrolled       node1 ${mb(m.idle.node1)}, node2 ${mb(m.idle.node2)}`);
  out(`  per enrolled pod            ${kb(delta(m.withPods, m.beforePods) / m.pods)}   (${m.pods} idle pods, each its own identity; both agents: ${mb(sum(m.beforePods))} → ${mb(sum(m.withPods))})`);
  out(`  per open connection         ${kb(delta(m.onePair.with, m.onePair.before) / m.connections)}   (${m.connections} idle meshed connections between one pod pair, one mTLS session: ${mb(sum(m.onePair.before))} → ${mb(sum(m.onePair.with))})`);
  out(`                              ${kb(delta(m.spread.with, m.spread.before) / m.connections)}   (${m.connections} spread over ${m.spread.pairs} pod pairs, an mTLS session each: ${mb(sum(m.spread.before))} → ${mb(sum(m.spread.with))})`);
  out(`  after the load runs         node1 ${mb(m.afterLoad.node1)}, node2 ${mb(m.afterLoad.node2)}`);
  out();
  out(`goals met: ${goalsMet.filter(Boolean).length} of ${goalsMet.length} (Δp99 at each connection count, throughput ratio, CPU at each connection count), each on the median of ${f.repetitions} repetitions`);
  out();
  return lines.join('\n');
}
