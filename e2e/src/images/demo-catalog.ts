// Demo image "weft.dev/demo/catalog": a gRPC server (weft.demo.Catalog/Lookup, JSON
// messages) on PORT (default 9090). It ends each client connection after 10 s, as gRPC
// servers behind load balancers do (grpc.max_connection_age_ms): clients reconnect, so
// connections opened before the namespace was enrolled move into the mesh without a restart.
import { Server, ServerCredentials, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { hostname } from 'node:os';
import { catalogService, type LookupReply, type LookupRequest } from './demo-wire.js';

const port = Number(process.env.PORT ?? 9090);
const pod = process.env.POD_NAME ?? hostname();
const server = new Server({ 'grpc.max_connection_age_ms': 10_000, 'grpc.max_connection_age_grace_ms': 5_000 });
server.addService(catalogService, {
  lookup: (call: ServerUnaryCall<LookupRequest, LookupReply>, reply: sendUnaryData<LookupReply>) => {
    const item = typeof call.request.item === 'string' ? call.request.item : '';
    reply(null, { item, pod, price: (item.length * 7) % 50 });
  },
});
server.bindAsync(`0.0.0.0:${port}`, ServerCredentials.createInsecure(), (error) => {
  if (error) {
    process.stderr.write(`catalog: cannot listen on ${port}: ${error.message}\n`);
    process.exit(1);
  }
  process.stdout.write(`listening on ${port}\n`);
});
process.on('SIGTERM', () => server.tryShutdown(() => process.exit(0)));
