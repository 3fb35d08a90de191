export * from './mesh-types.js';
export { keyFromWire, keyToWire, MeshWireError, resourceFromWire, resourceToWire, updateFromWire, updateToWire } from './mesh-wire.js';
export { dnsLabel, dnsSubdomain, labelKey, labelValue, portName, serviceName, spiffeIdPattern, trustDomain, type NameRule } from './name-rules.js';
