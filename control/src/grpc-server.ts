import { Server, ServerCredentials } from '@grpc/grpc-js';
import { ca as wire, WeftError } from '@weft/api';
import { certificateAuthorityService, type CertificateAuthority, type ServingIdentity } from './ca/index.js';

/** The control plane's gRPC port (15012), TLS with a certificate chaining to the mesh root. */
export async function startGrpcServer(options: { host: string; port: number; serving: ServingIdentity; authority: CertificateAuthority }): Promise<{ server: Server; port: number }> {
  const server = new Server({ 'grpc.max_receive_message_length': 64 * 1024 });
  server.addService(wire.CertificateAuthorityService, certificateAuthorityService(options.authority));
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
