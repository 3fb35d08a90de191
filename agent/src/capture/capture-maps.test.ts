import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BpfObject, checkLayout } from '@weft/native';
import { captureObjectPath } from '../testing/paths.js';
import { captureStructCodecs, configCodec, ipCodec, origDstCodec, origKeyCodec, podCodec } from './capture-maps.js';

describe('capture map codecs', () => {
  it('match the structs compiled into bpf/build/weft_capture.o (BTF)', () => {
    const layouts = BpfObject.readStructLayouts(
      captureObjectPath,
      captureStructCodecs.map((c) => c.name),
    );
    for (const codec of captureStructCodecs) {
      assert.doesNotThrow(() => checkLayout(codec, layouts[codec.name] ?? null), codec.name);
    }
  });

  it('round-trip their values', () => {
    const pod = { inboundSlot: 7, flags: 1 };
    assert.deepEqual(podCodec.decode(podCodec.encode(pod)), pod);
    for (const dst of [
      { family: 4 as const, address: '198.18.10.10', port: 80 },
      { family: 6 as const, address: 'fd18:10::10', port: 65535 },
    ]) {
      assert.deepEqual(origDstCodec.decode(origDstCodec.encode(dst)), dst);
    }
    const key = { netnsCookie: 0x1234567890abcdefn, family: 6 as const, address: 'fd18::1', port: 40000 };
    assert.deepEqual(origKeyCodec.decode(origKeyCodec.encode(key)), key);
    assert.equal(ipCodec.decode(ipCodec.encode('fd18::2')), 'fd18::2');
    const config = { agentIpv4: '169.254.7.127', agentIpv6: undefined, agentMark: 0x5746, outboundPort: 15001, inboundPort: 15006, inboundTlsPort: 15008 };
    assert.deepEqual(configCodec.decode(configCodec.encode(config)), config);
  });

  it('encode the byte layout the kernel programs read', () => {
    // weft_orig_dst: addr[16] network order, port (host order, LE), family AF_INET=2.
    assert.equal(origDstCodec.encode({ family: 4, address: '10.0.0.1', port: 80 }).toString('hex'), '0a000001000000000000000000000000' + '5000' + '0200');
    // weft_ip: AF_INET6 = 10 as a u32.
    assert.equal(ipCodec.encode('::1').subarray(16).toString('hex'), '0a000000');
  });
});
