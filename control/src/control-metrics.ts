import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { Logger } from '@weft/api';
import type { CaAudit } from './ca/index.js';

/** The control plane's Prometheus metrics (served on WEFT_HTTP_ADDRESS /metrics). */
export class ControlMetrics {
  readonly registry = new Registry();
  readonly #issued: Counter;
  readonly #refused: Counter<'reason'>;
  readonly #rootExpiry: Gauge;
  readonly #intermediateExpiry: Gauge;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'weft_control_' });
    const registers = [this.registry];
    this.#issued = new Counter({ name: 'weft_ca_certificates_issued_total', help: 'Workload certificates signed', registers });
    this.#refused = new Counter({ name: 'weft_ca_refusals_total', help: 'Certificate requests refused, by reason (a WEFT_CA_* code)', labelNames: ['reason'], registers });
    this.#rootExpiry = new Gauge({ name: 'weft_ca_root_expiry_timestamp_seconds', help: 'When the mesh root certificate expires', registers });
    this.#intermediateExpiry = new Gauge({ name: 'weft_ca_intermediate_expiry_timestamp_seconds', help: 'When the signing intermediate expires', registers });
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
