import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Histogram, Registry } from 'prom-client';
import { EdgeStats } from '../../telemetry/index.js';
import type { HttpExchange } from '../observe/http-exchange.js';
import { ProxyMetrics, type ConnectionLabels } from './proxy-metrics.js';
import { TalliedHistogram } from './tallied-histogram.js';

const peer = (name: string): ConnectionLabels['source'] => ({ workload: name, namespace: 'shop', identity: `spiffe://cluster.local/ns/shop/sa/${name}` });
const outbound: ConnectionLabels = { direction: 'outbound', source: peer('client'), destination: peer('server'), mtls: true };
const exchange = (status: number | undefined, seconds: number, extra: Partial<HttpExchange> = {}): HttpExchange => ({
  protocol: 'http1',
  method: 'GET',
  path: '/',
  durationSeconds: seconds,
  ...(status === undefined ? {} : { status }),
  ...extra,
});

/** The value of the one line of `name` whose labels include all of `labels`. */
function line(text: string, name: string, labels: Record<string, string>): number | undefined {
  const found = text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([key, value]) => l.includes(`${key}="${value}"`)));
  assert.ok(found.length <= 1, `one line of ${name} ${JSON.stringify(labels)}, not ${found.length}`);
  return found[0] === undefined ? undefined : Number(found[0].slice(found[0].lastIndexOf(' ') + 1));
}

describe('ProxyMetrics', () => {
  it('labels metrics by workload and tells the telemetry the pod', async () => {
    const registry = new Registry();
    const edges = new EdgeStats();
    const metrics = new ProxyMetrics(registry, { edges });
    const server = { ...peer('server'), pod: 'server-7d9f8-x2x4q' };
    const connection = metrics.connection({ ...outbound, destination: server });
    connection.request(exchange(200, 0.001));
    const text = await registry.metrics();
    assert.equal(line(text, 'weft_requests_total', { destination_workload: 'server', response_code: '200' }), 1);
    assert.equal(text.includes('x2x4q'), false, 'no pod name in the metrics');
    const [edge] = edges.take();
    assert.ok(edge);
    assert.equal(edge.destination.name, 'server-7d9f8-x2x4q', 'the traffic map gets the pod');
    assert.equal(edge.source.name, 'client', 'a peer without a pod name is named by its workload');
  });

  it('counts every request exactly, by status, in the counter and the histogram alike', async () => {
    const registry = new Registry();
    const metrics = new ProxyMetrics(registry);
    const connection = metrics.connection(outbound);
    connection.opened();
    for (let i = 0; i < 1000; i++) connection.request(exchange(200, 0.0002));
    for (let i = 0; i < 7; i++) connection.request(exchange(503, 0.003));
    connection.request(exchange(undefined, 0.02));
    connection.request(exchange(200, 0.001, { protocol: 'http2', grpcStatus: 0 }));
    connection.closed({ sent: 10, received: 20 });
    const text = await registry.metrics();
    const ok = { direction: 'outbound', source_workload: 'client', destination_workload: 'server', mtls: 'true', protocol: 'http1', response_code: '200', response_class: '2xx' };
    assert.equal(line(text, 'weft_requests_total', ok), 1000);
    assert.equal(line(text, 'weft_requests_total', { response_code: '503', response_class: '5xx' }), 7);
    assert.equal(line(text, 'weft_requests_total', { response_code: 'none', response_class: 'none' }), 1);
    assert.equal(line(text, 'weft_requests_total', { protocol: 'grpc' }), 1);
    assert.equal(line(text, 'weft_request_duration_seconds_count', ok), 1000);
    assert.equal(line(text, 'weft_request_duration_seconds_bucket', { ...ok, le: '0.0005' }), 1000);
    assert.equal(line(text, 'weft_request_duration_seconds_bucket', { response_code: '503', le: '0.0025' }), 0);
    assert.equal(line(text, 'weft_request_duration_seconds_bucket', { response_code: '503', le: '0.005' }), 7);
    assert.equal(line(text, 'weft_request_duration_seconds_bucket', { response_code: '503', le: '+Inf' }), 7);
    assert.equal(line(text, 'weft_tcp_connections_opened_total', { direction: 'outbound' }), 1);
    assert.equal(line(text, 'weft_tcp_connections_closed_total', { direction: 'outbound' }), 1);
    assert.equal(line(text, 'weft_tcp_sent_bytes_total', { direction: 'outbound' }), 10);
    assert.equal(line(text, 'weft_tcp_received_bytes_total', { direction: 'outbound' }), 20);
  });

  it('adds the connections of one label set into one series, and never counts a request twice across scrapes', async () => {
    const registry = new Registry();
    const metrics = new ProxyMetrics(registry);
    const [first, second] = [metrics.connection(outbound), metrics.connection(outbound)];
    first.request(exchange(200, 0.001));
    second.request(exchange(200, 0.001));
    assert.equal(line(await registry.metrics(), 'weft_requests_total', { response_code: '200' }), 2);
    second.request(exchange(200, 0.001));
    const text = await registry.metrics();
    assert.equal(line(text, 'weft_requests_total', { response_code: '200' }), 3);
    assert.equal(line(text, 'weft_request_duration_seconds_count', { response_code: '200' }), 3);
    const inbound = metrics.connection({ ...outbound, direction: 'inbound' });
    inbound.request(exchange(200, 0.001));
    assert.equal(line(await registry.metrics(), 'weft_requests_total', { direction: 'inbound' }), 1);
    assert.equal(line(await registry.metrics(), 'weft_requests_total', { direction: 'outbound' }), 3);
  });
});

describe('TalliedHistogram', () => {
  it('exposes exactly what prom-client’s own Histogram does for the same observations', async () => {
    const buckets = [0.0005, 0.001, 0.0025, 0.01, 1];
    const values = [0, 0.0005, 0.0004, 0.00051, 0.001, 0.002, 0.0025, 0.5, 1, 3, 1e9];
    const labels = { path: 'a', code: '200' };
    const expected = new Registry();
    const own = new Histogram({ name: 'demo_seconds', help: 'demo', labelNames: ['path', 'code'], buckets, registers: [expected] });
    const actual = new Registry();
    const tallied = new TalliedHistogram({ name: 'demo_seconds', help: 'demo', labelNames: ['path', 'code'], buckets, registers: [actual] });
    const series = tallied.series(labels);
    for (const value of values) {
      own.observe(labels, value);
      series.observe(value);
    }
    assert.equal(await actual.metrics(), await expected.metrics());
    assert.deepEqual(await actual.getMetricsAsJSON(), await expected.getMetricsAsJSON());
  });

  it('refuses a series whose labels are not exactly its label names', () => {
    const tallied = new TalliedHistogram({ name: 'demo_seconds', help: 'demo', labelNames: ['path'], buckets: [1], registers: [new Registry()] });
    assert.throws(() => tallied.series({ path: 'a', extra: 'b' }), /labels must be exactly path/);
    assert.throws(() => tallied.series({}), /labels must be exactly path/);
  });
});
