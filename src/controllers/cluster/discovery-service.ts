// DiscoveryServiceController (Talos controllers/cluster/discovery_service.go):
// one background discovery client per configured service, re-created when its
// endpoint, cluster, identity or key changes. It hands each client the local
// affiliate (only when that changed: every update comes back through Watch, so
// re-sending unchanged data would feed itself), and turns what the clients hear
// into cluster-raw/Affiliate `service/<nodeId>` (with several services the last
// one wins, as in Talos) and cluster/AddressStatus `service` (the first public
// IP a service reports). Clients run only in the daemon; their code (gRPC,
// protobuf) is loaded on first use. The Kubernetes registry is accepted in the
// config but not implemented: said once in the log.
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { Logger } from '../../log.js';
import {
  CLUSTER_NS,
  CT,
  KUBESPAN_CONFIG_ID,
  LOCAL_IDENTITY_ID,
  RAW_SERVICE_PREFIX,
  type AffiliateSpec,
  type DiscoveredAddressSpec,
  type DiscoveryConfigSpec,
  type KubeSpanConfigSpec,
  type KubeSpanEndpointSpec,
  type NodeIdentitySpec,
} from '../../resources/cluster/types.js';
import type { Controller, ReconcileContext } from '../../runtime/controller.js';
import { syncOutputs } from '../sync.js';
import { DISCOVERY_CONFIG_ID } from './discovery-config.js';
import { PUBLIC_IP_ID } from './local-affiliate.js';

type ClientModule = typeof import('../../operators/discovery/index.js');
type Client = InstanceType<ClientModule['DiscoveryClient']>;

export const KUBERNETES_REGISTRY_NOTE = 'the Kubernetes discovery registry is enabled in the config but not implemented by netcfg (it is deprecated upstream); only the discovery service registry is used';

export interface DiscoveryOptions {
  /** netcfg's version: the client version sent in Hello and the OS string. */
  version: string;
  /** The network namespace to connect from (/run/netns/NAME); undefined: netcfg's own. */
  netnsPath: string | undefined;
  /** A private directory for the clients' local sockets (emptied at start). */
  socketDir: string;
  /** Affiliate TTL (Talos: 30 min); updates every TTL/2. */
  ttlMs: number;
  log: Logger;
}

interface Running {
  client: Client;
  key: string;
  nodeId: string;
  /** The local affiliate last handed to the client (JSON), for update suppression. */
  sent: string | undefined;
}

/**
 * The endpoints KubeSpan found working for other affiliates, to report for
 * them (Talos's "other endpoints"), only with harvestExtraEndpoints: one
 * update per affiliate per refresh, which is why it is off by default.
 */
export function harvested(ctx: Pick<ReconcileContext, 'get' | 'list'>): Array<{ affiliateId: string; endpoints: string[] }> {
  const config = ctx.get<KubeSpanConfigSpec>(CLUSTER_NS.config, CT.KubeSpanConfig, KUBESPAN_CONFIG_ID)?.spec;
  if (!config?.enabled || !config.harvestExtraEndpoints) return [];
  const byAffiliate = new Map<string, string[]>();
  for (const r of ctx.list<KubeSpanEndpointSpec>(CLUSTER_NS.kubespan, CT.KubeSpanEndpoint)) {
    const list = byAffiliate.get(r.spec.affiliateId) ?? [];
    if (!list.includes(r.spec.endpoint)) list.push(r.spec.endpoint);
    byAffiliate.set(r.spec.affiliateId, list);
  }
  return [...byAffiliate.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([affiliateId, endpoints]) => ({ affiliateId, endpoints: endpoints.sort() }));
}

export class DiscoveryServiceController implements Controller {
  readonly name = 'DiscoveryServiceController';
  readonly inputs = [
    { namespace: CLUSTER_NS.config, type: CT.DiscoveryConfig },
    { namespace: CLUSTER_NS.cluster, type: CT.NodeIdentity },
    { namespace: CLUSTER_NS.cluster, type: CT.Affiliate },
    // harvested KubeSpan endpoints, reported for their affiliates (harvestExtraEndpoints)
    { namespace: CLUSTER_NS.config, type: CT.KubeSpanConfig },
    { namespace: CLUSTER_NS.kubespan, type: CT.KubeSpanEndpoint },
  ];
  readonly outputs = [
    { namespace: CLUSTER_NS.clusterRaw, type: CT.Affiliate, kind: 'exclusive' as const },
    { namespace: CLUSTER_NS.cluster, type: CT.AddressStatus, kind: 'exclusive' as const },
  ];
  private readonly running = new Map<string, Running>();
  private module: ClientModule | undefined;
  private loading: Promise<void> | undefined;
  private wake: () => void = () => {};
  private kubernetesNoted = false;
  /** Each client gets its own socket name (a replaced client may still be leaving). */
  private clientCount = 0;

  constructor(private readonly o: DiscoveryOptions) {}

  async start(wake: () => void): Promise<void> {
    this.wake = wake;
    // sockets a previous daemon (killed, so it could not remove them) left behind; the state lock makes the directory ours
    fs.rmSync(this.o.socketDir, { recursive: true, force: true });
  }

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const config = ctx.get<DiscoveryConfigSpec>(CLUSTER_NS.config, CT.DiscoveryConfig, DISCOVERY_CONFIG_ID)?.spec;
    const nodeId = ctx.get<NodeIdentitySpec>(CLUSTER_NS.cluster, CT.NodeIdentity, LOCAL_IDENTITY_ID)?.spec.nodeId;
    if (config?.kubernetesRegistry && !this.kubernetesNoted) ctx.log.warn(KUBERNETES_REGISTRY_NOTE);
    this.kubernetesNoted = config?.kubernetesRegistry ?? false;
    const wanted = new Set<string>();
    if (config?.enabled && !ctx.longRunning) ctx.changes.wait('discovery', 'cluster discovery runs in the netcfg daemon (netcfg daemon), not in a one-shot apply');
    else if (config?.enabled && nodeId !== undefined && !this.loaded(ctx)) {
      for (const s of config.services) wanted.add(s.name);
    } else if (config?.enabled && nodeId !== undefined) {
      const local = ctx.get<AffiliateSpec>(CLUSTER_NS.cluster, CT.Affiliate, nodeId)?.spec;
      for (const service of config.services) {
        wanted.add(service.name);
        const key = JSON.stringify([service.endpoint, service.insecure, config.clusterId, nodeId, crypto.createHash('sha256').update(config.clusterSecret).digest('hex'), config.proxy, config.extraCAs]);
        let r = this.running.get(service.name);
        if (r && r.key !== key) {
          ctx.log.info({ discovery: service.name }, 'discovery settings changed: restarting its client');
          // a new identity leaves under the old one first (its affiliate would linger for a TTL)
          void r.client.stop({ leave: r.nodeId !== nodeId });
          this.running.delete(service.name);
          r = undefined;
        }
        if (!r) {
          let client: Client;
          try {
            client = this.create(config, service.url, this.clientCount++, service.name, nodeId);
          } catch (err) {
            // no usable cluster identity (yet): nothing to register with; said where pending work is
            ctx.changes.wait(`discovery/${service.name}`, `discovery service ${service.name}: ${(err as Error).message}`);
            continue;
          }
          r = { client, key, nodeId, sent: undefined };
          this.running.set(service.name, r);
          r.client.start();
          ctx.log.info({ discovery: service.name, endpoint: service.endpoint, insecure: service.insecure }, 'discovery client started');
        }
        const others = harvested(ctx);
        const text = local ? JSON.stringify([local, others]) : undefined;
        if (local && text !== r.sent) {
          const m = this.module!;
          const pb = m.affiliateToPb(local);
          r.client.setLocalData(
            pb.affiliate,
            pb.endpoints,
            others.map((o) => ({ affiliateId: o.affiliateId, endpoints: o.endpoints.map(m.parseEndpoint) })),
          );
          r.sent = text;
        }
      }
    }
    for (const [name, r] of this.running) {
      if (wanted.has(name)) continue;
      ctx.log.info({ discovery: name }, 'discovery client stopped (leaving)');
      void r.client.stop({ leave: true });
      this.running.delete(name);
    }
    this.write(ctx);
  }

  /** Whether the client code is loaded; if not, starts loading it (off the reconcile) and wakes the controller when done. */
  private loaded(ctx: ReconcileContext): boolean {
    if (this.module) return true;
    this.loading ??= import('../../operators/discovery/index.js').then(
      (m) => {
        this.module = m;
        this.wake();
      },
      (err: unknown) => {
        this.loading = undefined;
        ctx.log.error({ err: err instanceof Error ? err.message : String(err) }, 'cannot load the discovery client');
      },
    );
    return false;
  }

  private create(config: DiscoveryConfigSpec, url: string, index: number, name: string, nodeId: string): Client {
    const m = this.module!;
    return new m.DiscoveryClient({
      name,
      index,
      target: m.normalizeEndpoint(url),
      clusterId: config.clusterId,
      key: m.clusterKey(config.clusterSecret),
      affiliateId: nodeId,
      clientVersion: `v${this.o.version}`,
      ttlMs: this.o.ttlMs,
      netnsPath: this.o.netnsPath,
      proxy: config.proxy,
      extraCAs: config.extraCAs,
      bridgeDir: this.o.socketDir,
      log: this.o.log,
      onChange: () => this.wake(),
    });
  }

  private write(ctx: ReconcileContext): void {
    const raw = new Map<string, AffiliateSpec>();
    let publicIP: string | undefined;
    for (const name of [...this.running.keys()].sort()) {
      const client = this.running.get(name)!.client;
      for (const [id, spec] of client.affiliates()) raw.set(`${RAW_SERVICE_PREFIX}${id}`, spec);
      publicIP ??= client.publicIP();
    }
    syncOutputs(ctx, this.name, CLUSTER_NS.clusterRaw, CT.Affiliate, raw);
    const addresses = new Map<string, DiscoveredAddressSpec>();
    if (publicIP !== undefined) addresses.set(PUBLIC_IP_ID, { address: `${publicIP}/${publicIP.includes(':') ? 128 : 32}` });
    syncOutputs(ctx, this.name, CLUSTER_NS.cluster, CT.AddressStatus, addresses);
  }

  /** Stops every client; each deletes its affiliate first, so the others drop this node at once. */
  async stop(): Promise<void> {
    const all = [...this.running.values()];
    this.running.clear();
    await Promise.all(all.map((r) => r.client.stop({ leave: true, timeoutMs: 2000 })));
  }
}
