// What the discovery controller loads on demand (only when discovery is on):
// the gRPC client and everything it pulls in (@grpc/grpc-js, protobufjs).
export { DiscoveryClient, DEFAULT_TTL_MS, type DiscoveryClientOptions } from './client.js';
export { affiliateToPb, parseEndpoint } from './convert.js';
export { clusterKey } from '../../discovery/crypto.js';
export { normalizeEndpoint } from '../../discovery/endpoint-url.js';
