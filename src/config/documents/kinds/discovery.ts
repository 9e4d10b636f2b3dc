// DiscoveryServiceConfig and DiscoveryIdentityConfig (talos-multidoc.md §3.24, §3.25): read through the accessors (container.ts).
import { z } from 'zod';
import { nameField } from '../common.js';
import { defineKind, documentSchema, rawAt } from '../definition.js';
import { text, type Problem } from '../fields.js';
import { splitURL } from '../url.js';

export { splitURL } from '../url.js';

export const DiscoveryServiceConfigSchema = documentSchema('DiscoveryServiceConfig', 'A cluster discovery service to register with (several are allowed).', () => ({
  name: nameField('Name of this discovery service.'),
  endpoint: text('a URL').optional().describe('https://host[:port][/path], http://… (insecure) or grpc://….'),
}));

export const DiscoveryIdentityConfigSchema = documentSchema('DiscoveryIdentityConfig', 'The cluster identity for discovery. Secret.', () => ({
  clusterID: text('a cluster ID').optional(),
  clusterSecret: text('a cluster secret').optional().describe('Standard base64 of 32 bytes (AES-256 key). Secret.'),
}));

export type DiscoveryServiceConfigSpec = z.infer<typeof DiscoveryServiceConfigSchema>;
export type DiscoveryIdentityConfigSpec = z.infer<typeof DiscoveryIdentityConfigSchema>;

export const discoveryServiceConfig = defineKind<DiscoveryServiceConfigSpec>({
  kind: 'DiscoveryServiceConfig',
  schema: DiscoveryServiceConfigSchema,
  validate(d): Problem[] {
    if (d.name === undefined || d.name === '') return [{ path: ['name'], message: 'name is required' }];
    if (d.endpoint === undefined || d.endpoint === '') return [{ path: [], message: 'endpoint is required' }];
    const u = splitURL(d.endpoint);
    if (!u || u.scheme === '') return [{ path: ['endpoint'], message: 'endpoint scheme is required' }];
    if (!['http', 'https', 'grpc'].includes(u.scheme)) return [{ path: ['endpoint'], message: 'endpoint scheme must be http://, https:// or grpc://' }];
    if (u.host === '') return [{ path: ['endpoint'], message: 'endpoint host is required' }];
    return [];
  },
  v1alpha1Conflicts: (_d, machine) => (rawAt(machine, 'cluster', 'discovery') !== undefined ? [{ path: [], message: 'discovery service is already configured in .cluster.discovery of the v1alpha1 config' }] : []),
  use: { applied: 'accessor' },
});

export const discoveryIdentityConfig = defineKind<DiscoveryIdentityConfigSpec>({
  kind: 'DiscoveryIdentityConfig',
  schema: DiscoveryIdentityConfigSchema,
  validate(d): Problem[] {
    if (d.clusterID === undefined || d.clusterID === '') return [{ path: [], message: 'clusterID is required' }];
    if (d.clusterSecret === undefined || d.clusterSecret === '') return [{ path: [], message: 'clusterSecret is required' }];
    const v = d.clusterSecret;
    const bad = /[^A-Za-z0-9+/=]/.exec(v);
    // the secret itself is never printed
    if (bad || v.length % 4 !== 0 || /=[^=]/.test(v)) return [{ path: ['clusterSecret'], message: `invalid clusterSecret: failed to decode from base64: [redacted]; illegal base64 data at input byte ${bad ? bad.index : v.length}` }];
    const n = Buffer.from(v, 'base64').length;
    if (n !== 32) return [{ path: ['clusterSecret'], message: `invalid clusterSecret: expected 32 bytes, got ${n}: [redacted]` }];
    return [];
  },
  v1alpha1Conflicts(_d, machine) {
    const id = rawAt(machine, 'cluster', 'id');
    const secret = rawAt(machine, 'cluster', 'secret');
    return (typeof id === 'string' && id !== '') || (typeof secret === 'string' && secret !== '')
      ? [{ path: [], message: 'cluster identity is already configured in .cluster.id/.cluster.secret of the v1alpha1 config' }]
      : [];
  },
  use: { applied: 'accessor' },
});
