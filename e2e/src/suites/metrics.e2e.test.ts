// Tier 3 (e2e), suite "metrics": a real Prometheus (built from its Go module: Debian's
// package has no Kubernetes discovery; scripts/build-prometheus.sh) finds the agents
// through Kubernetes service discovery and the pods' prometheus.io annotations the chart
// sets, scrapes them, and a PromQL query gives the request rate between two workloads.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startComponent } from '../testbed/processes.js';
import { ensurePrometheus } from '../testbed/upstream.js';
import { eventually } from '../testbed/testbed-client.js';
import { paths, stateDir, testbed } from '../testbed/testbed-config.js';
import { deployShop, nextTotals, pod, startMeshTestbed, type Kubectl } from './mesh-testbed.js';

const prometheusAddress = `${testbed.hostAddress}:19090`;
/** The sample app's client sends 20 requests a second (RATE of testdata/apps/shop.yaml's http-load). */
const clientRate = 20;

/** Kubernetes pod discovery of the agents, the usual prometheus.io annotation relabelling. */
function prometheusConfig(): string {
  return JSON.stringify({
    global: { scrape_interval: '2s', evaluation_interval: '2s' },
    scrape_configs: [
      {
        job_name: 'weft-agents',
        kubernetes_sd_configs: [{ role: 'pod', kubeconfig_file: paths.kubeconfig, namespaces: { names: ['weft-system'] } }],
        relabel_configs: [
          { source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_scrape'], action: 'keep', regex: 'true' },
          // The host reaches nodes, not pods: agents are on the host network, at their node's address.
          { source_labels: ['__meta_kubernetes_pod_label_app_kubernetes_io_name'], action: 'keep', regex: 'weft-agent' },
          { source_labels: ['__address__', '__meta_kubernetes_pod_annotation_prometheus_io_port'], action: 'replace', regex: '([^:]+)(?::\\d+)?;(\\d+)', replacement: '$1:$2', target_label: '__address__' },
          { source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_path'], action: 'replace', regex: '(.+)', target_label: '__metrics_path__' },
          { source_labels: ['__meta_kubernetes_pod_node_name'], target_label: 'node' },
        ],
      },
    ],
  });
}

interface QueryResult {
  status: string;
  data: { result: { metric: Record<string, string>; value: [number, string] }[] };
}

async function query(promql: string): Promise<QueryResult['data']['result']> {
  const response = await fetch(`http://${prometheusAddress}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await response.json()) as QueryResult;
  assert.equal(body.status, 'success', JSON.stringify(body));
  return body.data.result;
}

describe('Prometheus scraping the agents (e2e, suite "metrics")', () => {
  let kubectl: Kubectl;
  let stop = (): Promise<void> => Promise.resolve();

  before(async () => {
    const built = ensurePrometheus();
    ({ kubectl, stop } = await startMeshTestbed());
    await deployShop(kubectl, { enrolled: true });
    const config = join(stateDir, 'prometheus.yml');
    writeFileSync(config, prometheusConfig());
    // A testbed component: recorded by PID, so `down` stops it whatever happens here.
    startComponent('prometheus', built, [`--config.file=${config}`, `--storage.tsdb.path=${join(stateDir, 'prometheus')}`, `--web.listen-address=${prometheusAddress}`, '--log.level=warn']);
  });

  after(() => stop());

  it('discovers every agent through the Kubernetes API and scrapes it', async () => {
    const up = await eventually('both agents scraped', async () => {
      const result = await query('up{job="weft-agents"}');
      return result.length === 2 && result.every((r) => r.value[1] === '1') ? result : undefined;
    }, 60_000);
    assert.deepEqual(up.map((r) => r.metric.node).sort(), ['node1', 'node2']);
  });

  it('answers a PromQL query for the request rate between two workloads with the rate the client sends', async () => {
    const client = pod(kubectl, 'shop', 'client');
    const promql = 'sum(rate(weft_requests_total{direction="inbound",source_workload="client",destination_namespace="shop",response_class="2xx"}[20s]))';
    // The window must be full of the steady traffic: wait until 20 s of it are in the TSDB.
    await eventually('a full window of samples', async () => (await query(`${promql} and on() (count_over_time(up{job="weft-agents",node="node1"}[20s]) >= 9)`)).length > 0, 90_000);
    // The rate the client really sends over the same 20 s, from its own counts.
    const before = await nextTotals(client);
    const start = performance.now();
    await sleep(20_000);
    const after = await nextTotals(client);
    const sent = (after.ok - before.ok) / ((performance.now() - start) / 1000);
    const [sample] = await query(promql);
    const rate = Number(sample?.value[1]);
    assert.equal(after.failed - before.failed, 0, 'every request of the client succeeded meanwhile');
    process.stdout.write(`# Prometheus: ${rate.toFixed(2)} requests/s from client to the servers; the client sent ${sent.toFixed(2)}/s (nominally ${clientRate}/s)\n`);
    assert.ok(Math.abs(rate - sent) / sent <= 0.2, `PromQL gives ${rate.toFixed(2)}/s, within 20 % of the ${sent.toFixed(2)}/s the client sent`);
    // Both server pods (one on each node) answered, and they count as their Deployment: one series, named for it.
    const byNode = await query('count by (node) (weft_requests_total{direction="inbound",source_workload="client",destination_workload="server"})');
    assert.deepEqual(byNode.map((r) => r.metric['node']).sort(), ['node1', 'node2'], 'the server pod of each node answered');
    const byDestination = await query('sum by (destination_workload) (rate(weft_requests_total{direction="inbound",source_workload="client"}[20s]))');
    assert.deepEqual(byDestination.map((r) => r.metric['destination_workload']), ['server'], `the Deployment's pods count together (${JSON.stringify(byDestination.map((r) => r.metric))})`);
    assert.ok(Math.abs(Number(byDestination[0]?.value[1]) - rate) / rate <= 0.05, 'and make up the whole rate');
  });
});
