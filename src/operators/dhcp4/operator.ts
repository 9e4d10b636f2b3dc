// The DHCPv4 operator: a Dhcp4Client on a link, its lease turned into specs.
import type { Dhcp4Lease } from './lease.js';
import { Dhcp4Client } from './client.js';
import { leaseSpecs } from './lease-specs.js';
import { SocketTransport } from './socket-transport.js';
import { systemClock } from './transport.js';
import { NO_SPECS, type Operator, type OperatorContext, type OperatorSpecs } from '../operator.js';
import { monotonicMs } from '../../util/clock.js';

export function dhcp4Operator(ctx: OperatorContext): Operator {
  const options = ctx.spec.dhcp4 ?? { routeMetric: 0, skipHostnameRequest: false, clientIdentifier: 'none' as const };
  const log = ctx.log.child({ operator: 'dhcp4', link: ctx.link.name });
  const transport = new SocketTransport(ctx.netnsPath, ctx.link, log);
  let lease: Dhcp4Lease | undefined;
  const previous = ctx.previous?.addresses[0]?.address.split('/')[0];
  const sent = ctx.hostname && ctx.hostname.hostname !== '' ? ctx.hostname : undefined;
  const client = new Dhcp4Client(
    {
      mac: ctx.link.hardwareAddr,
      ...(sent ? { hostname: sent.hostname, ...(sent.domainname ? { domain: sent.domainname } : {}) } : {}),
      requestHostname: !options.skipHostnameRequest,
      // DHCPv4Config clientIdentifier: duid sends the duidRaw bytes (validation makes sure there are some)
      ...(options.clientIdentifier === 'duid' && options.duidRawHex ? { clientIdentifier: 'duid' as const, duid: Buffer.from(options.duidRawHex, 'hex') } : { clientIdentifier: options.clientIdentifier === 'duid' ? ('none' as const) : options.clientIdentifier }),
      // a restarted daemon asks for the address it had (INIT-REBOOT)
      ...(previous ? { previousAddress: previous } : {}),
      onLease: (l) => {
        if (l) log.info({ address: `${l.address}/${l.prefixLength}`, server: l.serverId, leaseSeconds: l.leaseTime, routers: l.routers, dns: l.dns }, 'DHCPv4 lease');
        else if (lease) log.warn({ address: lease.address }, 'DHCPv4 lease lost');
        lease = l;
        ctx.notify();
      },
      onState: (state) => log.debug({ state }, 'DHCPv4 state'),
      onError: (err) => log.debug({ err: err instanceof Error ? err.message : String(err) }, 'DHCPv4'),
    },
    { transport, clock: systemClock },
  );
  return {
    start: () => client.start(),
    stop: () => {
      client.stop();
      transport.close();
    },
    expiresAt: () => (lease ? Date.now() + (lease.acquired + lease.leaseTime * 1000 - monotonicMs()) : undefined),
    specs: (): OperatorSpecs => {
      if (!lease) return NO_SPECS;
      const s = leaseSpecs(lease, { linkName: ctx.link.name, routeMetric: options.routeMetric, skipHostnameRequest: options.skipHostnameRequest, skipRoutes: options.skipRoutes === true });
      return {
        addresses: s.addresses,
        routes: s.routes,
        links: s.links,
        resolvers: s.resolvers,
        hostnames: s.hostname ? [s.hostname] : [],
        timeServers: s.timeServers.length > 0 ? [{ ntpServers: s.timeServers, layer: 'operator' }] : [],
      };
    },
  };
}
