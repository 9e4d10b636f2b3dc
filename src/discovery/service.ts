// The gRPC service sidero.discovery.server.Cluster (§1.1) as a @grpc/grpc-js
// service definition built on the protobufjs codecs (no generated code, no
// .proto file at run time). Serializers accept an already-encoded Buffer too:
// the server encodes a notification once and writes it to every watcher.
import type { MethodDefinition } from '@grpc/grpc-js';
import {
  AffiliateDeleteRequestCodec,
  AffiliateDeleteResponseCodec,
  AffiliateUpdateRequestCodec,
  AffiliateUpdateResponseCodec,
  HelloRequestCodec,
  HelloResponseCodec,
  ListRequestCodec,
  ListResponseCodec,
  WatchRequestCodec,
  WatchResponseCodec,
  type AffiliateDeleteRequest,
  type AffiliateUpdateRequest,
  type ClusterRequest,
  type Empty,
  type HelloRequest,
  type HelloResponse,
  type ListResponse,
  type WatchResponse,
} from './messages.js';
import type { Codec } from './proto.js';

export const SERVICE_NAME = 'sidero.discovery.server.Cluster';

function method<Req, Res>(name: string, req: Codec<Req>, res: Codec<Res>, responseStream: boolean): MethodDefinition<Req, Res | Buffer> {
  return {
    path: `/${SERVICE_NAME}/${name}`,
    requestStream: false,
    responseStream,
    originalName: name,
    requestSerialize: (v: Req) => req.encode(v),
    requestDeserialize: (b: Buffer) => req.decode(b),
    responseSerialize: (v: Res | Buffer) => (Buffer.isBuffer(v) ? v : res.encode(v)),
    responseDeserialize: (b: Buffer) => res.decode(b),
  };
}

export const ClusterService = {
  Hello: method<HelloRequest, HelloResponse>('Hello', HelloRequestCodec, HelloResponseCodec, false),
  AffiliateUpdate: method<AffiliateUpdateRequest, Empty>('AffiliateUpdate', AffiliateUpdateRequestCodec, AffiliateUpdateResponseCodec, false),
  AffiliateDelete: method<AffiliateDeleteRequest, Empty>('AffiliateDelete', AffiliateDeleteRequestCodec, AffiliateDeleteResponseCodec, false),
  List: method<ClusterRequest, ListResponse>('List', ListRequestCodec, ListResponseCodec, false),
  Watch: method<ClusterRequest, WatchResponse>('Watch', WatchRequestCodec, WatchResponseCodec, true),
} as const;

export type ClusterServiceDefinition = typeof ClusterService;
