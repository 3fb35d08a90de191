export * from './capture/index.js';
export * from './identity/index.js';
export * from './state/index.js';
export { Agent, type AgentOptions, type EnrolledWorkloadState } from './agent.js';
export { startAdminServer, type AdminServerOptions } from './admin-server.js';
export * from './proxy/index.js';
export * from './control/index.js';
export { settings as agentSettings } from './config.js';
export * from './telemetry/index.js';
