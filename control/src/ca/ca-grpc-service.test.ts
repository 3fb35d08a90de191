// Unit tier: the CA's gRPC edge over a real TLS connection on 127.0.0.1, port 0. The
// client trusts only the mesh root, as an agent does.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { credentials, Metadata, Server, ServerCredentials, status, type ServiceError } from '@grpc/grpc-js';
import { ca as wire } from '@weft/api';
import { CertificateAuthority } from './certificate-authority.js';
import { certificateAuthorityService } from './ca-grpc-service.js';
import { AgentAuthenticator } from '../auth/index.js';
import { CsrAuthorizer } from './csr-authorizer.js';
import { issueServingIdentity } from './serving-certificate.js';
import { ecdsaP256, generateTrustAnchor, type TrustAnchor } from './trust-anchor.js';
import { WorkloadIssuer } from './workload-issuer.js';
import { subtle, x509 } from './x509.js';

const serviceName = 'weft-control.weft-system.svc';

async function csrFor(sa: string): Promise<string> {
  const keys = (await subtle.generateKey(ecdsaP256, false, ['sign', 'verify']));
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    keys,
    signingAlgorithm: ecdsaP256,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'url', value: `spiffe://cluster.local/ns/shop/sa/${sa}` }])],
  });
  return csr.toString('pem');
}

describe('CertificateAuthority gRPC service (TLS)', () => {
  let anchor: TrustAnchor;
  let server: Server;
  let client: wire.CertificateAuthorityClient;
  let reviewerDown = false;

  before(async () => {
    anchor = await generateTrustAnchor({ trustDomain: 'cluster.local' });
    const authority = new CertificateAuthority({
      trustDomain: 'cluster.local',
      issuer: new WorkloadIssuer({ anchor }),
      authorizer: new CsrAuthorizer({
        agents: new AgentAuthenticator({ reviewer: {
          review: (token) =>
            reviewerDown
              ? Promise.reject(new Error('connect ECONNREFUSED'))
              : Promise.resolve(token === 'agent' ? { authenticated: true, username: 'system:serviceaccount:weft-system:weft-agent', nodeName: 'node1' } : { authenticated: false }),
        }, agent: { namespace: 'weft-system', name: 'weft-agent' } }),
        pods: { hasPod: ({ serviceAccount }) => serviceAccount === 'checkout' },
      }),
    });
    const serving = await issueServingIdentity(anchor, { dns: [serviceName] });
    server = new Server();
    server.addService(wire.CertificateAuthorityService, certificateAuthorityService(authority));
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(
        '127.0.0.1:0',
        ServerCredentials.createSsl(null, [{ cert_chain: Buffer.from(serving.certificateChainPem), private_key: Buffer.from(serving.privateKeyPem) }], false),
        (error, bound) => (error ? reject(error) : resolve(bound)),
      ),
    );
    client = new wire.CertificateAuthorityClient(`127.0.0.1:${port}`, credentials.createSsl(Buffer.from(anchor.root.certificate.toString('pem'))), {
      'grpc.ssl_target_name_override': serviceName,
    });
  });

  after(() => {
    client.close();
    server.forceShutdown();
  });

  function certify(request: wire.CertifyRequest, metadata = new Metadata()): Promise<wire.CertifyResponse> {
    return new Promise((resolve, reject) => client.certify(request, metadata, (error, response) => (error ? reject(error) : resolve(response))));
  }

  const withCode = (code: status, reason: string) => (error: unknown): boolean => {
    const e = error as ServiceError;
    return e.code === code && e.details.startsWith(reason);
  };

  it('signs over TLS, with the token in the request or as a Bearer header', async () => {
    const reply = await certify({ csrPem: await csrFor('checkout'), token: 'agent' });
    assert.match(reply.certificateChainPem, /^-----BEGIN CERTIFICATE-----/);
    assert.equal(reply.certificateChainPem.match(/BEGIN CERTIFICATE/g)?.length, 2);
    const hours = (Number(reply.notAfterUnixSeconds) * 1000 - Date.now()) / 3_600_000;
    assert.ok(hours > 23.9 && hours <= 24);
    const metadata = new Metadata();
    metadata.set('authorization', 'Bearer agent');
    await certify({ csrPem: await csrFor('checkout'), token: '' }, metadata);
  });

  it('maps every refusal to its gRPC status with the reason', async () => {
    await assert.rejects(certify({ csrPem: await csrFor('checkout'), token: 'forged' }), withCode(status.UNAUTHENTICATED, 'WEFT_AUTH_TOKEN_INVALID'));
    await assert.rejects(certify({ csrPem: await csrFor('payments'), token: 'agent' }), withCode(status.PERMISSION_DENIED, 'WEFT_CA_NO_POD_ON_NODE'));
    await assert.rejects(certify({ csrPem: 'not a csr', token: 'agent' }), withCode(status.INVALID_ARGUMENT, 'WEFT_CA_MALFORMED_CSR'));
    reviewerDown = true;
    await assert.rejects(certify({ csrPem: await csrFor('checkout'), token: 'agent' }), withCode(status.UNAVAILABLE, 'WEFT_AUTH_TOKEN_REVIEW_FAILED'));
    reviewerDown = false;
  });

  it('is refused by a client that does not trust the mesh root', async () => {
    const stranger = new wire.CertificateAuthorityClient(client.getChannel().getTarget().replace(/^dns:/, ''), credentials.createSsl(), { 'grpc.ssl_target_name_override': serviceName });
    const attempt = new Promise((resolve, reject) => stranger.certify({ csrPem: '', token: '' }, (error, r) => (error ? reject(error) : resolve(r))));
    await assert.rejects(attempt, (e: unknown) => (e as ServiceError).code === status.UNAVAILABLE);
    stranger.close();
  });
});
