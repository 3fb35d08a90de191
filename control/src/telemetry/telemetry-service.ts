import { status, type sendUnaryData, type ServerReadableStream } from '@grpc/grpc-js';
import { reportFromWire, telemetryWire as wire, type Logger } from '@weft/api';
import type { AgentAuthenticator } from '../auth/agent-authenticator.js';
import { bearerToken, Refusal, refusalStatus } from '../auth/refusal.js';
import type { TelemetryStore } from './telemetry-store.js';

export interface TelemetryServiceOptions {
  agents: AgentAuthenticator;
  store: TelemetryStore;
  log: Logger;
}

type Call = ServerReadableStream<wire.EdgeReport, wire.ReportSummary>;

/**
 * The Telemetry gRPC service (contract: api/proto/weft/telemetry/v1/telemetry.proto): an
 * agent, authenticated as on the config stream, streams its edge reports into the store.
 * A report that cannot be read ends that stream alone, with INVALID_ARGUMENT.
 */
export function telemetryService(options: TelemetryServiceOptions): wire.TelemetryServer {
  const { agents, store, log } = options;
  return {
    report(call: Call, callback: sendUnaryData<wire.ReportSummary>): void {
      let reports = 0;
      let done = false;
      const finish = (error: { code: status; details: string } | null): void => {
        if (done) return;
        done = true;
        if (error) callback(error);
        else callback(null, { reports: BigInt(reports) });
      };
      agents.authenticate(bearerToken(call.metadata.get('authorization'))).then(
        ({ nodeName }) => {
          call.on('data', (message: wire.EdgeReport) => {
            if (done) return;
            try {
              store.ingest(reportFromWire(message));
              reports++;
            } catch (error) {
              log.warn('telemetry report refused', { node: nodeName, error });
              finish({ code: status.INVALID_ARGUMENT, details: `WEFT_TELEMETRY_BAD_REPORT: ${error instanceof Error ? error.message : String(error)}` });
              call.destroy();
            }
          });
          call.on('end', () => finish(null));
          call.on('error', () => finish(null));
        },
        (error: unknown) => {
          if (error instanceof Refusal) finish({ code: refusalStatus[error.kind], details: `${error.code}: ${error.message}` });
          else finish({ code: status.INTERNAL, details: 'WEFT_TELEMETRY_INTERNAL: see the control plane log' });
        },
      );
    },
  };
}
