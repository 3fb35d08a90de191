import { fileURLToPath } from 'node:url';
import { WeftError, isLogLevel, parseHostPort, settingReader, settingsHelp, type LogLevel, type MeshSettings } from '@weft/api';

/**
 * The control plane's settings: every WEFT_* variable it reads is declared here, with its
 * default and meaning (printed by `--help`), and nowhere else.
 */
export const settings = {
  WEFT_TRUST_DOMAIN: { default: 'cluster.local', help: 'SPIFFE trust domain of the mesh' },
  WEFT_NAMESPACE: { default: 'weft-system', help: 'namespace Weft runs in (agent ServiceAccount, CA Secret)' },
  WEFT_AGENT_SERVICE_ACCOUNT: { default: 'weft-agent', help: 'the only ServiceAccount whose tokens may ask for certificates' },
  WEFT_SERVICE_NAME: { default: 'weft-control', help: 'the control plane Service; its DNS names go in the serving certificate' },
  WEFT_CLUSTER_DOMAIN: { default: 'cluster.local', help: 'DNS suffix of the cluster (for the serving certificate names)' },
  WEFT_CA_SECRET: { default: 'weft-ca', help: 'Secret (in WEFT_NAMESPACE) keeping the trust anchor; created on first start' },
  WEFT_TRUST_BUNDLE_CONFIGMAP: { default: 'weft-trust-bundle', help: 'ConfigMap (in WEFT_NAMESPACE) where the mesh root certificate is published for the agents; empty: not published' },
  WEFT_CA_DIR: { default: '', help: 'folder with a trust anchor given at install (root.crt, and root.key or intermediate.crt + intermediate.key); read only, replaces WEFT_CA_SECRET' },
  WEFT_CERT_TTL_SECONDS: { default: '86400', help: 'lifetime of workload certificates, 60 to 31536000' },
  WEFT_CA_TOKEN_AUDIENCES: { default: '', help: 'comma-separated token audiences the CA accepts (empty: the API server default)' },
  WEFT_DEFAULT_MTLS_MODE: { default: 'PERMISSIVE', help: 'plaintext inbound to enrolled pods: PERMISSIVE accepts it, STRICT refuses it (namespaces and pods override with the label weft.dev/mtls-mode)' },
  WEFT_OUTBOUND_POLICY: { default: 'ALLOW_ANY', help: 'outbound to destinations outside the mesh: ALLOW_ANY passes it through, REGISTRY_ONLY refuses it' },
  WEFT_GRPC_ADDRESS: { default: '0.0.0.0:15012', help: 'gRPC (CA, config stream), TLS' },
  WEFT_HTTP_ADDRESS: { default: '0.0.0.0:8084', help: 'HTTP: the web UI and its API (/api/v1/…), /healthz, /readyz, /metrics' },
  WEFT_UI_DIR: { default: fileURLToPath(new URL('../../ui/dist/app', import.meta.url)), help: 'the built web UI served on WEFT_HTTP_ADDRESS (the image puts it here)' },
  WEFT_KUBECONFIG: { default: '', help: 'kubeconfig file (empty: in-cluster ServiceAccount)' },
  WEFT_LOG_LEVEL: { default: 'info', help: 'debug, info, warn or error' },
} as const;

export type SettingName = keyof typeof settings;

export interface ControlConfig {
  trustDomain: string;
  namespace: string;
  agentServiceAccount: string;
  servingNames: string[];
  caSecret: string;
  trustBundleConfigMap: string | undefined;
  caDir: string | undefined;
  certTtlSeconds: number;
  tokenAudiences: string[];
  defaultMode: MeshSettings['defaultMode'];
  outboundPolicy: MeshSettings['outboundPolicy'];
  grpc: { host: string; port: number };
  http: { host: string; port: number };
  kubeconfig: string | undefined;
  uiDir: string;
  logLevel: LogLevel;
}

const dnsLabel = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const domainPattern = /^[a-z0-9]([-a-z0-9.]{0,253}[a-z0-9])?$/;

/** Reads the environment; every bad value is named in one error, nothing starts half-set. */
export function readConfig(environment: NodeJS.ProcessEnv = process.env): ControlConfig {
  const get = settingReader(settings, environment);
  const problems: string[] = [];
  const trustDomain = get('WEFT_TRUST_DOMAIN');
  for (const name of ['WEFT_TRUST_DOMAIN', 'WEFT_CLUSTER_DOMAIN'] as const) {
    if (!domainPattern.test(get(name))) problems.push(`${name}=${get(name)} must be a lower-case DNS name, e.g. cluster.local`);
  }
  const optional: readonly string[] = ['WEFT_TRUST_BUNDLE_CONFIGMAP'];
  for (const name of ['WEFT_NAMESPACE', 'WEFT_AGENT_SERVICE_ACCOUNT', 'WEFT_SERVICE_NAME', 'WEFT_CA_SECRET', 'WEFT_TRUST_BUNDLE_CONFIGMAP'] as const) {
    const value = get(name);
    if (value === '' && optional.includes(name)) continue;
    if (!dnsLabel.test(value)) problems.push(`${name}=${value} must be a Kubernetes name (lower-case letters, digits, '-')`);
  }
  const ttl = Number(get('WEFT_CERT_TTL_SECONDS'));
  if (!Number.isInteger(ttl) || ttl < 60 || ttl > 31_536_000) problems.push(`WEFT_CERT_TTL_SECONDS=${get('WEFT_CERT_TTL_SECONDS')} must be a whole number of seconds from 60 to 31536000`);
  const level = get('WEFT_LOG_LEVEL');
  if (!isLogLevel(level)) problems.push(`WEFT_LOG_LEVEL=${level} must be debug, info, warn or error`);
  const defaultMode = get('WEFT_DEFAULT_MTLS_MODE');
  if (defaultMode !== 'STRICT' && defaultMode !== 'PERMISSIVE') problems.push(`WEFT_DEFAULT_MTLS_MODE=${defaultMode} must be STRICT or PERMISSIVE`);
  const outboundPolicy = get('WEFT_OUTBOUND_POLICY');
  if (outboundPolicy !== 'ALLOW_ANY' && outboundPolicy !== 'REGISTRY_ONLY') problems.push(`WEFT_OUTBOUND_POLICY=${outboundPolicy} must be ALLOW_ANY or REGISTRY_ONLY`);
  const grpc = parseHostPort('WEFT_GRPC_ADDRESS', get('WEFT_GRPC_ADDRESS'), problems);
  const http = parseHostPort('WEFT_HTTP_ADDRESS', get('WEFT_HTTP_ADDRESS'), problems);
  if (problems.length > 0 || !isLogLevel(level) || (defaultMode !== 'STRICT' && defaultMode !== 'PERMISSIVE') || (outboundPolicy !== 'ALLOW_ANY' && outboundPolicy !== 'REGISTRY_ONLY')) {
    throw new WeftError('WEFT_CONTROL_BAD_CONFIG', `the control plane's settings are not valid:\n  ${problems.join('\n  ')}`, { hint: 'run with --help for every setting' });
  }
  const namespace = get('WEFT_NAMESPACE');
  const service = `${get('WEFT_SERVICE_NAME')}.${namespace}.svc`;
  return {
    trustDomain,
    namespace,
    agentServiceAccount: get('WEFT_AGENT_SERVICE_ACCOUNT'),
    servingNames: [service, `${service}.${get('WEFT_CLUSTER_DOMAIN')}`],
    caSecret: get('WEFT_CA_SECRET'),
    trustBundleConfigMap: get('WEFT_TRUST_BUNDLE_CONFIGMAP') || undefined,
    caDir: get('WEFT_CA_DIR') || undefined,
    certTtlSeconds: ttl,
    tokenAudiences: get('WEFT_CA_TOKEN_AUDIENCES').split(',').map((a) => a.trim()).filter(Boolean),
    defaultMode,
    outboundPolicy,
    grpc,
    http,
    kubeconfig: get('WEFT_KUBECONFIG') || undefined,
    uiDir: get('WEFT_UI_DIR'),
    logLevel: level,
  };
}

export function helpText(): string {
  return settingsHelp("weft-control: Weft's control plane (CA, config stream and telemetry on gRPC; the web UI, health and metrics on HTTP).", settings);
}
