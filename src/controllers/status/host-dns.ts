// HostDNSController (daemon): runs host DNS, Talos' local caching resolver,
// while the config enables it (ResolverConfig hostDNS.enabled, or v1alpha1
// machine.features.hostDNS.enabled). It listens on 127.0.0.53 port 53 (UDP and
// TCP) in the namespace netcfg configures, asks the resolvers netcfg merged
// (plain DNS, DoT and DoH alike) and answers the static host names itself.
// Queries are served by the server's own tasks; a reconcile only hands it new
// settings. HostDNSStatus says where it listens; the resolv.conf writer points
// the host at it only then.
import { NS } from '../../resources/resource.js';
import { T, type HostDNSStatus, type HostnameStatus, type AddressStatus, type NameServerSpec, type ResolverStatus } from '../../resources/network/types.js';
import { CLUSTER_NS, CT, type DiscoveryConfigSpec, type MemberSpec } from '../../resources/cluster/types.js';
import { DISCOVERY_CONFIG_ID } from '../cluster/discovery-config.js';
import type { Controller, ReconcileContext } from '../../runtime/controller.js';
import { MachineConfigInput } from '../config/machine-config.js';
import { hostDNSServiceAddresses } from '../config/address-config.js';
import { DocumentsInput, configContainer } from '../config/documents.js';
import { nodeNames } from '../files/etc-files.js';
import type { HostDnsServer, HostDnsTable } from '../../operators/hostdns/server.js';
import { upstreamLabel } from '../../operators/hostdns/label.js';
import type { Logger } from '../../log.js';
import { syncOutputs } from '../sync.js';
import { HOST_DNS_ADDRESS, HOST_DNS_STATUS_ID } from './host-dns-id.js';
import { DIRECT } from '../../operators/discovery/proxy.js';

/** The resolvers in the order the merge gave them, each with its protocol; never host DNS itself (`own`). */
export function upstreamsOf(status: ResolverStatus | undefined, own: readonly string[]): NameServerSpec[] {
  if (!status) return [];
  const encrypted = new Map((status.encrypted ?? []).map((e) => [e.addr, e]));
  return status.dnsServers.filter((addr) => !own.includes(addr)).map((addr) => encrypted.get(addr) ?? { addr, protocol: 'Do53', tlsServerName: '' });
}

/**
 * Names host DNS answers itself (lower-cased, no trailing dot): the static hosts, the node's own names, then the
 * cluster's members (resolveMemberNames) under names nothing before them took.
 */
export function hostTable(
  entries: ReadonlyArray<{ ip: string; aliases: readonly string[] }>,
  hostname: HostnameStatus | undefined,
  address: string | undefined,
  members: ReadonlyArray<Pick<MemberSpec, 'hostname' | 'addresses'>> = [],
): Map<string, string[]> {
  const hosts = new Map<string, string[]>();
  const add = (name: string, ips: readonly string[]) => {
    const key = name.toLowerCase().replace(/\.$/, '');
    if (key === '' || ips.length === 0) return;
    hosts.set(key, [...new Set([...(hosts.get(key) ?? []), ...ips])]);
  };
  for (const e of entries) for (const a of e.aliases) add(a, [e.ip]);
  if (hostname && hostname.hostname !== '' && address) {
    add(hostname.hostname, [address]);
    if (hostname.domainname) add(`${hostname.hostname}.${hostname.domainname}`, [address]);
  }
  const taken = new Set(hosts.keys());
  for (const m of members) if (!taken.has(m.hostname.toLowerCase().replace(/\.$/, ''))) add(m.hostname, m.addresses);
  return hosts;
}

/** How soon a failed listen is tried again. */
const LISTEN_RETRY_MS = 5000;

export interface HostDNSOptions {
  /** /run/netns/NAME; undefined: the process's own namespace. */
  netnsPath: string | undefined;
  log: Logger;
}

export class HostDNSController implements Controller {
  readonly name = 'HostDNSController';
  readonly inputs = [
    MachineConfigInput,
    DocumentsInput,
    { namespace: NS.network, type: T.ResolverStatus },
    { namespace: NS.network, type: T.HostnameStatus },
    { namespace: NS.network, type: T.HostnameSpec },
    { namespace: NS.network, type: T.AddressSpec },
    { namespace: NS.network, type: T.AddressStatus },
    { namespace: NS.network, type: T.OperatorSpec },
    { namespace: CLUSTER_NS.config, type: CT.DiscoveryConfig },
    { namespace: CLUSTER_NS.cluster, type: CT.Member },
  ];
  readonly outputs = [{ namespace: NS.network, type: T.HostDNSStatus, kind: 'exclusive' as const }];

  private server: HostDnsServer | undefined;
  private trust = '';
  private error = '';
  private wake: () => void = () => {};
  private retry: NodeJS.Timeout | undefined;

  constructor(private readonly options: HostDNSOptions) {}

  start(wake: () => void): void {
    this.wake = wake;
  }

  stop(): void {
    clearTimeout(this.retry);
    this.retry = undefined;
    this.server?.close();
    this.server = undefined;
  }

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const config = configContainer(ctx);
    const setting = config.hostDNS();
    if (setting?.enabled !== true) {
      if (this.server) ctx.log.info({ address: HOST_DNS_ADDRESS }, 'host DNS stopped');
      this.stop();
      syncOutputs(ctx, this.name, NS.network, T.HostDNSStatus, new Map());
      return;
    }
    // the roots DoT and DoH servers must chain to (machine.files) and the proxy DoH goes through (machine.env,
    // talos.environment=): a change starts afresh
    const discovery = ctx.get<DiscoveryConfigSpec>(CLUSTER_NS.config, CT.DiscoveryConfig, DISCOVERY_CONFIG_ID)?.spec;
    const ca = discovery?.extraCAs ?? '';
    const proxy = discovery?.proxy ?? DIRECT;
    const trust = JSON.stringify([ca, proxy]);
    if (this.server && trust !== this.trust) this.stop();
    if (!this.server) {
      const { HostDnsServer } = await import('../../operators/hostdns/server.js');
      this.trust = trust;
      // an upstream going down or coming back shows in the status
      this.server = new HostDnsServer(this.options.log, this.options.netnsPath, ca, proxy, () => this.wake());
    }
    const server = this.server;
    // 127.0.0.53, and where pods reach it (forwardKubeDNSToHost) once that address is on lo
    const wanted = [HOST_DNS_ADDRESS, ...(setting.forwardKubeDNSToHost ? hostDNSServiceAddresses(config.kubernetesNetwork()?.podSubnets ?? []).map((a) => a.slice(0, a.lastIndexOf('/'))) : [])];
    const present = new Set(ctx.list<AddressStatus>(NS.network, T.AddressStatus).map((r) => r.spec.address.slice(0, r.spec.address.lastIndexOf('/'))));
    for (const address of server.addresses) if (!wanted.includes(address)) server.unlisten(address);
    const errors: string[] = [];
    for (const address of wanted) {
      if (server.addresses.includes(address)) continue;
      // a service address is listened on once it is on lo (its AddressStatus wakes this controller)
      if (address !== HOST_DNS_ADDRESS && !present.has(address)) continue;
      try {
        // a bind on this host's own address: no network I/O
        await server.listen(address);
        ctx.log.info({ address, port: 53 }, 'host DNS listening');
      } catch (err) {
        errors.push(`${address}: ${(err as Error).message}`);
      }
    }
    const error = errors.join('; ');
    if (error !== '' && error !== this.error) ctx.log.warn({ err: error }, 'host DNS cannot listen everywhere; resolv.conf names host DNS only while it listens on 127.0.0.53');
    this.error = error;
    // an address that was busy (another resolver stopping) is tried again, not only when an input changes
    clearTimeout(this.retry);
    this.retry = error !== '' ? setTimeout(() => this.wake(), LISTEN_RETRY_MS) : undefined;
    const node = nodeNames(ctx);
    const members = setting.resolveMemberNames ? ctx.list<MemberSpec>(CLUSTER_NS.cluster, CT.Member).map((r) => r.spec) : [];
    const table: HostDnsTable = {
      upstreams: upstreamsOf(ctx.get<ResolverStatus>(NS.network, T.ResolverStatus, 'resolvers')?.spec, wanted),
      hosts: hostTable(config.staticHosts(), node.hostname, node.address, members),
    };
    server.update(table);
    const status: HostDNSStatus = { listening: server.addresses, upstreams: table.upstreams.map(upstreamLabel), down: table.upstreams.filter((u) => server.down(u)).map(upstreamLabel), error: this.error };
    syncOutputs(ctx, this.name, NS.network, T.HostDNSStatus, new Map([[HOST_DNS_STATUS_ID, status]]));
  }
}

