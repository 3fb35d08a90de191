import { fileURLToPath } from 'node:url';
import { WeftError, isLogLevel, parseHostPort, settingReader, settingsHelp, type LogLevel } from '@weft/api';
import { captureDefaults, findCgroup2Root } from './capture/index.js';

/**
 * The agent's settings: every WEFT_* variable the agent reads is declared here, with its
 * default and meaning (printed by `--help`), and nowhere else.
 */
export const settings = {
  WEFT_NODE_NAME: { default: '', help: 'the node this agent serves (in Kubernetes: spec.nodeName by the downward API); required' },
  WEFT_STATIC_CONFIG: { default: '', help: 'mesh state from a JSON file (docs/static-config.md), re-read on change and on SIGHUP, instead of the control plane config stream' },
  WEFT_CA_ADDRESS: { default: 'weft-control.weft-system.svc:15012', help: "the control plane's gRPC port, host:port: the CA, and the config stream unless WEFT_STATIC_CONFIG is set" },
  WEFT_CA_SERVER_NAME: { default: 'weft-control.weft-system.svc', help: 'the name in the control plane serving certificate' },
  WEFT_TRUST_BUNDLE: { default: '/var/run/weft/trust/root.crt', help: 'PEM of the mesh root' },
  WEFT_TOKEN_PATH: { default: '/var/run/secrets/kubernetes.io/serviceaccount/token', help: "the agent's ServiceAccount token, re-read for every CA request and config stream" },
  WEFT_PROC_ROOT: { default: '/proc', help: "the host's /proc, where the pods' network namespaces are found (the agent runs with hostPID)" },
  WEFT_CGROUP_PATH: { default: '', help: 'cgroup v2 folder the capture programs attach to; empty: the cgroup v2 root from /proc/self/mountinfo (/sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid hosts)' },
  WEFT_PIN_ROOT: { default: captureDefaults.pinRoot, help: 'bpffs folder for pins' },
  WEFT_BPF_OBJECT: { default: fileURLToPath(new URL('../../bpf/build/weft_capture.o', import.meta.url)), help: 'the capture object' },
  WEFT_ADMIN_ADDRESS: { default: '0.0.0.0:15020', help: 'admin HTTP: /metrics, /healthz, /readyz, /debug/state' },
  WEFT_LOG_LEVEL: { default: 'info', help: 'debug, info, warn or error' },
} as const;

/** The capture object: $WEFT_BPF_OBJECT, else the one built in this checkout. */
export const defaultObjectPath = settingReader(settings, process.env)('WEFT_BPF_OBJECT');

export interface AgentConfig {
  node: string;
  /** The static config file, or undefined to follow the control plane. */
  staticConfig: string | undefined;
  procRoot: string;
  ca: { address: string; serverName: string; trustBundle: string; tokenPath: string };
  cgroupPath: string;
  pinRoot: string;
  objectPath: string;
  admin: { host: string; port: number };
  logLevel: LogLevel;
}

/** Reads the environment; every bad value is named in one error. */
export function readConfig(environment: NodeJS.ProcessEnv = process.env): AgentConfig {
  const get = settingReader(settings, environment);
  const problems: string[] = [];
  if (!get('WEFT_NODE_NAME')) problems.push('WEFT_NODE_NAME is required (the downward API gives spec.nodeName)');
  parseHostPort('WEFT_CA_ADDRESS', get('WEFT_CA_ADDRESS'), problems);
  const admin = parseHostPort('WEFT_ADMIN_ADDRESS', get('WEFT_ADMIN_ADDRESS'), problems);
  const level = get('WEFT_LOG_LEVEL');
  if (!isLogLevel(level)) problems.push(`WEFT_LOG_LEVEL=${level} must be debug, info, warn or error`);
  if (problems.length > 0 || !isLogLevel(level)) {
    throw new WeftError('WEFT_AGENT_BAD_CONFIG', `the agent's settings are not valid:\n  ${problems.join('\n  ')}`, { hint: 'run with --help for every setting' });
  }
  return {
    node: get('WEFT_NODE_NAME'),
    staticConfig: get('WEFT_STATIC_CONFIG') || undefined,
    procRoot: get('WEFT_PROC_ROOT'),
    ca: { address: get('WEFT_CA_ADDRESS'), serverName: get('WEFT_CA_SERVER_NAME'), trustBundle: get('WEFT_TRUST_BUNDLE'), tokenPath: get('WEFT_TOKEN_PATH') },
    cgroupPath: get('WEFT_CGROUP_PATH') || (findCgroup2Root() ?? '/sys/fs/cgroup'),
    pinRoot: get('WEFT_PIN_ROOT'),
    objectPath: get('WEFT_BPF_OBJECT'),
    admin,
    logLevel: level,
  };
}

export function helpText(): string {
  return settingsHelp("weft-agent: Weft's node agent (capture, identities, the proxy).", settings);
}
