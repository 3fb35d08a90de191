// Test and benchmark support (`@weft/control/testing`): the real CA code with an authorizer
// that lets every caller in as the agent, for suites whose subject is not authorization
// (the TokenReview path is tested against the testbed's API server).
import { AgentAuthenticator } from './auth/index.js';
import { CertificateAuthority, CsrAuthorizer, WorkloadIssuer, type TrustAnchor } from './ca/index.js';

export function trustingAuthority(options: { anchor: TrustAnchor; trustDomain?: string; ttlSeconds?: number }): CertificateAuthority {
  return new CertificateAuthority({
    trustDomain: options.trustDomain ?? 'cluster.local',
    issuer: new WorkloadIssuer({ anchor: options.anchor, ...(options.ttlSeconds ? { ttlSeconds: options.ttlSeconds } : {}) }),
    authorizer: new CsrAuthorizer({
      agents: new AgentAuthenticator({ reviewer: { review: () => Promise.resolve({ authenticated: true, username: 'system:serviceaccount:weft-system:weft-agent', nodeName: 'node1' }) }, agent: { namespace: 'weft-system', name: 'weft-agent' } }),
      pods: { hasPod: () => true },
    }),
  });
}
