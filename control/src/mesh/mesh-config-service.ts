import { status, type ServerDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { meshWire as wire, updateToWire, type Logger } from '@weft/api';
import type { AgentAuthenticator } from '../auth/agent-authenticator.js';
import { bearerToken, Refusal, refusalStatus } from '../auth/refusal.js';
import type { ConfigDistributor, ConfigSession } from './config-distributor.js';

export interface MeshConfigServiceOptions {
  agents: AgentAuthenticator;
  distributor: ConfigDistributor;
  log: Logger;
}

type Call = ServerDuplexStream<wire.AgentMessage, wire.Update>;

/** Ends a call with a status, once. */
function end(call: Call, code: status, details: string): void {
  if (call.destroyed) return;
  const error: Partial<ServiceError> = { code, details, name: 'MeshConfigError', message: details };
  call.emit('error', error);
}

/**
 * The MeshConfig gRPC service (contract: api/proto/weft/mesh/v1/mesh.proto): authenticates
 * the agent by its token, opens a distributor session for the token's node on Subscribe,
 * and passes the agent's Acks on. One bad stream is ended alone; nothing else is touched.
 */
export function meshConfigService(options: MeshConfigServiceOptions): wire.MeshConfigServer & { closeAll(): void } {
  const { agents, distributor, log } = options;
  const open = new Set<Call>();
  return {
    stream(call: Call): void {
      open.add(call);
      let session: ConfigSession | undefined;
      const finish = (): void => {
        open.delete(call);
        session?.close();
      };
      call.on('cancelled', finish);
      call.on('close', finish);
      call.on('error', finish);
      call.on('end', () => {
        finish();
        call.end();
      });
      agents.authenticate(bearerToken(call.metadata.get('authorization'))).then(
        ({ nodeName }) => {
          if (call.destroyed || !open.has(call)) return;
          // Messages wait in the stream's buffer until this listener is attached.
          call.on('data', (message: wire.AgentMessage) => {
            if (!session) {
              if (!message.subscribe) {
                end(call, status.INVALID_ARGUMENT, 'WEFT_MESH_PROTOCOL: the first message must be Subscribe');
                return;
              }
              session = distributor.open(nodeName, message.subscribe.version, {
                send: (update) => {
                  if (!call.destroyed) call.write(updateToWire(update));
                },
              });
            } else if (message.ack) session.answered(message.ack.version, message.ack.error);
            else end(call, status.INVALID_ARGUMENT, 'WEFT_MESH_PROTOCOL: after Subscribe only Acks are expected');
          });
        },
        (error: unknown) => {
          if (error instanceof Refusal) {
            log.warn('config stream refused', { code: error.code, reason: error.message });
            end(call, refusalStatus[error.kind], `${error.code}: ${error.message}`);
          } else {
            log.error('config stream failed', { error });
            end(call, status.INTERNAL, 'WEFT_MESH_INTERNAL: the control plane failed; see its log');
          }
        },
      );
    },
    /** Ends every stream (the control plane is stopping): agents reconnect to another replica or later. */
    closeAll(): void {
      for (const call of [...open]) end(call, status.UNAVAILABLE, 'WEFT_MESH_STOPPING: the control plane is stopping');
      distributor.closeAll();
    },
  };
}
