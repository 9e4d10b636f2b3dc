// NetworkStatusController: whether the node's network is ready (Talos §7.5):
// an address, connectivity (every probe succeeds when there are probes, a
// default route otherwise), a hostname, and the etc files handled.
import { isSpecialIP, parsePrefix } from '../../net/ip.js';
import { NS } from '../../resources/resource.js';
import { T, type AddressStatus, type LinkStatus, type NetworkStatus, type ProbeStatus, type RouteStatus } from '../../resources/network/types.js';
import type { Controller, ReconcileContext } from '../../runtime/controller.js';
import { linkUp } from './link-status.js';

const isUp = (l: LinkStatus | undefined) => l !== undefined && linkUp(l);

export const NETWORK_STATUS_ID = 'status';

function isSpecialAddress(address: string): boolean {
  const p = parsePrefix(address);
  return !p || isSpecialIP(p.bytes, p.family);
}

export class NetworkStatusController implements Controller {
  readonly name = 'NetworkStatusController';
  readonly inputs = [
    { namespace: NS.network, type: T.AddressStatus },
    { namespace: NS.network, type: T.RouteStatus },
    { namespace: NS.network, type: T.LinkStatus },
    { namespace: NS.network, type: T.HostnameStatus },
    { namespace: NS.network, type: T.EtcFileStatus },
    { namespace: NS.network, type: T.ProbeSpec },
    { namespace: NS.network, type: T.ProbeStatus },
  ];
  readonly outputs = [{ namespace: NS.network, type: T.NetworkStatus, kind: 'exclusive' as const }];

  /** `etcFiles`: whether an EtcFileController runs (otherwise the files count as ready). */
  constructor(private readonly options: { hostname: boolean; etcFiles: boolean }) {}

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const links = new Map(ctx.list<LinkStatus>(NS.network, T.LinkStatus).map((r) => [r.metadata.id, r.spec]));
    const addressReady = ctx
      .list<AddressStatus>(NS.network, T.AddressStatus)
      .some((r) => r.spec.scope === 'global' && !isSpecialAddress(r.spec.address) && isUp(links.get(r.spec.linkName)));
    const probes = ctx.list(NS.network, T.ProbeSpec).filter((r) => r.metadata.phase === 'running');
    const connectivityReady =
      probes.length > 0
        ? probes.every((p) => ctx.get<ProbeStatus>(NS.network, T.ProbeStatus, p.metadata.id)?.spec.success === true)
        : ctx.list<RouteStatus>(NS.network, T.RouteStatus).some((r) => r.spec.dst === '' && r.spec.type === 'unicast');
    const hostnameReady = !this.options.hostname || ctx.count(NS.network, T.HostnameStatus) > 0;
    const etcFilesReady = !this.options.etcFiles || ctx.count(NS.network, T.EtcFileStatus) >= 2;
    ctx.put(NS.network, T.NetworkStatus, NETWORK_STATUS_ID, { addressReady, connectivityReady, hostnameReady, etcFilesReady } satisfies NetworkStatus);
  }
}
