// OperatorSpecController (Talos operator_spec.go): runs one operator per merged
// OperatorSpec while its link exists and (when required) is up, restarts it when
// its spec or link changes, stops the rest, and writes what the operators want at
// the operator layer. Operators run only in the daemon: a one-shot apply reports
// them as pending.
import { netnsPath } from '../../netlink/transport.js';
import type { Logger } from '../../log.js';
import { NO_SPECS, type Operator, type OperatorFactory, type OperatorSpecs } from '../../operators/operator.js';
import { NS } from '../../resources/resource.js';
import { addressId, routeId } from '../../resources/network/ids.js';
import { T, type HostnameSpec, type LinkStatus, type OperatorLease, type OperatorSpec } from '../../resources/network/types.js';
import type { Controller, ReconcileContext } from '../../runtime/controller.js';
import type { Kernel } from '../kernel.js';
import { operatorId } from '../config/operator-config.js';
import { syncOutputs } from '../sync.js';
import { linkUp } from '../status/link-status.js';

const OUTPUTS = [T.AddressSpec, T.RouteSpec, T.LinkSpec, T.ResolverSpec, T.HostnameSpec, T.TimeServerSpec] as const;

interface Running {
  operator: Operator;
  /** What it was started with: a change restarts it. */
  key: string;
}

export class OperatorSpecController implements Controller {
  readonly name = 'OperatorSpecController';
  readonly inputs = [
    { namespace: NS.network, type: T.OperatorSpec },
    { namespace: NS.network, type: T.LinkStatus },
    { namespace: NS.network, type: T.HostnameSpec },
  ];
  readonly outputs = [
    ...OUTPUTS.map((type) => ({ namespace: NS.networkConfig, type, kind: 'shared' as const })),
    { namespace: NS.state, type: T.OperatorLease, kind: 'exclusive' as const },
  ];
  private readonly running = new Map<string, Running>();
  private wake: () => void = () => {};

  constructor(
    private readonly factories: Partial<Record<OperatorSpec['operator'], OperatorFactory>>,
    private readonly env: { kernel: Kernel; netns: string | undefined; log: Logger },
  ) {}

  async start(wake: () => void): Promise<void> {
    this.wake = wake;
  }

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const specs = ctx.list<OperatorSpec>(NS.network, T.OperatorSpec).filter((r) => r.metadata.phase === 'running');
    const links = new Map(ctx.list<LinkStatus>(NS.network, T.LinkStatus).map((r) => [r.metadata.id, r.spec]));
    const merged = ctx.get<HostnameSpec>(NS.network, T.HostnameSpec, 'hostname')?.spec;
    // DHCPv4 sends a hostname that did not come from an operator (and then asks for none)
    const hostname = merged && merged.layer !== 'operator' && merged.hostname !== '' ? { hostname: merged.hostname, domainname: merged.domainname } : undefined;
    const wanted = new Set<string>();
    for (const { spec } of specs) {
      const id = operatorId(spec);
      const factory = this.factories[spec.operator];
      if (!factory) {
        ctx.changes.wait(`operator/${id}`, `operator ${id}: not available in this netcfg version`);
        continue;
      }
      if (!ctx.longRunning) {
        ctx.changes.wait(`operator/${id}`, `operator ${id} runs in the netcfg daemon (netcfg daemon), not in a one-shot apply`);
        continue;
      }
      const link = links.get(spec.linkName);
      if (!link || link.hardwareAddr === '' || (spec.requireUp && !linkUp(link))) {
        ctx.changes.wait(`operator/${id}`, `operator ${id}: link ${spec.linkName} is ${link ? 'not up' : 'not present'}`);
        continue;
      }
      wanted.add(id);
      const key = JSON.stringify([spec, link.index, link.hardwareAddr, spec.operator === 'dhcp4' ? hostname : undefined]);
      const current = this.running.get(id);
      if (current?.key === key) continue;
      if (current) {
        ctx.log.info({ operator: id }, 'restarting operator (its spec, link or hostname changed)');
        current.operator.stop();
      }
      const operator = factory({
        spec,
        link: { name: spec.linkName, index: link.index, hardwareAddr: link.hardwareAddr },
        netnsPath: this.env.netns === undefined ? undefined : netnsPath(this.env.netns),
        kernel: this.env.kernel,
        log: this.env.log,
        hostname,
        notify: () => this.wake(),
        previous: this.saved(ctx, id),
      });
      ctx.log.info({ operator: id }, 'starting operator');
      try {
        operator.start();
      } catch (err) {
        // e.g. its socket cannot be opened: the runtime retries this reconcile with backoff
        operator.stop();
        this.running.delete(id);
        throw new Error(`operator ${id} failed to start: ${err instanceof Error ? err.message : String(err)}`);
      }
      this.running.set(id, { operator, key });
    }
    for (const [id, r] of this.running) {
      if (wanted.has(id)) continue;
      ctx.log.info({ operator: id }, 'stopping operator');
      r.operator.stop();
      this.running.delete(id);
    }
    // a one-shot run leaves operator-layer specs as they are (none, or a daemon's, preloaded for a dry run)
    if (ctx.longRunning) this.write(ctx);
  }

  /** The lease a previous daemon run saved for an operator, while it lasts. */
  private saved(ctx: ReconcileContext, id: string): OperatorLease | undefined {
    const lease = ctx.get<OperatorLease>(NS.state, T.OperatorLease, id)?.spec;
    return lease && lease.expiresAt > Date.now() ? lease : undefined;
  }

  /**
   * Every running operator's specs, at IDs that say which operator wants them.
   * Each lease is saved (state namespace); until an operator has its own, the
   * saved one stands in, so a daemon restart does not drop leased addresses.
   */
  private write(ctx: ReconcileContext): void {
    const desired = new Map<string, Map<string, unknown>>(OUTPUTS.map((t) => [t, new Map()]));
    const leases = new Map<string, OperatorLease>();
    for (const [id, r] of this.running) {
      let s: OperatorSpecs = r.operator.specs() ?? NO_SPECS;
      const expiresAt = r.operator.expiresAt?.();
      if (s !== NO_SPECS && expiresAt !== undefined) {
        leases.set(id, { ...s, expiresAt: Math.min(expiresAt, Number.MAX_SAFE_INTEGER) });
      } else if (s === NO_SPECS) {
        const saved = this.saved(ctx, id);
        if (saved) {
          const { expiresAt: end, ...specs } = saved;
          s = specs;
          leases.set(id, saved);
          ctx.requeueAfter(Math.min(end - Date.now() + 10, 2 ** 31 - 1));
        }
      }
      const put = (type: string, key: string, spec: unknown) => desired.get(type)!.set(`operator/${id}/${key}`, spec);
      for (const a of s.addresses) put(T.AddressSpec, addressId(a), a);
      for (const rt of s.routes) put(T.RouteSpec, routeId(rt), rt);
      for (const l of s.links) put(T.LinkSpec, l.name, l);
      s.resolvers.forEach((x, i) => put(T.ResolverSpec, `resolvers/${i}`, x));
      s.hostnames.forEach((x, i) => put(T.HostnameSpec, `hostname/${i}`, x));
      s.timeServers.forEach((x, i) => put(T.TimeServerSpec, `timeservers/${i}`, x));
    }
    for (const [type, map] of desired) syncOutputs(ctx, this.name, NS.networkConfig, type, map);
    syncOutputs(ctx, this.name, NS.state, T.OperatorLease, leases);
  }

  async stop(): Promise<void> {
    for (const r of this.running.values()) r.operator.stop();
    this.running.clear();
  }
}
