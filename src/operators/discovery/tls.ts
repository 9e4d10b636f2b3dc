// The discovery client's TLS credentials, over the roots src/net/trust.ts names.
import tls from 'node:tls';
import { ChannelCredentials } from '@grpc/grpc-js';
import { trustRoots } from '../../net/trust.js';

/** TLS credentials that verify the server as `host` (the channel itself points at a local unix socket). */
export function tlsCredentials(host: string, extraPem: string): ChannelCredentials {
  const context = tls.createSecureContext({ ca: trustRoots(extraPem), minVersion: 'TLSv1.2' });
  return ChannelCredentials.createFromSecureContext(context, { checkServerIdentity: (_name, cert) => tls.checkServerIdentity(host, cert) });
}
