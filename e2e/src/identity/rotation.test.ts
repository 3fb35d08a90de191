// Rotation under continuous new mTLS connections: the real CA served over gRPC with TLS,
// the agent's identity manager renewing 2-second certificates through it, and two
// workloads opening a TLS 1.3 mutual connection every few milliseconds. The token
// reviewer is in memory here (the TokenReview path needs the control plane on the testbed).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createSecureContext, connect, createServer, type SecureContext } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { GrpcCertificateSigner, WorkloadIdentities, type WorkloadCertificate } from '@weft/agent';
import { ca } from '@weft/api';
import { AgentAuthenticator, CertificateAuthority, certificateAuthorityService, CsrAuthorizer, generateTrustAnchor, issueServingIdentity, WorkloadIssuer } from '@weft/control';

const serverId = 'spiffe://cluster.local/ns/shop/sa/cart';
const clientId = 'spiffe://cluster.local/ns/shop/sa/checkout';
const serviceName = 'weft-control.weft-system.svc';

describe('certificate rotation under continuous mTLS (real CA over gRPC)', () => {
  let grpcServer: Server;
  let signer: GrpcCertificateSigner;
  let identities: WorkloadIdentities;
  let rootPem: string;
  let issued = 0;

  before(async () => {
    const anchor = await generateTrustAnchor({ trustDomain: 'cluster.local' });
    rootPem = anchor.root.certificate.toString('pem');
    const authority = new CertificateAuthority({
      trustDomain: 'cluster.local',
      issuer: new WorkloadIssuer({ anchor, ttlSeconds: 2 }),
      authorizer: new CsrAuthorizer({
        agents: new AgentAuthenticator({ reviewer: { review: (token) => Promise.resolve(token === 'agent-token' ? { authenticated: true, username: 'system:serviceaccount:weft-system:weft-agent', nodeName: 'node1' } : { authenticated: false }) }, agent: { namespace: 'weft-system', name: 'weft-agent' } }),
        pods: { hasPod: ({ nodeName }) => nodeName === 'node1' },
      }),
    });
    const serving = await issueServingIdentity(anchor, { dns: [serviceName] });
    grpcServer = new Server();
    const service = certificateAuthorityService(authority);
    grpcServer.addService(ca.CertificateAuthorityService, {
      certify: (call: Parameters<typeof service.certify>[0], callback: Parameters<typeof service.certify>[1]) => {
        issued++;
        service.certify(call, callback);
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      grpcServer.bindAsync(
        '127.0.0.1:0',
        ServerCredentials.createSsl(null, [{ cert_chain: Buffer.from(serving.certificateChainPem), private_key: Buffer.from(serving.privateKeyPem) }], false),
        (error, bound) => (error ? reject(error) : resolve(bound)),
      ),
    );
    signer = new GrpcCertificateSigner({ address: `127.0.0.1:${port}`, trustBundlePem: rootPem, serverName: serviceName, token: () => 'agent-token' });
    identities = new WorkloadIdentities({ signer });
  });

  after(() => {
    identities.stop();
    signer.close();
    grpcServer.forceShutdown();
  });

  it('rotates every second with zero failed handshakes and no certificate used past its expiry', async () => {
    await Promise.all([identities.ensure(serverId), identities.ensure(clientId)]);
    const contexts = new WeakMap<WorkloadCertificate, SecureContext>();
    const contextOf = (certificate: WorkloadCertificate): SecureContext => {
      let context = contexts.get(certificate);
      if (!context) {
        context = createSecureContext({ cert: certificate.chainPem, key: certificate.privateKey.export({ type: 'pkcs8', format: 'pem' }), ca: rootPem, minVersion: 'TLSv1.3' });
        contexts.set(certificate, context);
      }
      return context;
    };
    const current = (id: string): WorkloadCertificate => {
      const certificate = identities.current(id);
      assert.ok(certificate, `${id} has a valid certificate`);
      return certificate;
    };

    const expiredSeen: string[] = [];
    const server = createServer({ requestCert: true, rejectUnauthorized: true, SNICallback: (_name, done) => done(null, contextOf(current(serverId))) }, (socket) => {
      const peer = socket.getPeerCertificate();
      if (new Date(peer.valid_to).getTime() < Date.now() - 1000) expiredSeen.push(`client cert ${peer.valid_to}`);
      socket.end('ok');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    assert.ok(address && typeof address === 'object');

    const started = Date.now();
    const firstChains = new Set([current(serverId).chainPem, current(clientId).chainPem]);
    let handshakes = 0;
    const failures: string[] = [];
    while (Date.now() - started < 6000) {
      const result = await new Promise<string>((resolve) => {
        const socket = connect({ host: '127.0.0.1', port: address.port, servername: 'cart.shop', secureContext: contextOf(current(clientId)), checkServerIdentity: () => undefined });
        socket.setTimeout(2000, () => socket.destroy(new Error('timeout')));
        socket.once('secureConnect', () => {
          const peer = socket.getPeerCertificate();
          if (new Date(peer.valid_to).getTime() < Date.now() - 1000) expiredSeen.push(`server cert ${peer.valid_to}`);
          if (peer.subjectaltname !== `URI:${serverId}`) failures.push(`unexpected peer ${String(peer.subjectaltname)}`);
        });
        socket.on('data', () => socket.end());
        socket.once('close', () => resolve('closed'));
        socket.once('error', (error: Error) => resolve(`error: ${error.message}`));
      });
      handshakes++;
      if (result !== 'closed') failures.push(result);
      await sleep(10);
    }
    server.close();
    assert.deepEqual(failures, [], `${failures.length} of ${handshakes} connections failed`);
    assert.deepEqual(expiredSeen, [], 'no certificate was used past its expiry');
    assert.ok(handshakes > 100, `${handshakes} handshakes`);
    assert.ok(issued >= 8, `certificates were rotated (${issued} issued in 6 s with a 2 s lifetime)`);
    assert.equal(firstChains.has(current(serverId).chainPem), false, 'the server now presents a renewed certificate');
  });
});
