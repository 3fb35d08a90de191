// make bench (capture): time to enroll 1, 10 and 100 pods, and what capture adds to a
// connection, as a ratio against a direct connection measured in the same run.
// Needs root; everything happens in network namespaces this benchmark creates.
import { createServer } from 'node:net';
import { CaptureManager, loadCapturePrograms } from '@weft/agent';
import { NetnsLab, ProcessOutput, captureObjectPath, fixture } from '@weft/agent/testing';
import { listenInNetns } from '@weft/native';
import { fmt, percentile } from './stats.js';

const batchSizes = [1, 10, 100];
const rounds: Record<number, number> = { 1: 30, 10: 10, 100: 5 };
const connections = 2000;
/** Direct and captured runs, interleaved, each this many times. */
const repetitions = 3;

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function enrollBench(lab: NetnsLab, manager: CaptureManager): Promise<void> {
  const max = Math.max(...batchSizes);
  log(`creating ${max} pod network namespaces…`);
  const pods = Array.from({ length: max }, (_, i) => ({ uid: `bench-${i}`, netnsPath: lab.addNamespace(`p${i}`), ips: [`198.19.${i >> 8}.${i & 255}`] }));
  log('\nenroll time (all pods of a batch enrolled concurrently; unenrolled between rounds)');
  log('pods  rounds   p50 ms    p99 ms   per pod p50 ms');
  for (const size of batchSizes) {
    const samples: number[] = [];
    for (let r = 0; r < (rounds[size] ?? 5); r++) {
      const batch = pods.slice(0, size);
      const start = performance.now();
      await Promise.all(batch.map((p) => manager.enroll(p)));
      samples.push(performance.now() - start);
      await Promise.all(batch.map((p) => manager.unenroll(p.uid)));
    }
    const p50 = percentile(samples, 50);
    log(`${String(size).padStart(4)}  ${String(samples.length).padStart(6)}  ${fmt(p50).padStart(7)}  ${fmt(percentile(samples, 99)).padStart(8)}  ${fmt(p50 / size).padStart(15)}`);
  }
}

async function lookupBench(lab: NetnsLab, cgroup: string, manager: CaptureManager): Promise<void> {
  // One pod netns with an address; a server in it (served by this process) answers one
  // byte and closes.
  const client = lab.addNamespace('client');
  lab.addAddress(client, 'lo', '198.18.5.1/32');
  const serverFd = await listenInNetns({ netns: client, family: 4, address: '198.18.5.1', port: 8080 });
  const server = createServer((s) => s.end('x'));
  await new Promise<void>((resolve) => server.listen({ fd: serverFd }, resolve));

  const run = async (): Promise<number> => {
    const out = new ProcessOutput(lab.spawn(client, process.execPath, [fixture('connect-loop'), JSON.stringify({ host: '198.18.5.1', port: 8080, count: connections })], { cgroup }));
    await out.exit();
    const [result] = out.json<{ perConnectionUs: number; failed: number }>();
    if (!result || result.failed > 0) throw new Error(`connect loop failed: ${out.stderr} ${JSON.stringify(result)}`);
    return result.perConnectionUs;
  };

  // Interleaved, so a change in the machine's load moves both alike: direct, captured, direct, …
  const direct: number[] = [];
  const captured: number[] = [];
  for (let repetition = 0; repetition < repetitions; repetition++) {
    direct.push(await run());
    await manager.enroll({ uid: 'client', netnsPath: client, ips: [] });
    captured.push(await run());
    await manager.unenroll('client');
  }
  server.close();
  const spread = (values: number[]): string => `${fmt(percentile(values, 50))} µs (${fmt(Math.min(...values))}…${fmt(Math.max(...values))})`;
  const ratios = direct.map((d, i) => (captured[i] ?? Number.NaN) / d);
  const costs = direct.map((d, i) => (captured[i] ?? Number.NaN) - d);

  log(`\nper connection, ${connections} sequential connects from a pod (client process in the pod, server answers one byte);`);
  log(`median of ${repetitions} interleaved repetitions, with the spread (lowest…highest):`);
  log(`  direct (not enrolled)        ${spread(direct)}`);
  log(`  captured (the agent accepts  ${spread(captured)}`);
  log('   and reads the original destination)');
  log(`  ratio captured/direct        ${fmt(percentile(ratios, 50))} (${fmt(Math.min(...ratios))}…${fmt(Math.max(...ratios))})`);
  log(`  cost of capture              ${spread(costs)} per connection`);
}

/** The agent's read of one original destination: a lookup-and-delete on weft_orig_dst. */
function lookupCallBench(): void {
  const n = 20000;
  const programs = loadCapturePrograms(captureObjectPath);
  try {
    const { origDst } = programs.maps;
    const destination = { family: 4 as const, address: '198.18.0.2', port: 8080 };
    for (let port = 1; port <= n; port++) origDst.set({ netnsCookie: 42n, family: 4, address: '127.0.0.1', port }, destination);
    let misses = 0;
    const start = process.hrtime.bigint();
    for (let port = 1; port <= n; port++) if (!origDst.take({ netnsCookie: 42n, family: 4, address: '127.0.0.1', port })) misses++;
    const us = Number(process.hrtime.bigint() - start) / n / 1000;
    log(`\noriginal-destination read (lookup-and-delete from Node, map of ${n} entries): ${fmt(us, 3)} µs per connection, ${misses} misses`);
  } finally {
    programs.object.close();
  }
}

async function main(): Promise<void> {
  const lab = NetnsLab.create();
  // Interrupted (Ctrl-C, a CI timeout): remove the lab before leaving.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void lab.cleanup().finally(() => process.exit(130));
    });
  }
  try {
    const cgroup = lab.cgroup();
    const pinRoot = lab.bpffs();
    lab.enterCgroup(cgroup);
    // The bench's agent answers captured connections itself, exactly as the direct
    // server does, so the difference between the two is capture alone: the redirect,
    // sockops and the original-destination read.
    const manager = CaptureManager.start({
      objectPath: captureObjectPath,
      cgroupPath: cgroup,
      pinRoot,
      drainMs: 0,
      onConnection: ({ socket }) => {
        socket.resume();
        socket.end('x');
      },
    });
    try {
      log('Weft capture benchmark');
      await enrollBench(lab, manager);
      await lookupBench(lab, cgroup, manager);
      lookupCallBench();
    } finally {
      await manager.stop();
    }
  } finally {
    await lab.cleanup();
  }
}

await main();
