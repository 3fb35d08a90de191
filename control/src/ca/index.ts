export { CaRefusal, type RefusalKind } from './ca-error.js';
export { CertificateAuthority, type CaCounters } from './certificate-authority.js';
export { CsrAuthorizer, type PodDirectory, type TokenReviewer, type TokenReviewResult } from './csr-authorizer.js';
export { checkCsr, type CheckedCsr } from './csr-check.js';
export { SpiffeId } from './spiffe-id.js';
export { generateTrustAnchor, type KeyedCertificate, type TrustAnchor } from './trust-anchor.js';
export { WorkloadIssuer, type IssuedSvid } from './workload-issuer.js';
export { certificateAuthorityService } from './ca-grpc-service.js';
export { issueServingIdentity, type ServingIdentity } from './serving-certificate.js';
