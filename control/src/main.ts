// weft-control: read settings, load the trust anchor, watch the cluster into the mesh
// model, serve the CA, the config stream and the agents' telemetry on gRPC (15012), and
// the web UI, health and metrics on HTTP (8084); drain on SIGTERM/SIGINT.
import { createLogger, WeftError } from '@weft/api';
import { AgentAuthenticator } from './auth/index.js';
import { AnchorDirectory, CertificateAuthority, CsrAuthorizer, issueServingIdentity, loadTrustAnchor, WorkloadIssuer } from './ca/index.js';
import { helpText, readConfig } from './config.js';
import { ControlMetrics } from './control-metrics.js';
import { startGrpcServer, stopGrpcServer } from './grpc-server.js';
import { startHttpServer } from './http-server.js';
import { AnchorSecret, KubePodDirectory, KubeTokenReviewer, loadKubeConfig, MeshWatches, PolicyStatusWriter, publishTrustBundle } from './kube/index.js';
import { ConfigDistributor, meshConfigService, MeshModel } from './mesh/index.js';
import { TelemetryStore, telemetryService } from './telemetry/index.js';
import { attachLiveUpdates, uiRoutes } from './ui/index.js';

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write(helpText());
  process.exit(0);
}

async function main(): Promise<void> {
  const config = readConfig();
  const log = createLogger({ component: 'weft-control', level: config.logLevel });
  const kubeconfig = loadKubeConfig(config.kubeconfig);
  const metrics = new ControlMetrics();

  const model = new MeshModel({
    settings: { trustDomain: config.trustDomain, defaultMode: config.defaultMode, outboundPolicy: config.outboundPolicy },
    meshNamespace: config.namespace,
  });
  const pods = new KubePodDirectory({ kubeconfig });
  const policyStatus = new PolicyStatusWriter({ kubeconfig, log });
  const watches = new MeshWatches({ kubeconfig, model, pods, onPolicy: (object, translated) => policyStatus.observed(object, translated), log });
  watches.start();
  let serving = false;
  const telemetry = new TelemetryStore({ resolver: model });
  const http = await startHttpServer({ ...config.http, registry: metrics.registry, isReady: () => serving && watches.isReady, ui: uiRoutes({ store: telemetry, appDir: config.uiDir, log }), log });
  const live = attachLiveUpdates({ server: http.server, store: telemetry, log });
  log.info('http listening', { port: http.port });

  const store = config.caDir ? new AnchorDirectory(config.caDir) : new AnchorSecret({ kubeconfig, namespace: config.namespace, name: config.caSecret });
  const { anchor } = await loadTrustAnchor({ store, trustDomain: config.trustDomain, log });
  metrics.anchorExpiry(anchor.root.certificate.notAfter, anchor.intermediate.certificate.notAfter);
  if (config.trustBundleConfigMap) {
    const name = config.trustBundleConfigMap;
    const result = await publishTrustBundle({ kubeconfig, namespace: config.namespace, name, rootPem: anchor.root.certificate.toString('pem') });
    log.info('trust bundle published', { configMap: `${config.namespace}/${name}`, result });
  }
  const agents = new AgentAuthenticator({
    reviewer: new KubeTokenReviewer({ kubeconfig, audiences: config.tokenAudiences }),
    agent: { namespace: config.namespace, name: config.agentServiceAccount },
  });
  const authority = new CertificateAuthority({
    trustDomain: config.trustDomain,
    issuer: new WorkloadIssuer({ anchor, ttlSeconds: config.certTtlSeconds }),
    authorizer: new CsrAuthorizer({ agents, pods }),
    audit: metrics.caAudit(log),
  });
  const distributor = new ConfigDistributor({ model, log, events: metrics.distributorEvents() });
  const meshConfig = meshConfigService({ agents, distributor, log });
  const servingIdentity = await issueServingIdentity(anchor, { dns: config.servingNames });
  await watches.ready;
  distributor.start();
  const grpc = await startGrpcServer({ ...config.grpc, serving: servingIdentity, authority, meshConfig, telemetry: telemetryService({ agents, store: telemetry, log }) });
  serving = true;
  log.info('grpc listening', { port: grpc.port, servingNames: config.servingNames });

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    meshConfig.closeAll();
    live.close();
    void Promise.allSettled([stopGrpcServer(grpc.server, 5000), new Promise((resolve) => http.server.close(resolve)), watches.stop()]).then(() => {
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
