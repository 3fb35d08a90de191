import { isAbsolute } from 'node:path';
import { canonicalIp } from './canonical-ip.js';
import { ConfigReader, fieldPath, show, type JsonObject } from './config-reader.js';
import { defaultMeshSettings, outboundPolicies, peerAuthenticationModes } from './mesh-settings.js';
import type { AppProtocolHint, AuthorizationPolicy, MeshSettings, PolicyRule, Service, ServicePort, Workload } from './mesh-types.js';
import { dnsLabel, dnsSubdomain, labelKey, labelValue, portName, serviceName, spiffeIdPattern, trustDomain } from '@weft/api';

/** An entry with where it came from, so later checks can point at it. */
export interface Located<T> {
  item: T;
  path: string;
}

export interface StaticConfigParts {
  version: string | undefined;
  settings: MeshSettings;
  workloads: Located<Workload>[];
  services: Located<Service>[];
  policies: Located<AuthorizationPolicy>[];
}

const appProtocols: readonly AppProtocolHint[] = ['http', 'http2', 'grpc', 'tcp'];
const ipText = 'an IP address';

/** Adds `value` under `name` only when it is defined (exactOptionalPropertyTypes). */
function optional<K extends string, V>(name: K, value: V | undefined): { [key in K]?: V } {
  return value === undefined ? {} : ({ [name]: value } as { [key in K]?: V });
}

/** Reports entries of a raw list whose key repeats an earlier entry's (a typo or a paste). */
function refuseRepeats(reader: ConfigReader, raw: unknown, path: string, key: (entry: unknown) => unknown, suffix = ''): void {
  if (!Array.isArray(raw)) return;
  const seen = new Map<unknown, number>();
  (raw as unknown[]).forEach((entry, i) => {
    const value = key(entry);
    if (value === undefined) return;
    const first = seen.get(value);
    if (first === undefined) seen.set(value, i);
    else reader.report(`${path}[${i}]${suffix}`, `${show(value)} repeats ${path}[${first}]${suffix}`);
  });
}

const itself = (entry: unknown): unknown => entry;
const asIp = (entry: unknown): string | undefined => (typeof entry === 'string' ? canonicalIp(entry) : undefined);
const fieldOf =
  (name: string) =>
  (entry: unknown): unknown =>
    typeof entry === 'object' && entry !== null ? (entry as JsonObject)[name] : undefined;

export function readStaticConfig(reader: ConfigReader, document: unknown): StaticConfigParts {
  const top = reader.object(document, '', { optional: ['version', 'settings', 'workloads', 'services', 'policies'] }) ?? {};
  const version = top['version'] === undefined ? undefined : reader.string(top['version'], 'version');
  if (version === '') reader.report('version', 'must not be empty (leave it out to use a hash of the file)');
  const list = <T>(name: string, read: (entry: unknown, path: string) => T | undefined): Located<T>[] =>
    top[name] === undefined
      ? []
      : (reader.array(top[name], name, (entry, path) => {
          const item = read(entry, path);
          return item === undefined ? undefined : { item, path };
        }) ?? []);
  return {
    version,
    settings: top['settings'] === undefined ? defaultMeshSettings : readSettings(reader, top['settings']),
    workloads: list('workloads', (entry, path) => readWorkload(reader, entry, path)),
    services: list('services', (entry, path) => readService(reader, entry, path)),
    policies: list('policies', (entry, path) => readPolicy(reader, entry, path)),
  };
}

function readSettings(reader: ConfigReader, value: unknown): MeshSettings {
  const path = 'settings';
  const fields = reader.object(value, path, { optional: ['trustDomain', 'defaultMode', 'outboundPolicy', 'namespaceModes'] }) ?? {};
  const at = (name: string): string => fieldPath(path, name);
  const read = <T>(name: string, fallback: T, readField: (field: unknown) => T | undefined): T =>
    fields[name] === undefined ? fallback : (readField(fields[name]) ?? fallback);
  return {
    trustDomain: read('trustDomain', defaultMeshSettings.trustDomain, (field) => reader.string(field, at('trustDomain'), trustDomain)),
    defaultMode: read('defaultMode', defaultMeshSettings.defaultMode, (field) => reader.oneOf(field, at('defaultMode'), peerAuthenticationModes)),
    outboundPolicy: read('outboundPolicy', defaultMeshSettings.outboundPolicy, (field) =>
      reader.oneOf(field, at('outboundPolicy'), outboundPolicies),
    ),
    namespaceModes: read('namespaceModes', {}, (field) =>
      reader.map(field, at('namespaceModes'), dnsLabel, (mode, modePath) => reader.oneOf(mode, modePath, peerAuthenticationModes)),
    ),
  };
}

function readLabels(reader: ConfigReader, value: unknown, path: string): Record<string, string> | undefined {
  return reader.map(value, path, labelKey, (text, at) => reader.string(text, at, labelValue));
}

/** Reads the fields every entry has; returns undefined when any required one is unusable. */
function readWorkload(reader: ConfigReader, value: unknown, path: string): Workload | undefined {
  const fields = reader.object(value, path, {
    required: ['name', 'namespace', 'node', 'ips'],
    optional: ['uid', 'serviceAccount', 'labels', 'enrolled', 'netnsPath', 'mode', 'workload'],
  });
  if (!fields) return undefined;
  const at = (name: string): string => fieldPath(path, name);
  const name = reader.string(fields['name'], at('name'), dnsSubdomain);
  const namespace = reader.string(fields['namespace'], at('namespace'), dnsLabel);
  const node = reader.string(fields['node'], at('node'), dnsSubdomain);
  const ips = reader.array(fields['ips'], at('ips'), (ip, ipPath) => reader.converted(ip, ipPath, canonicalIp, ipText), { nonEmpty: true });
  refuseRepeats(reader, fields['ips'], at('ips'), asIp);
  const uid = fields['uid'] === undefined ? undefined : reader.string(fields['uid'], at('uid'));
  // The same rule as the capture's pod uid (it names BPF pins and map entries).
  if (uid !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/.test(uid)) reader.report(at('uid'), 'must be letters, digits, ".", "_" or "-" (and not empty)');
  const serviceAccount = fields['serviceAccount'] === undefined ? 'default' : reader.string(fields['serviceAccount'], at('serviceAccount'), dnsSubdomain);
  const labels = fields['labels'] === undefined ? {} : readLabels(reader, fields['labels'], at('labels'));
  const enrolled = fields['enrolled'] === undefined ? true : reader.boolean(fields['enrolled'], at('enrolled'));
  const netnsPath = fields['netnsPath'] === undefined ? undefined : reader.string(fields['netnsPath'], at('netnsPath'));
  if (netnsPath !== undefined && !isAbsolute(netnsPath)) reader.report(at('netnsPath'), `${JSON.stringify(netnsPath)} is not an absolute path`);
  const mode = fields['mode'] === undefined ? undefined : reader.oneOf(fields['mode'], at('mode'), peerAuthenticationModes);
  const workload = fields['workload'] === undefined ? undefined : reader.string(fields['workload'], at('workload'), dnsSubdomain);
  if (!name || !namespace || !node || !ips || serviceAccount === undefined || !labels || enrolled === undefined) return undefined;
  return {
    uid: uid ?? `${namespace}_${name}`,
    name,
    namespace,
    serviceAccount,
    node,
    ips,
    labels,
    enrolled,
    ...optional('netnsPath', netnsPath),
    ...optional('mode', mode),
    ...optional('workload', workload),
  };
}

function readServicePort(reader: ConfigReader, value: unknown, path: string): ServicePort | undefined {
  const fields = reader.object(value, path, { required: ['port'], optional: ['name', 'targetPort', 'appProtocol'] });
  if (!fields) return undefined;
  const at = (name: string): string => fieldPath(path, name);
  const port = reader.port(fields['port'], at('port'));
  const targetPort = fields['targetPort'] === undefined ? port : reader.port(fields['targetPort'], at('targetPort'));
  const name = fields['name'] === undefined ? undefined : reader.string(fields['name'], at('name'), portName);
  const appProtocol = fields['appProtocol'] === undefined ? undefined : reader.oneOf(fields['appProtocol'], at('appProtocol'), appProtocols);
  if (port === undefined || targetPort === undefined) return undefined;
  return { port, targetPort, ...optional('name', name), ...optional('appProtocol', appProtocol) };
}

function readService(reader: ConfigReader, value: unknown, path: string): Service | undefined {
  const fields = reader.object(value, path, { required: ['name', 'namespace', 'ports'], optional: ['vips', 'endpoints'] });
  if (!fields) return undefined;
  const at = (name: string): string => fieldPath(path, name);
  const name = reader.string(fields['name'], at('name'), serviceName);
  const namespace = reader.string(fields['namespace'], at('namespace'), dnsLabel);
  const vips = fields['vips'] === undefined ? [] : reader.array(fields['vips'], at('vips'), (ip, ipPath) => reader.converted(ip, ipPath, canonicalIp, ipText));
  refuseRepeats(reader, fields['vips'], at('vips'), asIp);
  const ports = reader.array(fields['ports'], at('ports'), (port, portPath) => readServicePort(reader, port, portPath), { nonEmpty: true });
  refuseRepeats(reader, fields['ports'], at('ports'), fieldOf('port'), '.port');
  refuseRepeats(reader, fields['ports'], at('ports'), fieldOf('name'), '.name');
  const endpoints = fields['endpoints'] === undefined ? [] : reader.array(fields['endpoints'], at('endpoints'), (uid, uidPath) => reader.string(uid, uidPath));
  refuseRepeats(reader, fields['endpoints'], at('endpoints'), itself);
  if (!name || !namespace || !vips || !ports || !endpoints) return undefined;
  return { name, namespace, vips, ports, endpoints };
}

function readRule(reader: ConfigReader, value: unknown, path: string): PolicyRule | undefined {
  const fields = reader.object(value, path, { optional: ['fromIdentities', 'fromNamespaces', 'toPorts'] });
  if (!fields) return undefined;
  const list = <T>(name: string, item: (entry: unknown, at: string) => T | undefined): T[] | undefined =>
    fields[name] === undefined ? undefined : reader.array(fields[name], fieldPath(path, name), item);
  return {
    ...optional('fromIdentities', list('fromIdentities', (entry, at) => reader.string(entry, at, spiffeIdPattern))),
    ...optional('fromNamespaces', list('fromNamespaces', (entry, at) => reader.string(entry, at, dnsLabel))),
    ...optional('toPorts', list('toPorts', (entry, at) => reader.port(entry, at))),
  };
}

function readPolicy(reader: ConfigReader, value: unknown, path: string): AuthorizationPolicy | undefined {
  const fields = reader.object(value, path, { required: ['name', 'namespace', 'action', 'rules'], optional: ['selector'] });
  if (!fields) return undefined;
  const at = (name: string): string => fieldPath(path, name);
  const name = reader.string(fields['name'], at('name'), dnsSubdomain);
  const namespace = reader.string(fields['namespace'], at('namespace'), dnsLabel);
  const action = reader.oneOf(fields['action'], at('action'), ['ALLOW', 'DENY'] as const);
  const selector = fields['selector'] === undefined ? undefined : readLabels(reader, fields['selector'], at('selector'));
  const rules = reader.array(fields['rules'], at('rules'), (rule, rulePath) => readRule(reader, rule, rulePath));
  if (!name || !namespace || !action || !rules || (fields['selector'] !== undefined && !selector)) return undefined;
  return { name, namespace, action, rules, ...optional('selector', selector) };
}

/** The uid each workload entry declares, even one that failed to read, so endpoints naming it are not blamed too. */
export function declaredUids(document: unknown): Set<string> {
  const uids = new Set<string>();
  const workloads = (document as JsonObject | null)?.['workloads'];
  if (!Array.isArray(workloads)) return uids;
  for (const entry of workloads as unknown[]) {
    if (typeof entry !== 'object' || entry === null) continue;
    const { uid, namespace, name } = entry as JsonObject;
    if (typeof uid === 'string') uids.add(uid);
    else if (typeof namespace === 'string' && typeof name === 'string') uids.add(`${namespace}_${name}`);
  }
  return uids;
}
