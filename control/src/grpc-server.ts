import { Server, ServerCredentials } from '@grpc/grpc-js';
import { ca as wire, meshWire, telemetryWire, WeftError } from '@weft/api';
import { certificateAuthorityService, type CertificateAuthority, type ServingIdentity } from './ca/index.js';

export interface GrpcServerOptions {
  host: string;
  port: number;
  serving: ServingIdentity;
  authority: CertificateAuthority;
  /** The config stream (meshConfigService); absent in suites that test the CA alone. */
  meshConfig?: meshWire.MeshConfigServer;
  /** The agents' telemetry (telemetryService). */
  telemetry?: telemetryWire.TelemetryServer;
}

/** The control plane's gRPC port (15012), TLS with a certificate chaining to the mesh root. */
export async function startGrpcServer(options: GrpcServerOptions): Promise<{ server: Server; port: number }> {
  // Agents send CSRs and Acks: small. Updates go the other way and are not limited here.
  const server = new Server({ 'grpc.max_receive_message_length': 64 * 1024, 'grpc.keepalive_time_ms': 30_000, 'grpc.keepalive_timeout_ms': 10_000 });
  server.addService(wire.CertificateAuthorityService, certificateAuthorityService(options.authority));
  if (options.meshConfig) server.addService(meshWire.MeshConfigService, options.meshConfig);
  if (options.telemetry) server.addService(telemetryWire.TelemetryService, options.telemetry);
  const credentials = ServerCredentials.createSsl(null, [{ cert_chain: Buffer.from(options.serving.certificateChainPem), private_key: Buffer.from(options.serving.privateKeyPem) }], false);
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${options.port}`, credentials, (error, bound) =>
      error ? reject(new WeftError('WEFT_CONTROL_BIND_FAILED', `cannot listen on ${host}:${options.port}: ${error.message}`, { cause: error })) : resolve(bound),
    ),
  );
  return { server, port };
}

/** Lets calls in flight finish (up to `graceMs`), then closes what is left. */
export async function stopGrpcServer(server: Server, graceMs: number): Promise<void> {
  await Promise.race([
    new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
    new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref()),
  ]);
  server.forceShutdown();
}
