// KubeSpanIdentityController: kubespan/KubeSpanIdentity `local` (Talos
// controllers/kubespan/identity.go) while KubeSpan is enabled: the WireGuard
// key pair, generated once and kept in STATE_DIR/SCOPE.kubespan-identity.yaml
// (Talos's kubespan-identity.yaml format, mode 0600), and this node's address
// in the cluster's ULA /64, the modified EUI-64 of the first physical link's
// MAC, recomputed whenever that changes (as Talos does at each boot).
//
// Where no physical link exists (a container, or a namespace of veths), the
// first Ethernet link with a hardware address stands in (Talos would wait).
// A dry run only reads the file.
import path from 'node:path';
import { firstHardwareAddr, loadIdentity, loadOrCreateIdentity, type KubespanIdentity } from '../../kubespan/identity.js';
import { KUBESPAN_LINK } from '../../kubespan/constants.js';
import { parseHardwareAddr } from '../../netlink/codec.js';
import { NS } from '../../resources/resource.js';
import { T, type LinkStatus } from '../../resources/network/types.js';
import { CLUSTER_NS, CT, KUBESPAN_CONFIG_ID, KUBESPAN_IDENTITY_ID, type KubeSpanConfigSpec, type KubeSpanIdentitySpec } from '../../resources/cluster/types.js';
import { TerminalError, type Controller, type ReconcileContext } from '../../runtime/controller.js';
import { compareText } from '../../util/compare.js';

export function kubespanIdentityFile(stateDir: string, scope: string): string {
  return path.join(stateDir, `${scope}.kubespan-identity.yaml`);
}

/** A hardware address an EUI-64 can be made of: 6 or 8 bytes, not all zero. */
function usableMac(mac: string): boolean {
  const hw = parseHardwareAddr(mac);
  return hw !== undefined && (hw.length === 6 || hw.length === 8) && hw.some((b) => b !== 0);
}

/**
 * The MAC this node's KubeSpan address is made from: the first physical link's
 * (Talos FirstHardwareAddr, links in name order), else the first Ethernet
 * link's (never the kubespan link).
 */
export function kubespanMac(links: ReadonlyArray<{ name: string } & Pick<LinkStatus, 'physical' | 'hardwareAddr' | 'type'>>): string | undefined {
  const usable = links.filter((l) => l.name !== KUBESPAN_LINK && usableMac(l.hardwareAddr));
  const physical = firstHardwareAddr(usable);
  if (physical !== undefined) return physical;
  return [...usable].sort((a, b) => compareText(a.name, b.name)).find((l) => l.type === 'ether')?.hardwareAddr;
}

export class KubeSpanIdentityController implements Controller {
  readonly name = 'KubeSpanIdentityController';
  readonly inputs = [
    { namespace: CLUSTER_NS.config, type: CT.KubeSpanConfig },
    { namespace: NS.network, type: T.LinkStatus },
  ];
  readonly outputs = [{ namespace: CLUSTER_NS.kubespan, type: CT.KubeSpanIdentity, kind: 'exclusive' as const }];
  private told = '';

  constructor(private readonly file: string) {}

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const config = ctx.get<KubeSpanConfigSpec>(CLUSTER_NS.config, CT.KubeSpanConfig, KUBESPAN_CONFIG_ID)?.spec;
    const identity = config?.enabled ? this.identity(ctx, config) : undefined;
    if (identity) ctx.put(CLUSTER_NS.kubespan, CT.KubeSpanIdentity, KUBESPAN_IDENTITY_ID, identity satisfies KubeSpanIdentitySpec);
    else if (ctx.get(CLUSTER_NS.kubespan, CT.KubeSpanIdentity, KUBESPAN_IDENTITY_ID)) ctx.destroy(CLUSTER_NS.kubespan, CT.KubeSpanIdentity, KUBESPAN_IDENTITY_ID);
  }

  private identity(ctx: ReconcileContext, config: KubeSpanConfigSpec): KubespanIdentity | undefined {
    const links = ctx.list<LinkStatus>(NS.network, T.LinkStatus).map((r) => ({ ...r.spec, name: r.metadata.id }));
    const mac = kubespanMac(links);
    if (mac === undefined) {
      ctx.changes.wait('kubespan/identity', 'KubeSpan: no link with a hardware address yet to make this node\'s KubeSpan address from');
      return undefined;
    }
    let identity: KubespanIdentity | undefined;
    try {
      identity = ctx.dryRun ? loadIdentity(this.file, config.clusterId, mac) : loadOrCreateIdentity(this.file, config.clusterId, mac);
    } catch (err) {
      throw new TerminalError(`KubeSpan identity: ${(err as Error).message}`);
    }
    if (identity && !ctx.dryRun) {
      const told = `${identity.publicKey} ${identity.address}`;
      if (told !== this.told) ctx.log.info({ publicKey: identity.publicKey, address: identity.address, mac, file: this.file }, 'KubeSpan identity');
      this.told = told;
    }
    return identity;
  }
}
