export type * from './mesh-types.js';
export { spiffeIdOf } from './mesh-types.js';
export { canonicalIp } from './canonical-ip.js';
export { policyAppliesTo, type ServiceAtVip } from './mesh-index.js';
export { defaultMeshSettings } from './mesh-settings.js';
export { InvalidSnapshotError, MeshState, type MeshChange, type MeshChangeListener, type MeshStateOptions, type MeshView } from './mesh-state.js';
export { loadStaticConfig, maxStaticConfigBytes, parseStaticConfig, StaticConfigError } from './static-config.js';
export { StaticConfigSource, type StaticConfigSourceOptions } from './static-config-source.js';
