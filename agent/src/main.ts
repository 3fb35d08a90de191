// weft-agent: read settings, start capture and the proxy, apply the mesh state (from the
// static config file for now), serve the admin port; drain on SIGTERM/SIGINT.
import { readFileSync, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createLogger, WeftError } from '@weft/api';
import { startAdminServer } from './admin-server.js';
import { Agent } from './agent.js';
import { helpText, readConfig } from './config.js';
import { GrpcCertificateSigner } from './identity/index.js';
import { loadStaticConfig } from './state/index.js';

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write(helpText());
  process.exit(0);
}

async function main(): Promise<void> {
  const config = readConfig();
  const log = createLogger({ component: 'weft-agent', level: config.logLevel }).with({ node: config.node });
  const snapshot = loadStaticConfig(config.staticConfig);
  const trustBundlePem = readFileSync(config.ca.trustBundle, 'utf8');
  const signer = new GrpcCertificateSigner({
    address: config.ca.address,
    serverName: config.ca.serverName,
    trustBundlePem,
    token: async () => (await readFile(config.ca.tokenPath, 'utf8')).trim(),
  });
  const agent = Agent.start({
    node: config.node,
    capture: { objectPath: config.objectPath, cgroupPath: config.cgroupPath, pinRoot: config.pinRoot },
    signer,
    trustBundlePem,
    log,
  });
  const admin = await startAdminServer({ agent, address: config.admin.host, port: config.admin.port, log });
  log.info('admin listening', { port: admin.port });
  await agent.apply(snapshot);
  log.info('mesh state applied', { version: snapshot.version, from: config.staticConfig });

  // A changed file is applied; a bad one is refused and the running state kept.
  let pending: NodeJS.Timeout | undefined;
  const reload = (): void => {
    clearTimeout(pending);
    pending = setTimeout(() => {
      try {
        const next = loadStaticConfig(config.staticConfig);
        if (next.version === agent.state.version) return;
        agent.apply(next).then(
          () => log.info('mesh state applied', { version: next.version }),
          (error: unknown) => log.error('mesh state refused; keeping the previous one', { error }),
        );
      } catch (error) {
        log.error('static config refused; keeping the previous state', { error });
      }
    }, 200);
  };
  const watcher = watch(config.staticConfig, reload);
  process.on('SIGHUP', reload);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    watcher.close();
    admin.server.close();
    signer.close();
    agent.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error('stop failed', { error });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  const message = error instanceof WeftError ? `${error.code}: ${error.message}` : error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`weft-agent: ${message}\n`);
  process.exit(1);
});
