import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Logger } from '@weft/api';
import type { CaAudit } from './ca/index.js';
import type { DistributorEvents } from './mesh/index.js';

/** The control plane's Prometheus metrics (served on WEFT_HTTP_ADDRESS /metrics). */
export class ControlMetrics {
  readonly registry = new Registry();
  readonly #issued: Counter;
  readonly #refused: Counter<'reason'>;
  readonly #rootExpiry: Gauge;
  readonly #intermediateExpiry: Gauge;
  readonly #pushSeconds: Histogram<'kind'>;
  readonly #nacks: Counter<'node'>;
  readonly #streams: Gauge;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'weft_control_' });
    const registers = [this.registry];
    this.#issued = new Counter({ name: 'weft_ca_certificates_issued_total', help: 'Workload certificates signed', registers });
    this.#refused = new Counter({ name: 'weft_ca_refusals_total', help: 'Certificate requests refused, by reason (a WEFT_CA_* code)', labelNames: ['reason'], registers });
    this.#rootExpiry = new Gauge({ name: 'weft_ca_root_expiry_timestamp_seconds', help: 'When the mesh root certificate expires', registers });
    this.#intermediateExpiry = new Gauge({ name: 'weft_ca_intermediate_expiry_timestamp_seconds', help: 'When the signing intermediate expires', registers });
    this.#pushSeconds = new Histogram({
      name: 'weft_config_push_seconds',
      help: 'From a change reaching the control plane to the ACK of the update carrying it, per agent; kind is full or delta',
      labelNames: ['kind'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.#nacks = new Counter({ name: 'weft_config_nacks_total', help: 'Config updates an agent refused, by node', labelNames: ['node'], registers });
    this.#streams = new Gauge({ name: 'weft_config_streams', help: 'Agents connected to the config stream', registers });
  }

  /** Counts config pushes, refusals and streams. */
  distributorEvents(): DistributorEvents {
    return {
      acked: (e) => this.#pushSeconds.observe({ kind: e.full ? 'full' : 'delta' }, e.seconds),
      nacked: (e) => this.#nacks.inc({ node: e.node }),
      streams: (count) => this.#streams.set(count),
    };
  }

  anchorExpiry(root: Date, intermediate: Date): void {
    this.#rootExpiry.set(root.getTime() / 1000);
    this.#intermediateExpiry.set(intermediate.getTime() / 1000);
  }

  /** Logs and counts every issuance and refusal of the CA. */
  caAudit(log: Logger): CaAudit {
    return {
      issued: (e) => {
        this.#issued.inc();
        log.info('certificate issued', { identity: e.identity, node: e.nodeName, notAfter: e.notAfter.toISOString() });
      },
      refused: (e) => {
        this.#refused.inc({ reason: e.code });
        const fields = { reason: e.code, message: e.reason, ...(e.identity ? { identity: e.identity } : {}) };
        // A refusal is the CA working; only a failure of the CA itself is an error.
        if (e.code === 'WEFT_CA_INTERNAL') log.error('certificate refused', fields);
        else log.warn('certificate refused', fields);
      },
    };
  }
}
