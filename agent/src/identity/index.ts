export { buildWorkloadCsr, createWorkloadKey, type WorkloadKey } from './workload-csr.js';
export {
  WorkloadIdentities,
  type CertificateSigner,
  type PrewarmFailure,
  type PrewarmOptions,
  type PrewarmResult,
  type SignedChain,
  type WorkloadCertificate,
  type WorkloadCertificateSource,
  type WorkloadIdentitiesOptions,
} from './workload-identities.js';
export { GrpcCertificateSigner, type GrpcSignerOptions } from './grpc-signer.js';
