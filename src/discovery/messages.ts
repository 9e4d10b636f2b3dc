// Typed views of the discovery messages (proto.ts), field names in protobufjs'
// camelCase. Decoded messages have every field; optional ones may be absent.
import { codec } from './proto.js';

export interface Duration {
  seconds: number;
  nanos?: number;
}

// --- sidero.discovery.server ---

export interface WireAffiliate {
  id: string;
  data: Uint8Array;
  endpoints: Uint8Array[];
}

export interface HelloRequest {
  clusterId: string;
  clientVersion: string;
}

export interface HelloResponse {
  redirect?: { endpoint: string } | undefined;
  clientIp: Uint8Array;
}

export interface AffiliateUpdateRequest {
  clusterId: string;
  affiliateId: string;
  /** Absent or empty: the data is not touched (an endpoints-only update). */
  affiliateData?: Uint8Array | undefined;
  affiliateEndpoints: Uint8Array[];
  ttl?: Duration | null | undefined;
}

export interface AffiliateDeleteRequest {
  clusterId: string;
  affiliateId: string;
}

export interface ClusterRequest {
  clusterId: string;
}

export interface ListResponse {
  affiliates: WireAffiliate[];
}

export interface WatchResponse {
  affiliates: WireAffiliate[];
  deleted: boolean;
}

export type Empty = Record<string, never>;

const S = 'sidero.discovery.server.';
export const HelloRequestCodec = codec<HelloRequest>(`${S}HelloRequest`);
export const HelloResponseCodec = codec<HelloResponse>(`${S}HelloResponse`);
export const AffiliateUpdateRequestCodec = codec<AffiliateUpdateRequest>(`${S}AffiliateUpdateRequest`);
export const AffiliateUpdateResponseCodec = codec<Empty>(`${S}AffiliateUpdateResponse`);
export const AffiliateDeleteRequestCodec = codec<AffiliateDeleteRequest>(`${S}AffiliateDeleteRequest`);
export const AffiliateDeleteResponseCodec = codec<Empty>(`${S}AffiliateDeleteResponse`);
export const ListRequestCodec = codec<ClusterRequest>(`${S}ListRequest`);
export const ListResponseCodec = codec<ListResponse>(`${S}ListResponse`);
export const WatchRequestCodec = codec<ClusterRequest>(`${S}WatchRequest`);
export const WatchResponseCodec = codec<WatchResponse>(`${S}WatchResponse`);

// --- sidero.discovery.client (the plaintext) ---

export interface PbIPPrefix {
  ip: Uint8Array;
  bits: number;
}

export interface PbKubeSpan {
  publicKey: string;
  address: Uint8Array;
  additionalAddresses: PbIPPrefix[];
  excludeAdvertisedAddresses: PbIPPrefix[];
}

export interface PbAffiliate {
  nodeId: string;
  addresses: Uint8Array[];
  hostname: string;
  nodename: string;
  machineType: string;
  operatingSystem: string;
  kubespan?: PbKubeSpan | undefined;
  controlPlane?: { apiServerPort: number } | undefined;
}

export interface PbEndpoint {
  ip: Uint8Array;
  port: number;
}

const C = 'sidero.discovery.client.';
export const AffiliateCodec = codec<PbAffiliate>(`${C}Affiliate`);
export const EndpointCodec = codec<PbEndpoint>(`${C}Endpoint`);

// --- sidero.discovery.storage (the server's snapshot) ---

export interface EndpointSnapshot {
  expiration?: Duration | null | undefined;
  data: Uint8Array;
  ttl?: Duration | null | undefined;
}

export interface AffiliateSnapshot {
  id: string;
  expiration?: Duration | null | undefined;
  data: Uint8Array;
  endpoints: EndpointSnapshot[];
  ttl?: Duration | null | undefined;
}

export interface ClusterSnapshot {
  id: string;
  affiliates: AffiliateSnapshot[];
}

export interface StateSnapshot {
  clusters: ClusterSnapshot[];
}

export const StateSnapshotCodec = codec<StateSnapshot>('sidero.discovery.storage.StateSnapshot');
export const ClusterSnapshotCodec = codec<ClusterSnapshot>('sidero.discovery.storage.ClusterSnapshot');
