import { isIP } from 'node:net';
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
  WEFT_TOKEN_PATH: {
    default: '/var/run/secrets/kubernetes.io/serviceaccount/token',
    help: "the agent's ServiceAccount token for the control plane, re-read for every CA request and config stream (the chart mounts one of audience weft-control)",
  },
  WEFT_PROC_ROOT: { default: '/proc', help: "the host's /proc, where the pods' network namespaces are found (the agent runs with hostPID)" },
  WEFT_CGROUP_PATH: { default: '', help: 'cgroup v2 folder the capture programs attach to; empty: the cgroup v2 root from /proc/self/mountinfo (/sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid hosts)' },
  WEFT_PIN_ROOT: { default: captureDefaults.pinRoot, help: 'bpffs folder for pins' },
  WEFT_BPF_OBJECT: { default: fileURLToPath(new URL('../../bpf/build/weft_capture.o', import.meta.url)), help: 'the capture object' },
  WEFT_ADMIN_ADDRESS: { default: '0.0.0.0:15020', help: 'admin HTTP: /metrics, /healthz, /readyz, /debug/state' },
  WEFT_LOG_LEVEL: { default: 'info', help: 'debug, info, warn or error' },
  WEFT_STOP_MODE: {
    default: 'auto',
    help: "what a stop (SIGTERM) does to the node's capture: 'auto' hands it to a successor, else ends it when the agent's DaemonSet is gone (uninstall) and leaves it in the kernel otherwise (enrolled pods stay in the mesh: refused, never sent around it); 'leave'; 'release' (pods talk directly again). See docs/upgrades.md",
  },
  WEFT_DRAIN_SECONDS: { default: '30', help: 'how long a stopping agent serves the connections and tunnels it has open' },
  WEFT_SUCCESSOR_WAIT_SECONDS: { default: '5', help: "how long an agent told to stop waits for a successor to take the node over (in 'auto')" },
  WEFT_POD_NAMESPACE: { default: '', help: "the agent pod's namespace (downward API), to find its DaemonSet in 'auto'" },
  WEFT_DAEMONSET: { default: '', help: "the agent's DaemonSet; in 'auto' a stop ends capture only when it is gone or being deleted" },
} as const;

export type StopModeSetting = 'auto' | 'leave' | 'release';

/** Where Kubernetes puts a pod's API credentials: the agent reads its DaemonSet with them. */
export const serviceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';

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
  stop: {
    mode: StopModeSetting;
    drainMs: number;
    successorWaitMs: number;
    /** The agent's DaemonSet and how to ask the API server of it; undefined outside Kubernetes. */
    daemonSet: { namespace: string; name: string; apiHost: string; apiPort: string } | undefined;
  };
}

/** Reads the environment; every bad value is named in one error. */
export function readConfig(environment: NodeJS.ProcessEnv = process.env): AgentConfig {
  const get = settingReader(settings, environment);
  const problems: string[] = [];
  if (!get('WEFT_NODE_NAME')) problems.push('WEFT_NODE_NAME is required (the downward API gives spec.nodeName)');
  parseHostPort('WEFT_CA_ADDRESS', get('WEFT_CA_ADDRESS'), problems);
  const admin = parseHostPort('WEFT_ADMIN_ADDRESS', get('WEFT_ADMIN_ADDRESS'), problems);
  if (admin.host && !isIP(admin.host)) problems.push(`WEFT_ADMIN_ADDRESS=${get('WEFT_ADMIN_ADDRESS')} must be an IP address and a port`);
  const level = get('WEFT_LOG_LEVEL');
  if (!isLogLevel(level)) problems.push(`WEFT_LOG_LEVEL=${level} must be debug, info, warn or error`);
  const stopMode = get('WEFT_STOP_MODE');
  if (!isStopMode(stopMode)) problems.push(`WEFT_STOP_MODE=${stopMode} must be auto, leave or release`);
  const seconds = (name: 'WEFT_DRAIN_SECONDS' | 'WEFT_SUCCESSOR_WAIT_SECONDS'): number => {
    const value = Number(get(name));
    if (!/^\d+(\.\d+)?$/.test(get(name)) || value > 3600) problems.push(`${name}=${get(name)} must be a number of seconds from 0 to 3600`);
    return Math.round(value * 1000);
  };
  const drainMs = seconds('WEFT_DRAIN_SECONDS');
  const successorWaitMs = seconds('WEFT_SUCCESSOR_WAIT_SECONDS');
  // The kubelet's service variables name the API server (Kubernetes' own, not WEFT_*).
  const apiHost = environment.KUBERNETES_SERVICE_HOST ?? '';
  const apiPort = environment.KUBERNETES_SERVICE_PORT ?? '443';
  const daemonSet = get('WEFT_DAEMONSET') && get('WEFT_POD_NAMESPACE') && apiHost ? { namespace: get('WEFT_POD_NAMESPACE'), name: get('WEFT_DAEMONSET'), apiHost, apiPort } : undefined;
  if (problems.length > 0 || !isLogLevel(level) || !isStopMode(stopMode)) {
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
    stop: { mode: stopMode, drainMs, successorWaitMs, daemonSet },
  };
}

function isStopMode(value: string): value is StopModeSetting {
  return value === 'auto' || value === 'leave' || value === 'release';
}

export function helpText(): string {
  return settingsHelp("weft-agent: Weft's node agent (capture, identities, the proxy).", settings);
}
