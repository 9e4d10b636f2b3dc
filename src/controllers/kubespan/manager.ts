// KubeSpanManagerController (Talos controllers/kubespan/manager.go, spec §7.5):
// while KubeSpan is enabled and this node has its identity, it writes the
// `kubespan` WireGuard link with one peer per peer spec, its address, the
// table-180 routes, the fwmark rules and the nftables table (plan.ts), at the
// operator layer; the spec controllers apply them (the link's peers as a diff,
// split across messages as `wg` does) and undo exactly what netcfg made when
// they go. It keeps one KubeSpanPeerStatus per peer.
//
// Peer state and endpoint cycling run on what a poller it owns last read from
// the device (handshakes, transfer counters, endpoints): the poller reads on a
// ticker (Talos: 30 s; `netcfg daemon --kubespan-interval` for tests) and wakes
// the manager, whose reconcile never waits for the device. Disabling KubeSpan
// withdraws every spec (link, address, routes, rules, table) and the statuses.
import type { Logger } from '../../log.js';
import { KUBESPAN_LINK, KUBESPAN_PEER_RECONCILE_MS } from '../../kubespan/constants.js';
import type { PeerStatus } from '../../kubespan/peer-state.js';
import { WireguardPoller } from '../../operators/kubespan/poller.js';
import {
  CLUSTER_NS,
  CT,
  KUBESPAN_CONFIG_ID,
  KUBESPAN_IDENTITY_ID,
  type KubeSpanConfigSpec,
  type KubeSpanIdentitySpec,
  type KubeSpanPeerSpecSpec,
  type KubeSpanPeerStatusSpec,
} from '../../resources/cluster/types.js';
import { NS } from '../../resources/resource.js';
import { addressId, layeredId, nftTableId, routeId, routingRuleId } from '../../resources/network/ids.js';
import { T } from '../../resources/network/types.js';
import type { Controller, ReconcileContext } from '../../runtime/controller.js';
import type { Kernel } from '../kernel.js';
import { syncOutputs } from '../sync.js';
import { observationOf, peerStatusSpec, planKubeSpan } from './plan.js';

const SPEC_TYPES = [T.LinkSpec, T.AddressSpec, T.RouteSpec, T.RoutingRuleSpec, T.NftTableSpec] as const;

export interface KubeSpanManagerOptions {
  /** The peer reconcile interval (Talos: 30 s). */
  intervalMs?: number;
  log: Logger;
}

/** The operator-layer ID of one of the manager's specs. */
const specId = (id: string) => layeredId('operator', `${KUBESPAN_LINK}/${id}`);

export class KubeSpanManagerController implements Controller {
  readonly name = 'KubeSpanManagerController';
  readonly inputs = [
    { namespace: CLUSTER_NS.config, type: CT.KubeSpanConfig },
    { namespace: CLUSTER_NS.kubespan, type: CT.KubeSpanIdentity },
    { namespace: CLUSTER_NS.kubespan, type: CT.KubeSpanPeerSpec },
  ];
  readonly outputs = [
    ...SPEC_TYPES.map((type) => ({ namespace: NS.networkConfig, type, kind: 'shared' as const })),
    { namespace: CLUSTER_NS.kubespan, type: CT.KubeSpanPeerStatus, kind: 'exclusive' as const },
  ];
  private statuses = new Map<string, PeerStatus>();
  private poller: WireguardPoller | undefined;
  private wake: () => void = () => {};
  private toldAdvertise = false;
  private readonly intervalMs: number;

  constructor(
    private readonly kernel: Kernel,
    private readonly options: KubeSpanManagerOptions,
  ) {
    this.intervalMs = options.intervalMs ?? KUBESPAN_PEER_RECONCILE_MS;
  }

  async start(wake: () => void): Promise<void> {
    this.wake = wake;
  }

  async reconcile(ctx: ReconcileContext): Promise<void> {
    // a one-shot run (a dry run's plan) leaves the manager's specs as they are
    if (!ctx.longRunning) return;
    const config = ctx.get<KubeSpanConfigSpec>(CLUSTER_NS.config, CT.KubeSpanConfig, KUBESPAN_CONFIG_ID)?.spec;
    const identity = ctx.get<KubeSpanIdentitySpec>(CLUSTER_NS.kubespan, CT.KubeSpanIdentity, KUBESPAN_IDENTITY_ID)?.spec;
    if (!config?.enabled || !identity) {
      if (this.poller) {
        ctx.log.info('KubeSpan off: removing the kubespan link, its address, routes, rules and nftables table');
        void this.poller.stop();
        this.poller = undefined;
      }
      this.statuses.clear();
      this.write(ctx, undefined);
      return;
    }
    if (config.advertiseKubernetesNetworks && !this.toldAdvertise) {
      ctx.log.info('KubeSpan advertiseKubernetesNetworks: netcfg has no Kubernetes API to read this node\'s pod CIDRs from; nothing is advertised');
    }
    this.toldAdvertise = config.advertiseKubernetesNetworks;
    if (!this.poller) {
      const wg = this.kernel.wireguard?.();
      if (!wg) throw new Error('KubeSpan: no WireGuard access in this netcfg');
      this.poller = new WireguardPoller(() => wg.getDevice(KUBESPAN_LINK), this.intervalMs, () => this.wake(), this.options.log);
      this.poller.start();
    }
    const read = this.poller.latest;
    // the first read comes within milliseconds (and wakes us): peers already there keep their endpoints
    if (!read) return;
    const peers = ctx.list<KubeSpanPeerSpecSpec>(CLUSTER_NS.kubespan, CT.KubeSpanPeerSpec).map((r) => r.spec);
    const plan = planKubeSpan({ config, identity, peers, previous: this.statuses, observation: observationOf(read.at, read.device), now: Date.now() });
    for (const [key, s] of plan.statuses) {
      const before = this.statuses.get(key);
      if (before && before.state !== s.state) ctx.log.info({ peer: key, label: s.label, state: s.state, endpoint: s.endpoint }, `KubeSpan peer ${s.state}`);
    }
    for (const p of plan.picked) ctx.log.info({ peer: p.publicKey, label: p.label, endpoint: p.endpoint }, 'KubeSpan peer: trying endpoint');
    this.statuses = plan.statuses;
    this.write(ctx, plan);
  }

  private write(ctx: ReconcileContext, plan: ReturnType<typeof planKubeSpan> | undefined): void {
    const desired = new Map<string, Map<string, unknown>>(SPEC_TYPES.map((t) => [t, new Map()]));
    const statuses = new Map<string, KubeSpanPeerStatusSpec>();
    if (plan) {
      desired.get(T.LinkSpec)!.set(specId(plan.link.name), plan.link);
      desired.get(T.AddressSpec)!.set(specId(addressId(plan.address)), plan.address);
      for (const r of plan.routes) desired.get(T.RouteSpec)!.set(specId(routeId(r)), r);
      for (const r of plan.rules) desired.get(T.RoutingRuleSpec)!.set(specId(routingRuleId(r)), r);
      desired.get(T.NftTableSpec)!.set(specId(nftTableId(plan.table)), plan.table);
      for (const [key, s] of plan.statuses) statuses.set(key, peerStatusSpec(s));
    }
    for (const [type, map] of desired) syncOutputs(ctx, this.name, NS.networkConfig, type, map);
    syncOutputs(ctx, this.name, CLUSTER_NS.kubespan, CT.KubeSpanPeerStatus, statuses);
  }

  async stop(): Promise<void> {
    await this.poller?.stop();
    this.poller = undefined;
  }
}
