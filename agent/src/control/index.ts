export { ConfigClient, type ConfigClientOptions, type ConfigClientStatus } from './config-client.js';
export { ControlPlaneSource, type ControlPlaneSourceOptions } from './control-plane-source.js';
