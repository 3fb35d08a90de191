export { authorize } from './policy/authorization.js';
export { HboneError, HbonePool, type HboneRequest } from './transport/hbone-pool.js';
export { hboneServerName, parseAuthority, startHboneServer, type HboneRefusal, type HboneTunnel } from './transport/hbone-server.js';
export type { HttpExchange } from './observe/http-exchange.js';
export { ProxyMetrics, type ConnectionLabels, type MetricPeer } from './metrics/proxy-metrics.js';
export { splice, type SpliceResult } from './tcp/splice.js';
