// weft-control: read settings, build the CA from the stored trust anchor, watch pods,
// serve gRPC (15012) and HTTP (8084); drain on SIGTERM/SIGINT.
import { createLogger, WeftError } from '@weft/api';
import { AnchorDirectory, CertificateAuthority, CsrAuthorizer, issueServingIdentity, loadTrustAnchor, WorkloadIssuer } from './ca/index.js';
import { helpText, readConfig } from './config.js';
import { ControlMetrics } from './control-metrics.js';
import { startGrpcServer, stopGrpcServer } from './grpc-server.js';
import { startHttpServer } from './http-server.js';
import { AnchorSecret, KubePodDirectory, KubeTokenReviewer, loadKubeConfig } from './kube/index.js';

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write(helpText());
  process.exit(0);
}

async function main(): Promise<void> {
  const config = readConfig();
  const log = createLogger({ component: 'weft-control', level: config.logLevel });
  const kubeconfig = loadKubeConfig(config.kubeconfig);
  const metrics = new ControlMetrics();

  const pods = new KubePodDirectory({ kubeconfig, log });
  pods.start();
  let serving = false;
  const http = await startHttpServer({ ...config.http, registry: metrics.registry, isReady: () => serving && pods.isReady, log });
  log.info('http listening', { port: http.port });

  const store = config.caDir ? new AnchorDirectory(config.caDir) : new AnchorSecret({ kubeconfig, namespace: config.namespace, name: config.caSecret });
  const { anchor } = await loadTrustAnchor({ store, trustDomain: config.trustDomain, log });
  metrics.anchorExpiry(anchor.root.certificate.notAfter, anchor.intermediate.certificate.notAfter);
  const authority = new CertificateAuthority({
    trustDomain: config.trustDomain,
    issuer: new WorkloadIssuer({ anchor, ttlSeconds: config.certTtlSeconds }),
    authorizer: new CsrAuthorizer({
      reviewer: new KubeTokenReviewer({ kubeconfig, audiences: config.tokenAudiences }),
      pods,
      agent: { namespace: config.namespace, name: config.agentServiceAccount },
    }),
    audit: metrics.caAudit(log),
  });
  const servingIdentity = await issueServingIdentity(anchor, { dns: config.servingNames });
  await pods.ready;
  const grpc = await startGrpcServer({ ...config.grpc, serving: servingIdentity, authority });
  serving = true;
  log.info('grpc listening', { port: grpc.port, servingNames: config.servingNames });

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    void Promise.allSettled([stopGrpcServer(grpc.server, 5000), new Promise((resolve) => http.server.close(resolve)), pods.stop()]).then(() => {
      log.info('stopped');
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  const message = error instanceof WeftError ? `${error.code}: ${error.message}` : error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`weft-control: ${message}\n`);
  process.exit(1);
});
