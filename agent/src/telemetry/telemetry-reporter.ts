import { credentials, Metadata, type ClientWritableStream } from '@grpc/grpc-js';
import { reportToWire, telemetryWire as wire, type Logger } from '@weft/api';
import type { EdgeStats } from './edge-stats.js';
import { reconnectOptions } from '../control/reconnect-options.js';

export interface TelemetryReporterOptions {
  /** host:port of the control plane's gRPC port (15012). */
  address: string;
  serverName: string;
  trustBundlePem: string;
  token: () => Promise<string>;
  stats: EdgeStats;
  log: Logger;
  /** How often a report is sent (default 2 s). */
  intervalMs?: number;
}

/**
 * Sends this agent's edge statistics to the control plane (api/proto/weft/telemetry/v1)
 * every interval over one stream, opened again when it ends. What is counted while the
 * control plane is away is dropped, not kept: the live map is about now, and an agent must
 * never grow without bound because the control plane is down.
 */
export class TelemetryReporter {
  readonly #options: TelemetryReporterOptions;
  readonly #client: wire.TelemetryClient;
  #stream: ClientWritableStream<wire.EdgeReport> | undefined;
  #opening = false;
  #timer: NodeJS.Timeout | undefined;
  #last = Date.now();
  #sent = 0;
  #dropped = 0;

  constructor(options: TelemetryReporterOptions) {
    this.#options = options;
    this.#client = new wire.TelemetryClient(options.address, credentials.createSsl(Buffer.from(options.trustBundlePem)), {
      'grpc.ssl_target_name_override': options.serverName,
      ...reconnectOptions,
      'grpc.keepalive_time_ms': 30_000,
    });
  }

  status(): { connected: boolean; sent: number; dropped: number } {
    return { connected: this.#stream !== undefined, sent: this.#sent, dropped: this.#dropped };
  }

  start(): void {
    this.#timer = setInterval(() => this.#tick(), this.#options.intervalMs ?? 2000);
    this.#timer.unref();
    void this.#open();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#stream?.end();
    this.#stream = undefined;
    this.#client.close();
  }

  #tick(): void {
    const now = Date.now();
    const edges = this.#options.stats.take();
    const report = { intervalEndMs: now, intervalMs: Math.max(now - this.#last, 1), edges };
    this.#last = now;
    const stream = this.#stream;
    if (!stream) {
      if (edges.length > 0) this.#dropped++;
      void this.#open();
      return;
    }
    stream.write(reportToWire(report));
    this.#sent++;
  }

  async #open(): Promise<void> {
    if (this.#stream || this.#opening || !this.#timer) return;
    this.#opening = true;
    try {
      const metadata = new Metadata();
      metadata.set('authorization', `Bearer ${await this.#options.token()}`);
      const stream = this.#client.report(metadata, (error) => {
        if (this.#stream === stream) this.#stream = undefined;
        if (error && this.#timer) this.#options.log.debug('telemetry stream ended; opened again at the next report', { reason: error.details || error.message });
      });
      this.#stream = stream;
    } catch (error) {
      this.#options.log.debug('telemetry stream not opened', { error });
    } finally {
      this.#opening = false;
    }
  }
}
