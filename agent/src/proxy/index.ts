export { authorize } from './authorization.js';
export { HboneError, HbonePool, type HboneRequest } from './hbone-pool.js';
export { hboneServerName, parseAuthority, startHboneServer, type HboneRefusal, type HboneTunnel } from './hbone-server.js';
export type { HttpExchange } from './http-exchange.js';
export { ProxyMetrics, type ConnectionLabels, type MetricPeer } from './proxy-metrics.js';
export { splice, type SpliceResult } from './splice.js';
