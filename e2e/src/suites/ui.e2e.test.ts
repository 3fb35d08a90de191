// Tier 3 (e2e), suite "ui": the traffic map in a real headless Chromium (Debian's, driven by
// playwright-core), served by the real control plane from the real agents' telemetry while
// enrolled workloads talk — the edge appears, its rate is the client's, a failing backend
// is red, and a screenshot is kept in artifacts/.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { TrafficGraph } from '@weft/api';
import { eventually } from '../testbed/testbed-client.js';
import { testbed } from '../testbed/testbed-config.js';
import { uiNodePort } from '../testbed/weft-chart.js';
import { deployShop, nextTotals, pod, startMeshTestbed, type Kubectl } from './mesh-testbed.js';

const chromiumPath = '/usr/bin/chromium';
const uiUrl = `http://${testbed.nodeAddress(1)}:${uiNodePort}/`;
const edgeId = 'shop/client->shop/server';
const failingId = 'shop/prober->shop/server';

/** A client of the same server that only asks for /fail (the echo server answers 500). */
const prober = `
apiVersion: v1
kind: Pod
metadata: { name: prober, namespace: shop, labels: { app: prober } }
spec:
  nodeName: node2
  containers:
    - name: load
      image: weft.dev/test/http-load
      env: [{ name: RATE, value: "5" }]
      args: ["http://$(SERVER_SERVICE_HOST):$(SERVER_SERVICE_PORT)/fail"]
`;

interface PageView {
  renders: number;
  graph: TrafficGraph | undefined;
  colour: string | undefined;
}

/** The page's inspection handle (ui/README.md), as these functions see it inside the browser. */
interface InspectedPage {
  weft?: { renders: number; lastGraph?: TrafficGraph; map?: { $id(i: string): { nonempty(): boolean; style(p: string): string } } };
  getComputedStyle(element: unknown): { color: string };
}
// Functions given to page.evaluate run in the browser from their source alone: each casts
// the browser's globalThis itself (no helper of this module exists there).

/** What the page shows, through its inspection handle: the map's last graph and an edge's colour. */
function view(page: Page, id: string): Promise<PageView> {
  return page.evaluate((edge) => {
    const { weft } = (globalThis as unknown as InspectedPage);
    const element = weft?.map?.$id(edge);
    return { renders: weft?.renders ?? 0, graph: weft?.lastGraph, colour: element?.nonempty() ? element.style('line-color') : undefined };
  }, id);
}

/** "rgb(r, g, b)" → [r, g, b]. */
const rgb = (colour: string): number[] => (/(\d+)\D+(\d+)\D+(\d+)/.exec(colour)?.slice(1) ?? []).map(Number);

describe('the traffic map in Chromium (e2e, suite "ui")', () => {
  let kubectl: Kubectl;
  let stop = (): Promise<void> => Promise.resolve();
  let browser: Browser | undefined;

  before(async () => {
    if (!existsSync(chromiumPath)) throw new Error(`e2e suite "ui": ${chromiumPath} is missing; run 'make deps' (Debian package chromium)`);
    ({ kubectl, stop } = await startMeshTestbed());
    await deployShop(kubectl, { enrolled: true });
    kubectl(['apply', '-f', '-'], prober);
    browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
  });

  after(async () => {
    await browser?.close();
    await stop();
  });

  it('shows the two workloads and the edge between them within 10 s, at the rate the client sends, with mTLS', async () => {
    assert.ok(browser);
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const opened = performance.now();
    await page.goto(uiUrl);
    await page.waitForFunction((id) => (globalThis as unknown as InspectedPage).weft?.lastGraph?.edges.some((e) => e.id === id) === true, edgeId, { timeout: 10_000 });
    process.stdout.write(`# UI: the edge ${edgeId} drawn ${((performance.now() - opened) / 1000).toFixed(1)} s after opening the page\n`);
    const first = await view(page, edgeId);
    assert.ok(first.graph?.nodes.some((n) => n.id === 'shop/client') && first.graph.nodes.some((n) => n.id === 'shop/server'), 'both workloads are on the map');
    assert.ok(first.colour, 'the edge is drawn');

    // Compare with what the client really sent over the same minute (the map's window).
    const client = pod(kubectl, 'shop', 'client');
    const before = await nextTotals(client);
    const start = performance.now();
    await sleep(30_000);
    const after = await nextTotals(client);
    const sent = (after.ok + after.failed - before.ok - before.failed) / ((performance.now() - start) / 1000);
    const shown = await eventually('a live update after the wait', async () => {
      const now = await view(page, edgeId);
      return now.renders > first.renders ? now : undefined;
    }, 10_000);
    const edge = shown.graph?.edges.find((e) => e.id === edgeId);
    assert.ok(edge, 'the edge is still there, updated live');
    process.stdout.write(`# UI: ${edge.requestsPerSecond.toFixed(2)} requests/s on the map; the client sent ${sent.toFixed(2)}/s\n`);
    assert.ok(Math.abs(edge.requestsPerSecond - sent) / sent <= 0.2, `the map's rate ${edge.requestsPerSecond.toFixed(2)}/s is within 20 % of the client's ${sent.toFixed(2)}/s`);
    assert.equal(edge.mtls, true, 'with mTLS');
    assert.equal(edge.health, 'healthy');
    mkdirSync('artifacts', { recursive: true });
    await page.screenshot({ path: 'artifacts/ui-traffic-map.png', fullPage: true });
  });

  it('turns the edge to a failing backend red, on the map and in the table', async () => {
    assert.ok(browser);
    const page = await browser.newPage();
    await page.goto(uiUrl);
    await page.waitForFunction((id) => (globalThis as unknown as InspectedPage).weft?.lastGraph?.edges.some((e) => e.id === id) === true, failingId, { timeout: 20_000 });
    const failing = await view(page, failingId);
    assert.equal(failing.graph?.edges.find((e) => e.id === failingId)?.health, 'failing');
    const [r = 0, g = 0, b = 0] = rgb(failing.colour ?? '');
    assert.ok(r > 150 && r > g * 1.5 && r > b * 1.5, `the failing edge is red on the map (${failing.colour ?? 'no colour'})`);
    const healthy = await view(page, edgeId);
    const [hr = 0, hg = 0] = rgb(healthy.colour ?? '');
    assert.ok(hg > hr, `the healthy edge is not (${healthy.colour ?? 'no colour'})`);

    await page.goto(`${uiUrl}#/table`);
    const row = page.locator(`[data-edge-id="${failingId}"]`);
    await row.waitFor({ timeout: 10_000 });
    const colour = await row.evaluate((element) => (globalThis as unknown as InspectedPage).getComputedStyle(element).color);
    const [tr = 0, tg = 0, tb = 0] = rgb(colour);
    assert.ok(tr > tg && tr > tb, `its table row is red too (${colour})`);
    await page.screenshot({ path: 'artifacts/ui-table.png', fullPage: true });
  });
});
