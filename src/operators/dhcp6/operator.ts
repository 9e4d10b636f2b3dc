// The DHCPv6 operator (Talos §6.3): waits for a usable (not tentative) IPv6
// link-local address on the link (seen through the address statuses; a warning
// after 30 s), then runs a Dhcp6Client over a UDP socket bound to
// [link-local%link]:546; its lease becomes specs.
import { native, type NativeDatagramSocket, type UdpSource } from '../../native/index.js';
import type { AddressStatus } from '../../resources/network/types.js';
import { NO_SPECS, type Operator, type OperatorContext, type OperatorSpecs } from '../operator.js';
import { Dhcp6Client, type Dhcp6Lease } from './client.js';
import { leaseSpecs } from './lease-specs.js';
import { duidLLT, parseMac } from './duid.js';
import type { Dhcp6Transport } from './transport.js';

const CLIENT_PORT = 546;
const SERVER_PORT = 547;
const ALL_DHCP_RELAY_AGENTS_AND_SERVERS = 'ff02::1:2';
const LINK_LOCAL_WARN_MS = 30_000;

/** The link's usable IPv6 link-local address (not tentative, DAD not failed), if it has one. */
export function usableLinkLocal(addresses: readonly AddressStatus[]): string | undefined {
  for (const a of addresses) {
    const flags = a.flags.split(',');
    if (a.family === 'inet6' && /^fe[89ab]/i.test(a.address) && !flags.includes('tentative') && !flags.includes('dadfailed')) return a.address.split('/')[0];
  }
  return undefined;
}

class UdpTransport implements Dhcp6Transport {
  private socket: NativeDatagramSocket | undefined;
  private handler: ((payload: Buffer, from: string) => void) | undefined;

  constructor(netnsPath: string | undefined, link: { name: string; index: number }, address: string) {
    this.socket = new (native().DatagramSocket)(
      { kind: 'udp6', ...(netnsPath ? { netns: netnsPath } : {}), ifindex: link.index, device: link.name, address, port: CLIENT_PORT },
      (err, data, from) => {
        if (!err && data) this.handler?.(data, (from as UdpSource).address);
      },
    );
  }

  async send(payload: Buffer): Promise<void> {
    if (!this.socket) throw new Error('DHCPv6 socket is closed');
    this.socket.send(payload, { address: ALL_DHCP_RELAY_AGENTS_AND_SERVERS, port: SERVER_PORT });
  }

  listen(handler: (payload: Buffer, from: string) => void): () => void {
    this.handler = handler;
    return () => {
      this.handler = undefined;
    };
  }

  close(): void {
    this.socket?.close();
    this.socket = undefined;
  }
}

/**
 * The client ID (DUID, hex) a DHCPv6Config asks for: duid → duidRaw; mac (and
 * v1alpha1 without duidv6) → DUID-LL (the client's default, ""); none → what
 * Talos' DHCP library builds by default, a DUID-LLT of the MAC and the time.
 */
export function clientDuid(options: { duid: string; clientIdentifier?: 'none' | 'mac' | 'duid' }, mac: string): string {
  if (options.duid !== '' || options.clientIdentifier !== 'none') return options.duid;
  const bytes = parseMac(mac);
  return bytes ? duidLLT(bytes, Date.now()).toString('hex') : '';
}

export function dhcp6Operator(ctx: OperatorContext): Operator {
  const options = ctx.spec.dhcp6 ?? { routeMetric: 0, skipHostnameRequest: false, duid: '' };
  const log = ctx.log.child({ operator: 'dhcp6', link: ctx.link.name });
  let lease: Dhcp6Lease | undefined;
  let client: Dhcp6Client | undefined;
  let transport: UdpTransport | undefined;
  let stopped = false;

  let unsubscribe: (() => void) | undefined;
  let warnTimer: NodeJS.Timeout | undefined;

  /** Starts the client once the link has a usable link-local address; until then, waits for the statuses to change. */
  const begin = (): void => {
    if (stopped || client) return;
    const address = usableLinkLocal(ctx.view.addresses());
    if (!address) {
      unsubscribe ??= ctx.view.onChange(begin);
      warnTimer ??= setTimeout(() => log.warn('no usable IPv6 link-local address after 30 s; still waiting'), LINK_LOCAL_WARN_MS);
      return;
    }
    unsubscribe?.();
    clearTimeout(warnTimer);
    transport = new UdpTransport(ctx.netnsPath, ctx.link, address);
    client = new Dhcp6Client({
      linkName: ctx.link.name,
      hardwareAddr: ctx.link.hardwareAddr,
      duid: clientDuid(options, ctx.link.hardwareAddr),
      skipHostnameRequest: options.skipHostnameRequest,
      transport,
      log: ctx.log.child({ operator: 'dhcp6' }),
      onLease: (l) => {
        if (!l) log.warn('DHCPv6 lease expired');
        lease = l;
        ctx.notify();
      },
    });
    client.start();
  };

  return {
    start: () => begin(),
    stop: () => {
      stopped = true;
      unsubscribe?.();
      clearTimeout(warnTimer);
      client?.stop();
      transport?.close();
    },
    expiresAt: () => (lease ? lease.acquiredAt + lease.validLifetime * 1000 : undefined),
    specs: (): OperatorSpecs => {
      if (!lease) return NO_SPECS;
      const s = leaseSpecs(lease, { linkName: ctx.link.name, skipHostnameRequest: options.skipHostnameRequest });
      return {
        addresses: s.addresses,
        routes: [],
        links: [],
        resolvers: s.resolvers,
        hostnames: s.hostname ? [s.hostname] : [],
        timeServers: s.timeServers.length > 0 ? [{ ntpServers: s.timeServers, layer: 'operator' }] : [],
      };
    },
  };
}
