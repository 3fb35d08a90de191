import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { ca, WeftError } from '@weft/api';
import type { CertificateSigner, SignedChain } from './workload-identities.js';
import { reconnectOptions } from '../control/reconnect-options.js';

export interface GrpcSignerOptions {
  /** host:port of the control plane's gRPC port (15012). */
  address: string;
  /** PEM of the mesh root: the only CA the agent trusts for the control plane. */
  trustBundlePem: string;
  /** The name in the control plane's serving certificate, e.g. weft-control.weft-system.svc. */
  serverName: string;
  /** The agent's current ServiceAccount token (re-read for every request: it rotates). */
  token: () => string | Promise<string>;
  timeoutMs?: number;
}

/** CertificateSigner over the CA's gRPC contract (api/proto/weft/ca/v1/ca.proto). */
export class GrpcCertificateSigner implements CertificateSigner {
  readonly #client: ca.CertificateAuthorityClient;
  readonly #options: GrpcSignerOptions;

  constructor(options: GrpcSignerOptions) {
    this.#options = options;
    this.#client = new ca.CertificateAuthorityClient(options.address, credentials.createSsl(Buffer.from(options.trustBundlePem)), {
      'grpc.ssl_target_name_override': options.serverName,
      ...reconnectOptions,
    });
  }

  async certify(csrPem: string): Promise<SignedChain> {
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${await this.#options.token()}`);
    const deadline = new Date(Date.now() + (this.#options.timeoutMs ?? 10_000));
    return new Promise((resolve, reject) => {
      this.#client.certify({ csrPem, token: '' }, metadata, { deadline }, (error: ServiceError | null, reply?: ca.CertifyResponse) => {
        if (error || !reply) {
          reject(
            new WeftError('WEFT_IDENTITY_CA_REFUSED', `the CA refused: ${error?.details ?? 'no reply'}`, {
              cause: error,
              hint: 'UNAVAILABLE: is the control plane up and port 15012 reachable from the node?',
            }),
          );
          return;
        }
        resolve({ chainPem: reply.certificateChainPem, notAfter: new Date(Number(reply.notAfterUnixSeconds) * 1000) });
      });
    });
  }

  close(): void {
    this.#client.close();
  }
}
