import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createLogger, isWeftError } from '@weft/api';
import { MeshState } from './mesh-state.js';
import { loadStaticConfig, maxStaticConfigBytes, parseStaticConfig, StaticConfigError } from './static-config.js';

/** The example in docs/static-config.md (tests run from agent/dist/state/). */
function documentedExample(): string {
  const doc = readFileSync(new URL('../../../docs/static-config.md', import.meta.url), 'utf8');
  const example = /## Example[\s\S]*?```json\n([\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(example, 'docs/static-config.md has a json example');
  return example;
}

/** The problems a text is refused for. */
function problemsOf(text: string): readonly string[] {
  try {
    parseStaticConfig(text, 'test.json');
  } catch (error) {
    assert.ok(error instanceof StaticConfigError, String(error));
    assert.equal(error.code, 'WEFT_STATE_BAD_CONFIG');
    return error.problems;
  }
  assert.fail('the config was accepted');
}

const workload = { name: 'cart-0', namespace: 'shop', node: 'node-a', ips: ['10.0.0.1'] };

describe('parseStaticConfig', () => {
  it('reads the documented example, with defaults filled in, into a snapshot MeshState takes', () => {
    const snapshot = parseStaticConfig(documentedExample(), 'docs/static-config.md');
    assert.equal(snapshot.version, '2024-06-01.1');
    assert.equal(snapshot.settings.outboundPolicy, 'REGISTRY_ONLY');
    const legacy = snapshot.workloads.find((w) => w.name === 'legacy-batch');
    assert.deepEqual(legacy, {
      uid: 'shop_legacy-batch',
      name: 'legacy-batch',
      namespace: 'shop',
      serviceAccount: 'default',
      node: 'node-b',
      ips: ['10.244.2.30'],
      labels: {},
      enrolled: true,
    });
    assert.deepEqual(snapshot.services[0]?.ports[1], { name: 'admin', port: 9090, targetPort: 9090 });
    const state = new MeshState({ log: createLogger({ component: 'test', write: () => undefined }) });
    state.replace(snapshot);
    const cart = state.serviceByVip('10.96.0.20', 80);
    assert.ok(cart);
    assert.deepEqual(state.endpointsOf(cart.service).map((w) => w.name), ['cart-0', 'cart-1']);
    const postgres = state.workloadByIp('10.244.2.20');
    assert.ok(postgres);
    assert.equal(state.modeOf(postgres), 'STRICT');
    assert.deepEqual(state.endpointsOf(cart.service).map((w) => w.workload), ['cart', 'cart'], 'both cart pods belong to the workload "cart"');
    assert.deepEqual(state.policiesFor(postgres).map((p) => p.name), ['postgres-from-shop', 'no-legacy']);
  });

  it('uses defaults for an empty config and a hash of the text as version', () => {
    const snapshot = parseStaticConfig('{}', 'inline');
    assert.deepEqual(snapshot.settings, { trustDomain: 'cluster.local', defaultMode: 'PERMISSIVE', outboundPolicy: 'ALLOW_ANY', namespaceModes: {} });
    assert.deepEqual([snapshot.workloads, snapshot.services, snapshot.policies], [[], [], []]);
    assert.match(snapshot.version, /^[0-9a-f]{12}$/);
    assert.equal(parseStaticConfig('{}', 'again').version, snapshot.version);
    assert.notEqual(parseStaticConfig('{ }', 'inline').version, snapshot.version);
  });

  it('stores IPs in canonical form', () => {
    const text = JSON.stringify({
      workloads: [{ ...workload, ips: ['FD00:0:0::1', '::ffff:10.0.0.1'] }],
      services: [{ name: 'cart', namespace: 'shop', vips: ['FD00:96::0:10'], ports: [{ port: 80 }] }],
    });
    const snapshot = parseStaticConfig(text, 'inline');
    assert.deepEqual(snapshot.workloads[0]?.ips, ['fd00::1', '10.0.0.1']);
    assert.deepEqual(snapshot.services[0]?.vips, ['fd00:96::10']);
  });

  it('lists every problem in one error, each with its path', () => {
    const text = JSON.stringify({
      version: 'v1',
      setings: {},
      settings: { trustDomain: 'Cluster.Local', defaultMode: 'strict', outboundPolicy: 'DENY', namespaceModes: { Shop: 'STRICT' } },
      workloads: [
        workload,
        { ...workload, name: 'cart-1', ips: ['10.0.0.2', '10.0.0.2'], labels: { 'app/x/y': 'a' }, enrolled: 'yes' },
        { ...workload, name: 'cart-2', ips: ['10.0.0.999'], mode: 'OFF', netnsPath: 'run/netns/x', workload: 'Cart' },
        { nmae: 'x', namespace: 'shop', node: 'node-a', ips: [] },
        { ...workload, uid: 'shop_cart-0', name: 'cart-3', ips: ['10.0.0.1'] },
        'cart-4',
      ],
      services: [
        { name: 'Cart', namespace: 'shop', ports: [{ port: 0 }, { port: 80, targetPort: 70000, name: 'http', appProtocol: 'HTTP' }] },
        { name: 'cart', namespace: 'shop', vips: ['10.96.0.1'], ports: [{ port: 80 }, { port: 81, name: 'a' }, { port: 82, name: 'a' }], endpoints: ['shop_cart-9'] },
        { name: 'cart2', namespace: 'shop', vips: ['10.96.0.1'], ports: [{ port: 80 }] },
      ],
      policies: [
        { name: 'p', namespace: 'shop', action: 'allow', rules: [{ fromIdentities: ['cluster.local/ns/shop/sa/x'], fromNamespaces: ['Shop'], toPorts: [0] }] },
        { name: 'q', namespace: 'shop', action: 'DENY', rules: {}, selector: { app: 'a b' } },
      ],
    });
    assert.deepEqual(problemsOf(text), [
      'setings: unknown field (did you mean "settings"?); known fields: version, settings, workloads, services, policies',
      'settings.trustDomain: "Cluster.Local" is not a trust domain (a lower-case DNS name such as cluster.local)',
      'settings.defaultMode: "strict" is not one of STRICT, PERMISSIVE',
      'settings.outboundPolicy: "DENY" is not one of ALLOW_ANY, REGISTRY_ONLY',
      'settings.namespaceModes.Shop: "Shop" is not a DNS label (lower-case letters, digits and "-", starting and ending with a letter or digit, at most 63 characters)',
      'workloads[1].ips[1]: "10.0.0.2" repeats workloads[1].ips[0]',
      'workloads[1].labels["app/x/y"]: "app/x/y" is not a label key (an optional DNS-name prefix and "/", then at most 63 letters, digits, "-", "_" or ".")',
      'workloads[1].enrolled: expected true or false, got string "yes"',
      'workloads[2].ips[0]: "10.0.0.999" is not an IP address',
      'workloads[2].netnsPath: "run/netns/x" is not an absolute path',
      'workloads[2].mode: "OFF" is not one of STRICT, PERMISSIVE',
      'workloads[2].workload: "Cart" is not a DNS name (dot-separated DNS labels, lower case, at most 253 characters)',
      'workloads[3].nmae: unknown field (did you mean "name"?); known fields: name, namespace, node, ips, uid, serviceAccount, labels, enrolled, netnsPath, mode, workload',
      'workloads[3]: "name" is required',
      'workloads[3].ips: must not be empty',
      'workloads[5]: expected an object, got string "cart-4"',
      'services[0].name: "Cart" is not a service name (lower-case letters, digits and "-", starting with a letter, at most 63 characters)',
      'services[0].ports[0].port: 0 is not a port (an integer 1-65535)',
      'services[0].ports[1].targetPort: 70000 is not a port (an integer 1-65535)',
      'services[0].ports[1].appProtocol: "HTTP" is not one of http, http2, grpc, tcp',
      'services[1].ports[2].name: "a" repeats services[1].ports[1].name',
      'policies[0].action: "allow" is not one of ALLOW, DENY',
      'policies[0].rules[0].fromIdentities[0]: "cluster.local/ns/shop/sa/x" is not a SPIFFE ID (spiffe://<trust domain>/<path>), optionally ending in "*" to match a prefix',
      'policies[0].rules[0].fromNamespaces[0]: "Shop" is not a DNS label (lower-case letters, digits and "-", starting and ending with a letter or digit, at most 63 characters)',
      'policies[0].rules[0].toPorts[0]: 0 is not a port (an integer 1-65535)',
      'policies[1].selector.app: "a b" is not a label value (at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit)',
      'policies[1].rules: expected an array, got an object',
      'services[1].endpoints[0]: "shop_cart-9" is the uid of no workload in this file',
      'workloads[4].uid: "shop_cart-0" is also the uid of workloads[0]',
      'workloads[4].ips[0]: 10.0.0.1 is also an IP of workload "shop_cart-0" (workloads[0])',
      'services[2].vips[0]: 10.96.0.1 port 80 is also served by services[1].vips[0]',
    ]);
  });

  it('refuses workloads and ports declared twice, an empty version and a top level that is not an object', () => {
    assert.deepEqual(problemsOf(JSON.stringify({ workloads: [workload, { ...workload, uid: 'other', ips: ['10.0.0.2'] }] })), [
      'workloads[1]: workload shop/cart-0 is also declared at workloads[0]',
    ]);
    assert.deepEqual(problemsOf(JSON.stringify({ services: [{ name: 'cart', namespace: 'shop', ports: [{ port: 80 }, { port: 80, targetPort: 8080 }] }] })), [
      'services[0].ports[1].port: 80 repeats services[0].ports[0].port',
    ]);
    assert.deepEqual(problemsOf('[]'), ['(top level): expected an object, got an array']);
    assert.deepEqual(problemsOf('{"version": ""}'), ['version: must not be empty (leave it out to use a hash of the file)']);
  });

  it('says where malformed JSON goes wrong', () => {
    assert.deepEqual(problemsOf('{\n  "workloads": [],\n}'), ['not valid JSON: line 3, column 1: Expected double-quoted property name']);
    assert.match(problemsOf('')[0] ?? '', /^not valid JSON: Unexpected end of JSON input/);
    assert.deepEqual(parseStaticConfig('\uFEFF{}', 'with-bom').workloads, []);
  });

  it('refuses more than 16 MiB', () => {
    assert.throws(
      () => parseStaticConfig(`{}${' '.repeat(maxStaticConfigBytes)}`, 'big'),
      (error) => error instanceof StaticConfigError && /the file is 16\.0 MiB; a static config may be at most 16\.0 MiB/.test(error.problems[0] ?? ''),
    );
  });

  it('caps the message but keeps every problem', () => {
    const text = JSON.stringify({ workloads: Array.from({ length: 60 }, () => 'x') });
    assert.throws(
      () => parseStaticConfig(text, 'many'),
      (error) => error instanceof StaticConfigError && error.problems.length === 60 && /… and 10 more/.test(error.message),
    );
  });
});

describe('loadStaticConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-static-config-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('loads a file and names it in problems', () => {
    const path = join(dir, 'mesh.json');
    writeFileSync(path, JSON.stringify({ version: 'v7', workloads: [workload] }));
    assert.equal(loadStaticConfig(path).workloads[0]?.uid, 'shop_cart-0');
    writeFileSync(path, '{"workloads": 1}');
    assert.throws(() => loadStaticConfig(path), (error) => error instanceof StaticConfigError && error.message.includes(`the static config ${path} cannot be used`));
  });

  it('refuses a missing file, a huge file before reading it, and text that is not UTF-8', () => {
    assert.throws(
      () => loadStaticConfig(join(dir, 'absent.json')),
      (error) => isWeftError(error, 'WEFT_STATE_CONFIG_UNREADABLE') && error.message.includes('ENOENT'),
    );
    const huge = join(dir, 'huge.json');
    writeFileSync(huge, '{}');
    truncateSync(huge, maxStaticConfigBytes + 1);
    assert.throws(() => loadStaticConfig(huge), (error) => isWeftError(error, 'WEFT_STATE_BAD_CONFIG') && error.message.includes('at most 16.0 MiB'));
    const binary = join(dir, 'binary.json');
    writeFileSync(binary, Buffer.from([0x7b, 0xff, 0x7d]));
    assert.throws(() => loadStaticConfig(binary), (error) => error instanceof StaticConfigError && error.problems[0] === 'the file is not UTF-8 text');
  });
});
