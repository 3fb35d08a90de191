// Privileged tier: real eBPF in the kernel, real processes in network namespaces that this
// test creates. It fails (never skips) when it cannot run.
import assert from 'node:assert/strict';
import { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { isWeftError } from '@weft/api';
import { connectInNetns } from '@weft/native';
import { NetnsLab } from '../testing/netns-lab.js';
import { ProcessOutput } from '../testing/process-output.js';
import { captureObjectPath, fixture } from '../testing/paths.js';
import { captureDefaults } from './capture-defaults.js';
import type { CapturedConnection } from './capture-manager.js';
import { CaptureManager } from './capture-manager.js';
import type { OriginalDestination } from './capture-maps.js';
import { snapshotKernelState } from '../testing/kernel-state.js';

// Addresses exist only inside the lab's namespaces (RFC 2544 and ULA ranges).
const ip = {
  a: '198.18.0.1',
  b: '198.18.0.2',
  c: '198.18.0.3',
  d: '198.18.0.4',
  a6: 'fd18::1',
  b6: 'fd18::2',
  c6: 'fd18::3',
  vip: '198.18.10.10',
  vip6: 'fd18:10::10',
};
const appPort = 8080;
const vipPort = 80;

/** The lab's "service table": what the test agent forwards a VIP to. */
function resolve(destination: OriginalDestination): OriginalDestination {
  if (destination.address === ip.vip) return { family: 4, address: ip.b, port: appPort };
  if (destination.address === ip.vip6) return { family: 6, address: ip.b6, port: appPort };
  return destination;
}

interface ProbeResult {
  n: number;
  ok: boolean;
  error?: string;
}

describe('CaptureManager with real eBPF (privileged)', () => {
  let lab: NetnsLab;
  let manager: CaptureManager;
  let started = false;
  let baseline: ReturnType<typeof snapshotKernelState>;
  let cgroup: string;
  let pinRoot: string;
  const ns = { a: '', b: '', c: '', d: '' };
  const captured: CapturedConnection[] = [];
  let server: ProcessOutput;

  /** The test's agent: forwards each captured connection from inside the pod's netns. */
  function forward(connection: CapturedConnection): void {
    captured.push(connection);
    const target = connection.direction === 'outbound' ? resolve(connection.originalDestination) : connection.originalDestination;
    connectInNetns({
      netns: connection.pod.netnsPath,
      family: target.family,
      address: target.address,
      port: target.port,
      mark: captureDefaults.agentMark,
    }).then(
      (fd) => {
        const upstream = new Socket({ fd, readable: true, writable: true });
        upstream.on('error', () => connection.socket.destroy());
        connection.socket.on('error', () => upstream.destroy());
        connection.socket.pipe(upstream).pipe(connection.socket);
        connection.socket.resume();
      },
      () => connection.socket.destroy(),
    );
  }

  function probe(netnsPath: string, options: Record<string, unknown>, inCgroup = true): ProcessOutput {
    return new ProcessOutput(lab.spawn(netnsPath, process.execPath, [fixture('tcp-probe-client'), JSON.stringify(options)], inCgroup ? { cgroup } : {}));
  }

  async function probeOnce(netnsPath: string, host: string, port: number, extra: Record<string, unknown> = {}, inCgroup = true): Promise<ProbeResult> {
    const out = probe(netnsPath, { host, port, count: 1, ...extra }, inCgroup);
    await out.exit();
    const [result] = out.json<ProbeResult>();
    assert.ok(result, `probe to ${host}:${port} printed nothing: ${out.stderr}`);
    return result;
  }

  function capturedSince(mark: number, direction: 'outbound' | 'inbound'): OriginalDestination[] {
    return captured.slice(mark).filter((c) => c.direction === direction).map((c) => c.originalDestination);
  }

  before(async () => {
    lab = NetnsLab.create();
    try {
      await setUp();
    } catch (error) {
      // node:test runs no after() hook when before() fails: clean up here.
      await tearDown();
      throw error;
    }
  });

  async function setUp(): Promise<void> {
    ns.a = lab.addNamespace('a');
    ns.b = lab.addNamespace('b');
    ns.c = lab.addNamespace('c');
    ns.d = lab.addNamespace('d');
    lab.attach(ns.a, [`${ip.a}/24`, `${ip.a6}/64`]);
    lab.attach(ns.b, [`${ip.b}/24`, `${ip.b6}/64`]);
    lab.attach(ns.c, [`${ip.c}/24`, `${ip.c6}/64`]);
    lab.attach(ns.d, [`${ip.d}/24`]);
    // C also owns the agent's source address, to show that sk_lookup lets it through.
    lab.addAddress(ns.c, 'eth0', `${captureDefaults.agentSourceIpv4}/32`);
    lab.addRoute(ns.b, `${captureDefaults.agentSourceIpv4}/32`, ip.c);
    cgroup = lab.cgroup();
    pinRoot = lab.bpffs();
    // The agent runs below the cgroup the programs attach to, as on a node.
    lab.enterCgroup(cgroup);

    server = new ProcessOutput(lab.spawn(ns.b, process.execPath, [fixture('tcp-echo-server'), '::', String(appPort)]));
    await server.waitFor((line) => line === 'listening');
    const serverD = new ProcessOutput(lab.spawn(ns.d, process.execPath, [fixture('tcp-echo-server'), '0.0.0.0', String(appPort)]));
    await serverD.waitFor((line) => line === 'listening');

    baseline = snapshotKernelState({ cgroup, pinRoot, namespaces: lab.namespaces() });
    manager = CaptureManager.start({ objectPath: captureObjectPath, cgroupPath: cgroup, pinRoot, onConnection: forward });
    started = true;
  }

  async function tearDown(): Promise<void> {
    if (started) await manager.stop();
    await lab.cleanup();
  }

  after(tearDown);

  it('captures outbound connections to pod IPs and to service VIPs with the right original destination, IPv4 and IPv6', async () => {
    await manager.enroll({ uid: 'pod-a', netnsPath: ns.a, ips: [ip.a, ip.a6] });
    const mark = captured.length;
    const targets: [string, number][] = [
      [ip.b, appPort],
      [ip.vip, vipPort],
      [ip.b6, appPort],
      [ip.vip6, vipPort],
    ];
    for (const [host, port] of targets) {
      const result = await probeOnce(ns.a, host, port);
      assert.equal(result.ok, true, `A -> ${host}:${port}: ${result.error ?? ''}`);
    }
    assert.deepEqual(capturedSince(mark, 'outbound'), [
      { family: 4, address: ip.b, port: appPort },
      { family: 4, address: ip.vip, port: vipPort },
      { family: 6, address: ip.b6, port: appPort },
      { family: 6, address: ip.vip6, port: vipPort },
    ]);
    assert.equal(manager.stats().missingOriginalDestination, 0);
  });

  it('leaves loopback traffic and the agent’s own marked sockets alone', async () => {
    const mark = captured.length;
    // A connection of the agent's (marked) from inside enrolled pod A goes straight to B.
    const fd = await connectInNetns({ netns: ns.a, family: 4, address: ip.b, port: appPort, mark: captureDefaults.agentMark });
    new Socket({ fd }).destroy();
    // Unmarked loopback inside A: no listener on 8080 in A, so refused, but not captured.
    const loop = await probeOnce(ns.a, '127.0.0.1', appPort);
    assert.equal(loop.ok, false);
    assert.deepEqual(capturedSince(mark, 'outbound'), []);
  });

  it('assigns inbound connections to the pod’s listener; the local address is the original destination', async () => {
    await manager.enroll({ uid: 'pod-b', netnsPath: ns.b, ips: [ip.b, ip.b6] });
    const mark = captured.length;
    for (const host of [ip.b, ip.b6]) {
      const result = await probeOnce(ns.c, host, appPort, {}, false);
      assert.equal(result.ok, true, `C -> ${host}: ${result.error ?? ''}`);
    }
    assert.deepEqual(capturedSince(mark, 'inbound'), [
      { family: 4, address: ip.b, port: appPort },
      { family: 6, address: ip.b6, port: appPort },
    ]);
  });

  it('never captures loopback inside the pod, nor connections from the agent’s source address', async () => {
    const mark = captured.length;
    for (const host of ['127.0.0.1', '::1']) {
      const result = await probeOnce(ns.b, host, appPort, {}, false);
      assert.equal(result.ok, true, `B -> ${host}: ${result.error ?? ''}`);
    }
    const fromAgentAddress = await probeOnce(ns.c, ip.b, appPort, { source: captureDefaults.agentSourceIpv4 }, false);
    assert.equal(fromAgentAddress.ok, true, fromAgentAddress.error);
    assert.deepEqual(capturedSince(mark, 'inbound'), []);
    assert.ok(server.json<{ peer: string }>().some((l) => l.peer.endsWith(captureDefaults.agentSourceIpv4)), 'the app saw the agent source address directly');
  });

  it('fails closed for STRICT pods whose listener is missing, and passes PERMISSIVE ones', async () => {
    await manager.enroll({ uid: 'pod-d', netnsPath: ns.d, ips: [ip.d], strict: true });
    const strictPod = manager.pods().find((p) => p.uid === 'pod-d');
    const permissivePod = manager.pods().find((p) => p.uid === 'pod-b');
    assert.ok(strictPod && permissivePod);
    // As after an agent crash: the pinned maps and links stay, the listeners are gone.
    for (const pod of [strictPod, permissivePod]) {
      const key = Buffer.alloc(4);
      key.writeUInt32LE(pod.inboundSlot);
      lab.exec(ns.a, 'bpftool', ['map', 'delete', 'pinned', `${pinRoot}/maps/weft_inbound`, 'key', ...[...key].map(String)]);
    }
    const mark = captured.length;
    const strict = await probeOnce(ns.c, ip.d, appPort, { timeout: 1000 }, false);
    assert.equal(strict.ok, false, 'a STRICT pod without listener must not be reachable');
    const permissive = await probeOnce(ns.c, ip.b, appPort, {}, false);
    assert.equal(permissive.ok, true, permissive.error);
    assert.deepEqual(capturedSince(mark, 'inbound'), []);
    // Re-enrolling restores the listeners.
    await manager.unenroll('pod-d');
    await manager.unenroll('pod-b');
    await manager.enroll({ uid: 'pod-b', netnsPath: ns.b, ips: [ip.b, ip.b6] });
    assert.equal((await probeOnce(ns.c, ip.b, appPort, {}, false)).ok, true);
    assert.equal(capturedSince(mark, 'inbound').length, 1);
  });

  it('enrolls and unenrolls without restarting anything, keeping connections made before', async () => {
    await manager.unenroll('pod-a');
    await manager.unenroll('pod-b');
    const serverPid = server.child.pid;
    // Both clients start while A is not enrolled: the persistent one's connection predates enrollment.
    const fresh = probe(ns.a, { host: ip.b, port: appPort, interval: 20 });
    const persistent = probe(ns.a, { host: ip.b, port: appPort, interval: 20, persistent: true });
    await fresh.waitFor((l) => l.includes('"ok":true'));
    await persistent.waitFor((l) => l.includes('"ok":true'));
    const pids = [fresh.child.pid, persistent.child.pid];

    const phases: { enrolled: boolean; outbound: number }[] = [];
    for (const enrolled of [true, false, true, false]) {
      if (enrolled) {
        await manager.enroll({ uid: 'pod-a', netnsPath: ns.a, ips: [ip.a, ip.a6] });
        await manager.enroll({ uid: 'pod-b', netnsPath: ns.b, ips: [ip.b, ip.b6] });
      } else {
        await manager.unenroll('pod-a');
        await manager.unenroll('pod-b');
      }
      const mark = captured.length;
      const seen = fresh.lines.length;
      await fresh.waitFor((l) => fresh.lines.indexOf(l) >= seen + 10);
      phases.push({ enrolled, outbound: capturedSince(mark, 'outbound').length });
    }
    const results = [...fresh.json<ProbeResult>(), ...persistent.json<ProbeResult>()];
    assert.deepEqual(results.filter((r) => !r.ok), [], 'every exchange succeeded across enroll and unenroll');
    assert.ok(persistent.json<ProbeResult>().length >= 20, 'the persistent connection kept exchanging');
    for (const phase of phases) {
      if (phase.enrolled) assert.ok(phase.outbound >= 5, `new connections are captured while enrolled: ${JSON.stringify(phases)}`);
      else assert.equal(phase.outbound, 0, `traffic flows directly after unenroll: ${JSON.stringify(phases)}`);
    }
    assert.deepEqual([fresh.child.pid, persistent.child.pid], pids);
    assert.equal(fresh.child.exitCode, null, 'client still running');
    assert.equal(persistent.child.exitCode, null, 'persistent client still running');
    assert.equal(server.child.pid, serverPid);
    assert.equal(server.child.exitCode, null, 'server still running');
    fresh.child.kill('SIGKILL');
    persistent.child.kill('SIGKILL');
  });

  it('unenroll neither waits for nor breaks the connections it captured', async () => {
    await manager.enroll({ uid: 'pod-a', netnsPath: ns.a, ips: [ip.a, ip.a6] });
    const mark = captured.length;
    const persistent = probe(ns.a, { host: ip.b, port: appPort, interval: 20, persistent: true });
    await persistent.waitFor((l) => l.includes('"n":3,"ok":true'));
    assert.equal(capturedSince(mark, 'outbound').length, 1, 'the persistent connection was captured');
    const unenrolled = manager.unenroll('pod-a');
    const hang = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('unenroll waited for a captured connection to end')), 5000).unref());
    await Promise.race([unenrolled, hang]);
    const seen = persistent.lines.length;
    await persistent.waitFor((l) => persistent.lines.indexOf(l) >= seen + 5);
    assert.deepEqual(persistent.json<ProbeResult>().filter((r) => !r.ok), []);
    persistent.child.kill('SIGKILL');
  });

  it('changes flags and IPs of an enrolled pod in place, and refuses connections to its own ports', async () => {
    await manager.enroll({ uid: 'pod-b', netnsPath: ns.b, ips: [ip.b] });
    const [before] = manager.pods().filter((p) => p.uid === 'pod-b');
    await manager.enroll({ uid: 'pod-b', netnsPath: ns.b, ips: [ip.b, ip.b6], strict: true });
    const [after] = manager.pods().filter((p) => p.uid === 'pod-b');
    assert.ok(before && after);
    assert.equal(after.inboundSlot, before.inboundSlot, 'same listener, no gap');
    assert.deepEqual([after.strict, after.ips], [true, [ip.b, ip.b6]]);
    const mark = captured.length;
    assert.equal((await probeOnce(ns.c, ip.b6, appPort, {}, false)).ok, true);
    assert.equal(capturedSince(mark, 'inbound').length, 1);
    const refused = manager.stats().refusedSelfAddressed;
    assert.equal((await probeOnce(ns.c, ip.b, captureDefaults.inboundPort, { timeout: 1000 }, false)).ok, false);
    assert.equal(manager.stats().refusedSelfAddressed, refused + 1);
    await manager.unenroll('pod-b');
  });

  it('is safe when enroll and unenroll of one pod interleave', async () => {
    const spec = { uid: 'pod-c', netnsPath: ns.c, ips: [ip.c] };
    await Promise.all([manager.enroll(spec), manager.unenroll('pod-c'), manager.enroll(spec), manager.enroll(spec)]);
    assert.equal(manager.isEnrolled('pod-c'), true);
    assert.equal(manager.pods().filter((p) => p.uid === 'pod-c').length, 1);
    await Promise.all([manager.unenroll('pod-c'), manager.enroll(spec), manager.unenroll('pod-c')]);
    assert.equal(manager.isEnrolled('pod-c'), false);
  });

  it('refuses bad input with typed errors and stays usable', async () => {
    await assert.rejects(manager.enroll({ uid: 'ghost', netnsPath: '/run/netns/weft-does-not-exist', ips: [] }), (e) => isWeftError(e, 'WEFT_CAPTURE_NETNS_NOT_FOUND'));
    await assert.rejects(manager.enroll({ uid: 'host', netnsPath: '/proc/self/ns/net', ips: [] }), (e) => isWeftError(e, 'WEFT_CAPTURE_HOST_NETNS'));
    await assert.rejects(manager.enroll({ uid: 'not-a-netns', netnsPath: '/etc/hostname', ips: [] }), (e) => isWeftError(e, 'WEFT_NATIVE_NOT_A_NETNS'));
    await assert.rejects(manager.enroll({ uid: '../x', netnsPath: ns.c, ips: [] }), (e) => isWeftError(e, 'WEFT_CAPTURE_BAD_POD'));
    await assert.rejects(manager.enroll({ uid: 'bad-ip', netnsPath: ns.c, ips: ['300.1.1.1'] }), (e) => isWeftError(e, 'WEFT_CAPTURE_BAD_ADDRESS'));
    await manager.enroll({ uid: 'pod-c', netnsPath: ns.c, ips: [ip.c] });
    await assert.rejects(manager.enroll({ uid: 'pod-c-twin', netnsPath: ns.c, ips: [] }), (e) => isWeftError(e, 'WEFT_CAPTURE_NETNS_IN_USE'));
    assert.equal(manager.isEnrolled('ghost'), false);
    assert.equal(manager.isEnrolled('pod-c-twin'), false);
    // Another pod cannot take an enrolled pod's IP, and its failed enrollment leaves B's capture alone.
    await manager.enroll({ uid: 'pod-b', netnsPath: ns.b, ips: [ip.b, ip.b6] });
    await assert.rejects(manager.enroll({ uid: 'pod-b-impostor', netnsPath: ns.d, ips: [ip.b] }), (e) => isWeftError(e, 'WEFT_CAPTURE_IP_IN_USE'));
    const mark = captured.length;
    assert.equal((await probeOnce(ns.c, ip.b, appPort, {}, false)).ok, true);
    assert.deepEqual(capturedSince(mark, 'inbound'), [{ family: 4, address: ip.b, port: appPort }]);
    await manager.unenroll('pod-b');
    // Still usable: a good enrollment works and captures.
    await manager.enroll({ uid: 'pod-a', netnsPath: ns.a, ips: [ip.a] });
    assert.equal((await probeOnce(ns.a, ip.vip, vipPort)).ok, true);
    await manager.unenroll('pod-c');
  });

  it('stop() leaves bpffs, cgroup attachments, netns links, listeners and fds exactly as before', async () => {
    await manager.enroll({ uid: 'pod-b', netnsPath: ns.b, ips: [ip.b, ip.b6] });
    const during = snapshotKernelState({ cgroup, pinRoot, namespaces: lab.namespaces() });
    assert.notDeepEqual(during.cgroupAttachments, baseline.cgroupAttachments, 'programs were attached while running');
    assert.notDeepEqual(during.netnsLinks, baseline.netnsLinks, 'sk_lookup links existed while running');
    await manager.stop();
    const afterStop = snapshotKernelState({ cgroup, pinRoot, namespaces: lab.namespaces() });
    assert.deepEqual(afterStop, baseline);
  });
});
