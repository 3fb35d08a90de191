// Privileged tier: the addon against the real kernel. Fails (never skips) without root.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isWeftError } from '@weft/api';
import { BpfLink } from './bpf-link.js';
import { BpfObject } from './bpf-object.js';
import { u32Codec, u64Codec } from './codec.js';
import { NativeError } from './native-error.js';
import { probeHelper, probeMapType, probeProgramType } from './probe.js';

const bpfBuild = fileURLToPath(new URL('../../bpf/build/', import.meta.url));
const captureObject = join(bpfBuild, 'weft_capture.o');
const rejectedObject = join(bpfBuild, 'testdata', 'weft_test_rejected.o');

function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new Error('privileged test: must run as root (CAP_BPF, CAP_SYS_ADMIN); run `sudo make test`');
}

describe('BpfObject and maps against the kernel (privileged)', () => {
  let object: BpfObject;
  let dir: string;
  let bpffs: string;

  before(() => {
    requireRoot();
    dir = mkdtempSync(join(tmpdir(), 'weft-native-'));
    bpffs = join(dir, 'bpffs');
    execFileSync('mkdir', ['-p', bpffs]);
    execFileSync('mount', ['-t', 'bpf', 'bpf', bpffs]);
    object = BpfObject.load(captureObject);
  });

  after(() => {
    object.close();
    execFileSync('umount', [bpffs]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('exposes programs and maps by C name with their kernel types', () => {
    assert.deepEqual(object.programNames().sort(), ['weft_connect4', 'weft_connect6', 'weft_sk_lookup', 'weft_sockops']);
    assert.equal(object.program('weft_connect4').type, 'cgroup_sock_addr');
    assert.equal(object.program('weft_connect4').attachType, 'cgroup_inet4_connect');
    assert.equal(object.program('weft_sk_lookup').type, 'sk_lookup');
    assert.equal(object.map('weft_inbound').type, 'sockmap');
    assert.equal(object.map('weft_enrolled').keySize, 8);
    assert.throws(() => object.program('cgroup/connect4'), (e) => isWeftError(e, 'WEFT_NATIVE_MISSING_SYMBOL'));
  });

  it('updates, reads, takes, iterates and deletes typed map entries', () => {
    const cookies = object.map('weft_orig_by_cookie').typed(u64Codec, {
      name: 'weft_orig_dst',
      size: 20,
      encode: (v: number) => Buffer.alloc(20, v),
      decode: (b) => b[0] ?? -1,
    });
    cookies.set(1n, 7);
    cookies.set(2n, 9);
    assert.equal(cookies.get(1n), 7);
    assert.equal(cookies.count(), 2);
    assert.deepEqual([...cookies.keys()].sort(), [1n, 2n]);
    assert.equal(cookies.take(1n), 7);
    assert.equal(cookies.get(1n), undefined);
    assert.equal(cookies.delete(2n), true);
    assert.equal(cookies.delete(2n), false);
    assert.equal(cookies.count(), 0);
  });

  it('refuses keys and values whose size differs from the map, in the addon itself', () => {
    const enrolled = object.map('weft_enrolled').typed(u64Codec, { name: 'weft_pod', size: 8, encode: () => Buffer.alloc(8), decode: () => 0 });
    enrolled.set(5n, 0);
    const shortKey = object.map('weft_enrolled').typed({ ...u64Codec, size: 8, encode: () => Buffer.alloc(4) }, { name: 'x', size: 8, encode: () => Buffer.alloc(8), decode: () => 0 });
    assert.throws(() => shortKey.get(5n), RangeError);
    assert.throws(() => shortKey.set(5n, 0), RangeError);
    assert.equal(enrolled.delete(5n), true);
  });

  it('refuses a codec whose size differs from the map', () => {
    assert.throws(() => object.map('weft_enrolled').typed(u32Codec, u32Codec), (e) => isWeftError(e, 'WEFT_NATIVE_LAYOUT_MISMATCH'));
  });

  it('puts a real listening socket in a SOCKMAP, and refuses a bad fd with a typed error', async () => {
    const inbound = object.map('weft_inbound').sockets(u32Codec);
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
    inbound.set(3, fd);
    assert.equal(inbound.has(3), true);
    assert.equal(inbound.delete(3), true);
    assert.equal(inbound.delete(3), false);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    assert.throws(() => inbound.set(4, 987654), (e) => e instanceof NativeError && e.code === 'WEFT_NATIVE_BAD_FD');
    const notASocket = object.map('weft_enrolled');
    assert.throws(() => notASocket.sockets(u32Codec), (e) => isWeftError(e, 'WEFT_NATIVE_MAP_TYPE'));
  });

  it('pins and unpins maps and links on bpffs', () => {
    const map = object.map('weft_config');
    const pin = join(bpffs, 'weft_config');
    map.pin(pin);
    assert.ok(existsSync(pin));
    assert.throws(() => map.pin(pin), (e) => isWeftError(e, 'WEFT_NATIVE_EXISTS'));
    map.unpin();
    assert.ok(!existsSync(pin));

    const cgroup = mkdtempSync(join(dir, 'cg-'));
    const cgroupRoot = execFileSync('findmnt', ['-n', '-t', 'cgroup2', '-o', 'TARGET'], { encoding: 'utf8' }).trim().split('\n')[0] ?? '';
    const ownCgroup = join(cgroupRoot, `weft-native-test-${process.pid}`);
    execFileSync('mkdir', [ownCgroup]);
    try {
      const link = object.program('weft_connect4').attachCgroup(ownCgroup);
      const linkPin = join(bpffs, 'link');
      link.pin(linkPin);
      const again = BpfLink.fromPin(linkPin);
      assert.equal(again.info().id, link.info().id);
      again.destroy();
      assert.ok(!existsSync(linkPin), 'destroy removed the pin');
      const shown = execFileSync('bpftool', ['cgroup', 'show', ownCgroup], { encoding: 'utf8' });
      assert.equal(shown.includes('weft_connect4'), false, 'detached from the cgroup');
      link.destroy();
    } finally {
      execFileSync('rmdir', [ownCgroup]);
      rmSync(cgroup, { recursive: true, force: true });
    }
  });

  it('explains attach targets that do not fit', () => {
    assert.throws(() => object.program('weft_sk_lookup').attachNetns('/run/netns/weft-no-such-netns'), (e) => isWeftError(e, 'WEFT_NATIVE_NOT_FOUND'));
    assert.throws(() => object.program('weft_sk_lookup').attachNetns(dir), (e) => e instanceof NativeError && e.code === 'WEFT_NATIVE_ATTACH_FAILED');
  });

  it('refuses bad object files with typed errors', () => {
    const notElf = join(dir, 'not-bpf.o');
    writeFileSync(notElf, 'this is not an ELF file\n');
    assert.throws(() => BpfObject.load(join(dir, 'missing.o')), (e) => isWeftError(e, 'WEFT_NATIVE_NOT_FOUND'));
    assert.throws(() => BpfObject.load(notElf), (e) => e instanceof NativeError && e.code === 'WEFT_NATIVE_BAD_OBJECT');
    assert.throws(
      () => BpfObject.load(rejectedObject),
      (e) => e instanceof NativeError && e.code === 'WEFT_NATIVE_KERNEL_REFUSED' && /R\d|invalid access|value_size/.test(e.detail ?? ''),
      'a verifier refusal carries the verifier log',
    );
    // Still usable afterwards.
    BpfObject.load(captureObject).close();
  });

  it('probes the program types, map types and helpers capture needs', () => {
    for (const type of ['cgroup_sock_addr', 'sock_ops', 'sk_lookup']) assert.equal(probeProgramType(type), true, type);
    for (const type of ['hash', 'lru_hash', 'sockmap', 'array']) assert.equal(probeMapType(type), true, type);
    assert.equal(probeHelper('cgroup_sock_addr', 'get_netns_cookie'), true);
    assert.equal(probeHelper('sk_lookup', 'sk_assign'), true);
    // The kernel fact that shaped the inbound design (docs/NOTES.md).
    assert.equal(probeHelper('sk_lookup', 'get_netns_cookie'), false);
    assert.throws(() => probeProgramType('no_such_type'), RangeError);
    assert.throws(() => probeHelper('sk_lookup', 'no_such_helper'), RangeError);
  });
});
