export * from './ca/index.js';
export * from './kube/index.js';
export { readConfig, helpText, settings, type ControlConfig } from './config.js';
export { ControlMetrics } from './control-metrics.js';
export { startGrpcServer, stopGrpcServer } from './grpc-server.js';
export * from './auth/index.js';
export * from './mesh/index.js';
export * from './telemetry/index.js';
export * from './ui/index.js';
