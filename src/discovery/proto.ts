// The discovery protocol's protobuf messages, written from the message list of
// discovery-and-kubespan.md §1.2 (server package: opaque, already-encrypted
// bytes) and §2.2 (client package: the plaintext inside those bytes). The
// .proto text lives here, in a TS module, so that it is there at run time from
// dist/ and from a single-file bundle alike; protobufjs parses it once, on
// first use (only when discovery runs).
import protobuf from 'protobufjs';

const DURATION_PROTO = `
syntax = "proto3";
package google.protobuf;
message Duration { int64 seconds = 1; int32 nanos = 2; }
`;

/** sidero.discovery.server (api/v1alpha1/server/cluster.proto). */
export const SERVER_PROTO = `
syntax = "proto3";
package sidero.discovery.server;
import "google/protobuf/duration.proto";

service Cluster {
  rpc Hello(HelloRequest) returns (HelloResponse);
  rpc AffiliateUpdate(AffiliateUpdateRequest) returns (AffiliateUpdateResponse);
  rpc AffiliateDelete(AffiliateDeleteRequest) returns (AffiliateDeleteResponse);
  rpc List(ListRequest) returns (ListResponse);
  rpc Watch(WatchRequest) returns (stream WatchResponse);
}

message Affiliate { string id = 1; bytes data = 2; repeated bytes endpoints = 3; }
message HelloRequest { string cluster_id = 1; string client_version = 2; }
message RedirectMessage { string endpoint = 1; }
message HelloResponse { optional RedirectMessage redirect = 1; bytes client_ip = 2; }
message AffiliateUpdateRequest {
  string cluster_id = 1;
  string affiliate_id = 2;
  optional bytes affiliate_data = 3;
  repeated bytes affiliate_endpoints = 4;
  google.protobuf.Duration ttl = 5;
}
message AffiliateUpdateResponse {}
message AffiliateDeleteRequest { string cluster_id = 1; string affiliate_id = 2; }
message AffiliateDeleteResponse {}
message ListRequest { string cluster_id = 1; }
message ListResponse { repeated Affiliate affiliates = 1; }
message WatchRequest { string cluster_id = 1; }
message WatchResponse { repeated Affiliate affiliates = 1; bool deleted = 2; }
`;

/** sidero.discovery.client (api/v1alpha1/client/affiliate.proto, v0.1.8). */
export const CLIENT_PROTO = `
syntax = "proto3";
package sidero.discovery.client;

message Affiliate {
  string node_id = 1;
  repeated bytes addresses = 2;
  string hostname = 3;
  string nodename = 4;
  string machine_type = 5;
  string operating_system = 6;
  optional KubeSpan kubespan = 7;
  optional ControlPlane control_plane = 8;
}
message KubeSpan {
  string public_key = 1;
  bytes address = 2;
  repeated IPPrefix additional_addresses = 3;
  repeated IPPrefix exclude_advertised_addresses = 4;
}
message IPPrefix { bytes ip = 1; uint32 bits = 2; }
message Endpoint { bytes ip = 1; uint32 port = 2; }
message ControlPlane { uint32 api_server_port = 1; }
`;

/** sidero.discovery.storage (api/storage/discovery.proto): the server's snapshot file. */
export const STORAGE_PROTO = `
syntax = "proto3";
package sidero.discovery.storage;

message Timestamp { int64 seconds = 1; int32 nanos = 2; }
message StateSnapshot { repeated ClusterSnapshot clusters = 1; }
message ClusterSnapshot { string id = 1; repeated AffiliateSnapshot affiliates = 2; }
message AffiliateSnapshot {
  string id = 1;
  Timestamp expiration = 2;
  bytes data = 3;
  repeated EndpointSnapshot endpoints = 4;
  google.protobuf.Duration ttl = 5;
}
message EndpointSnapshot { Timestamp expiration = 1; bytes data = 2; google.protobuf.Duration ttl = 3; }
`;

let root: protobuf.Root | undefined;

function loaded(): protobuf.Root {
  if (root) return root;
  const r = new protobuf.Root();
  for (const text of [DURATION_PROTO, SERVER_PROTO, CLIENT_PROTO, STORAGE_PROTO]) protobuf.parse(text, r, { keepCase: false });
  r.resolveAll();
  root = r;
  return r;
}

/** A message type of the three packages above. */
export function messageType(name: string): protobuf.Type {
  return loaded().lookupType(name);
}

/**
 * Drops proto3 default values (empty strings and bytes, zero numbers, false)
 * from scalar fields without explicit presence, recursively: protobufjs writes
 * every property that is set, Go omits defaults, and the endpoint encoding must
 * be byte-for-byte what Go produces (§2.4).
 */
function canonical(type: protobuf.Type, value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    const v = value[field.name];
    if (v === undefined || v === null) continue;
    const nested = field.resolvedType instanceof protobuf.Type ? field.resolvedType : undefined;
    if (field.repeated) {
      const list = v as unknown[];
      if (list.length === 0) continue;
      out[field.name] = nested ? list.map((x) => canonical(nested, x as Record<string, unknown>)) : list;
      continue;
    }
    if (nested) {
      out[field.name] = canonical(nested, v as Record<string, unknown>);
      continue;
    }
    const presence = field.partOf !== null && field.partOf.oneof.length === 1; // proto3 `optional`
    const empty = v === '' || v === 0 || v === false || (v instanceof Uint8Array && v.length === 0);
    if (empty && !presence) continue;
    out[field.name] = v;
  }
  return out;
}

export interface Codec<T> {
  encode(value: T): Buffer;
  decode(bytes: Uint8Array): T;
}

/** Encode/decode for one message type; decoded values have every field (defaults filled, int64 as numbers, bytes as Buffers). */
export function codec<T>(name: string): Codec<T> {
  let type: protobuf.Type | undefined;
  const t = () => (type ??= messageType(name));
  return {
    encode: (value) => {
      const bytes = t().encode(t().fromObject(canonical(t(), value as Record<string, unknown>))).finish();
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
    decode: (bytes) => t().toObject(t().decode(bytes), { defaults: true, longs: Number, arrays: true }) as T,
  };
}
