import { fileURLToPath } from 'node:url';

/** The demo's places and names: what `make demo` sets up, and what its e2e test checks. */
export const demoManifest = fileURLToPath(new URL('../../testdata/apps/demo.yaml', import.meta.url));
export const weftCli = fileURLToPath(new URL('../../../cli/dist/main.js', import.meta.url));
/** Where `make demo` forwards the UI. */
export const demoUiAddress = { host: '127.0.0.1', port: 8084 } as const;
/** The testbed component that runs `weft dashboard` (its PID record is pids/<name>.json, its log logs/<name>.log). */
export const dashboardComponent = 'weft-dashboard';
/** The edges the sample app makes, each over mTLS once enrolled. */
export const demoEdges = ['demo/load->demo/frontend', 'demo/frontend->demo/catalog', 'demo/frontend->demo/cart'];

/** The WEFT_* variables the demo reads, declared in one place. */
export const env = {
  /**
   * The PID of a process that holds the testbed lease and runs `make demo` … `make demo-down`
   * under it (the demo's e2e test). Honoured only when that process is an ancestor of this one.
   */
  WEFT_DEMO_LEASE_HOLDER: 'WEFT_DEMO_LEASE_HOLDER',
} as const;
