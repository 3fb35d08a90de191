// The demo's gRPC contract, without a .proto: one unary method whose messages are JSON
// (grpc-js takes any serializer). Shared by the catalog server and the frontend's client.
import type { ServiceDefinition } from '@grpc/grpc-js';

export interface LookupRequest {
  item: string;
}

export interface LookupReply {
  item: string;
  pod: string;
  price: number;
}

const json = {
  serialize: (value: unknown): Buffer => Buffer.from(JSON.stringify(value)),
  deserialize: (bytes: Buffer): unknown => JSON.parse(bytes.toString('utf8')),
};

export const catalogService: ServiceDefinition = {
  lookup: {
    path: '/weft.demo.Catalog/Lookup',
    requestStream: false,
    responseStream: false,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
  },
};
