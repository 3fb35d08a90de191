import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, rmSync } from 'node:fs';
import { WeftError } from '@weft/api';
import type { NetnsLab } from '@weft/agent/testing';

/** Histogram resolution of fortio's lowest buckets: 50 µs steps up to 0.55 ms, 1 ms steps at 5–10 ms. */
const resolutionSeconds = 0.00005;

/** What one constant-rate run measured (latencies in milliseconds). */
export interface LoadResult {
  requestedQps: number;
  actualQps: number;
  connections: number;
  seconds: number;
  requests: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Requests that failed or answered anything but 200, by fortio's code ("-1" for socket errors). */
  errors: number;
  codes: Record<string, number>;
}

export interface LoadOptions {
  /** Client pod netns, and the capture cgroup its process must be in. */
  pod: string;
  cgroup: string;
  url: string;
  qps: number;
  connections: number;
  seconds: number;
  /** Where fortio writes its JSON result (removed once read). */
  resultPath: string;
}

interface FortioJson {
  ActualQPS: number;
  ActualDuration: number;
  RetCodes: Record<string, number>;
  DurationHistogram: { Count: number; Max: number; Percentiles?: { Percentile: number; Value: number }[] };
}

/** fortio: `server` (HTTP echo on 8080, TCP echo on 8078) and `load` runs, each in a pod netns of the lab. */
export class Fortio {
  readonly #binary: string;
  readonly #lab: NetnsLab;

  constructor(binary: string, lab: NetnsLab) {
    this.#binary = binary;
    this.#lab = lab;
  }

  /** Starts an echo server in a pod and waits until it listens. The lab stops it at cleanup. */
  async server(pod: string): Promise<ChildProcess> {
    const child = this.#lab.spawn(pod, this.#binary, ['server', '-http-port', '8080', '-tcp-port', '8078', '-grpc-port', 'disabled', '-redirect-port', 'disabled', '-udp-port', 'disabled', '-loglevel', 'info']);
    let seen = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new WeftError('WEFT_BENCH_FORTIO_FAILED', `fortio server in ${pod} did not start: ${seen}`)), 10_000);
      child.stderr?.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        if (seen.includes('http-echo server listening') && seen.includes('tcp-echo server listening')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new WeftError('WEFT_BENCH_FORTIO_FAILED', `fortio server in ${pod} exited (${String(code)}): ${seen}`));
      });
    });
    return child;
  }

  /** One constant-rate run of `qps` over `connections` keep-alive connections, 1 kB POST bodies echoed. */
  async load(options: LoadOptions): Promise<LoadResult> {
    const args = [
      'load',
      ...['-qps', String(options.qps), '-c', String(options.connections), '-t', `${options.seconds}s`],
      // -uniform spreads the connections' send times, so the rate is constant, not in bursts.
      '-uniform',
      ...['-payload-size', '1024', '-r', String(resolutionSeconds), '-p', '50,90,99'],
      ...['-loglevel', 'error', '-json', options.resultPath],
      options.url,
    ];
    const child = this.#lab.spawn(options.pod, this.#binary, args, { cgroup: options.cgroup });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    let json: FortioJson;
    try {
      json = JSON.parse(readFileSync(options.resultPath, 'utf8')) as FortioJson;
      rmSync(options.resultPath, { force: true });
    } catch (error) {
      throw new WeftError('WEFT_BENCH_FORTIO_FAILED', `fortio load ${args.join(' ')} exited ${String(code)} without a result: ${output.slice(-2000)}`, { cause: error });
    }
    const histogram = json.DurationHistogram;
    const percentile = (p: number): number => 1000 * (histogram.Percentiles?.find((x) => x.Percentile === p)?.Value ?? Number.NaN);
    const ok = json.RetCodes['200'] ?? 0;
    return {
      requestedQps: options.qps,
      actualQps: json.ActualQPS,
      connections: options.connections,
      seconds: json.ActualDuration / 1e9,
      requests: histogram.Count,
      p50Ms: percentile(50),
      p90Ms: percentile(90),
      p99Ms: percentile(99),
      maxMs: 1000 * histogram.Max,
      errors: histogram.Count - ok,
      codes: json.RetCodes,
    };
  }
}
