export { HandoverClient, type HandoverClientOptions } from './handover-client.js';
export { HandoverServer, type HandoverGiver, type HandoverServerOptions } from './handover-server.js';
export { handoverName } from './handover-name.js';
export { InheritedSockets, checkPeer, type NodeSockets, type PodSockets } from './node-sockets.js';
