// OperatorSpecController (Talos operator_spec.go): runs one operator per merged
// OperatorSpec while its link exists and (when required) is up, restarts it when
// its spec or link changes (and, with backoff, when it fails), stops the rest,
// and writes what the operators want at the operator layer. Operators run only
// in the daemon: a one-shot apply reports them as pending.
//
// No reconcile waits on an operator's network I/O: starting returns at once,
// and a stopping operator finishes (resigns, releases) in the background; the
// daemon waits for those goodbyes in stop().
import { netnsPath } from '../../netlink/transport.js';
import type { Logger } from '../../log.js';
import { NO_SPECS, type KernelView, type Operator, type OperatorFactory, type OperatorSpecs } from '../../operators/operator.js';
import { NS, type Resource } from '../../resources/resource.js';
import { addressId, routeId } from '../../resources/network/ids.js';
import { T, type AddressStatus, type HostnameSpec, type LinkStatus, type OperatorLease, type OperatorSpec, type OperatorStatus } from '../../resources/network/types.js';
import type { Controller, ReconcileContext } from '../../runtime/controller.js';
import { backoffMs } from '../../runtime/trigger.js';
import { operatorId } from '../config/operator-config.js';
import { syncOutputs } from '../sync.js';
import { linkUp } from '../status/link-status.js';

const OUTPUTS = [T.AddressSpec, T.RouteSpec, T.LinkSpec, T.ResolverSpec, T.HostnameSpec, T.TimeServerSpec] as const;

interface Running {
  operator: Operator;
  spec: OperatorSpec;
  /** What it was started with: a change restarts it. */
  key: string;
  listeners: Set<() => void>;
}

/** A retired operator whose specs are withdrawn: stopped once its addresses have left the kernel. */
interface Withdrawing {
  running: Running;
  /** `<link>/<prefix>` of the addresses it had. */
  addresses: string[];
  deadline: number;
}

/** How long a retired operator's addresses may take to leave the kernel before it is stopped anyway. */
const WITHDRAW_TIMEOUT_MS = 2000;

/** An operator that failed: when it may start again. */
interface Failure {
  count: number;
  retryAt: number;
  reason: string;
}

/** The statuses operators may look at, as of the last reconcile. */
interface Snapshot {
  links: Map<string, Resource<LinkStatus>>;
  addresses: Map<string, Resource<AddressStatus>[]>;
}

const RESTART = { baseMs: 1000, maxMs: 30_000 };

export class OperatorSpecController implements Controller {
  readonly name = 'OperatorSpecController';
  readonly bootPath = true;
  readonly inputs = [
    { namespace: NS.network, type: T.OperatorSpec },
    { namespace: NS.network, type: T.LinkStatus },
    { namespace: NS.network, type: T.AddressStatus },
    { namespace: NS.network, type: T.HostnameSpec },
  ];
  readonly outputs = [
    ...OUTPUTS.map((type) => ({ namespace: NS.networkConfig, type, kind: 'shared' as const })),
    { namespace: NS.state, type: T.OperatorLease, kind: 'exclusive' as const },
    { namespace: NS.network, type: T.OperatorStatus, kind: 'exclusive' as const },
  ];
  private readonly running = new Map<string, Running>();
  private readonly failures = new Map<string, Failure>();
  private readonly withdrawing = new Map<Withdrawing, string>();
  private readonly stopping = new Set<Promise<void>>();
  private shuttingDown = false;
  /** Resolves beforeStop() once the hand-over operators are withdrawn and stopping. */
  private drained: (() => void) | undefined;
  private snapshot: Snapshot = { links: new Map(), addresses: new Map() };
  /** Per link: the versions of its status and addresses last seen (to tell operators what changed). */
  private seen = new Map<string, string>();
  private wake: () => void = () => {};

  constructor(
    private readonly factories: Partial<Record<OperatorSpec['operator'], OperatorFactory>>,
    private readonly env: { netns: string | undefined; log: Logger },
  ) {}

  async start(wake: () => void): Promise<void> {
    this.wake = wake;
  }

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const specs = ctx.list<OperatorSpec>(NS.network, T.OperatorSpec).filter((r) => r.metadata.phase === 'running');
    if (ctx.longRunning) this.refreshSnapshot(ctx);
    const links = this.snapshot.links;
    const merged = ctx.get<HostnameSpec>(NS.network, T.HostnameSpec, 'hostname')?.spec;
    // DHCPv4 sends a hostname that did not come from an operator (and then asks for none)
    const hostname = merged && merged.layer !== 'operator' && merged.hostname !== '' ? { hostname: merged.hostname, domainname: merged.domainname } : undefined;
    const wanted = new Set<string>();
    const statuses = new Map<string, OperatorStatus>();
    const waiting = (spec: OperatorSpec, id: string, reason: string, state: OperatorStatus['state'] = 'waiting') => {
      ctx.changes.wait(`operator/${id}`, `operator ${id}: ${reason}`);
      statuses.set(id, { operator: spec.operator, linkName: spec.linkName, state, reason, detail: {} });
    };
    for (const { spec } of specs) {
      const id = operatorId(spec);
      const factory = this.factories[spec.operator];
      if (!factory) {
        waiting(spec, id, 'not available in this netcfg version');
        continue;
      }
      if (!ctx.longRunning) {
        ctx.changes.wait(`operator/${id}`, `operator ${id} runs in the netcfg daemon (netcfg daemon), not in a one-shot apply`);
        continue;
      }
      const link = links.get(spec.linkName)?.spec;
      if (!link || link.hardwareAddr === '' || (spec.requireUp && !linkUp(link))) {
        waiting(spec, id, `link ${spec.linkName} is ${link ? 'not up' : 'not present'}`);
        continue;
      }
      const nodeHostname = merged?.hostname || undefined;
      const key = JSON.stringify([spec, link.index, link.hardwareAddr, spec.operator === 'dhcp4' ? hostname : spec.operator === 'vip' ? nodeHostname : undefined]);
      const current = this.running.get(id);
      if (this.shuttingDown) {
        // the daemon stops: hand-over operators go now, the others stay as they are until stop()
        if (current && !current.operator.withdrawOnShutdown) wanted.add(id);
        continue;
      }
      if (current?.key === key) {
        wanted.add(id);
        continue;
      }
      const failure = this.failures.get(id);
      if (failure && failure.retryAt > Date.now()) {
        if (current) this.retire(ctx.log, id, current);
        waiting(spec, id, `failed (${failure.reason}); restarting in ${Math.ceil((failure.retryAt - Date.now()) / 1000)} s`, 'failed');
        ctx.requeueAfter(failure.retryAt - Date.now());
        continue;
      }
      wanted.add(id);
      if (current) {
        ctx.log.info({ operator: id }, 'restarting operator (its spec, link or hostname changed)');
        this.retire(ctx.log, id, current);
      }
      this.launch(ctx, factory, id, spec, link, key, hostname, nodeHostname);
    }
    for (const [id, r] of this.running) {
      if (wanted.has(id)) continue;
      ctx.log.info({ operator: id }, 'stopping operator');
      this.retire(ctx.log, id, r);
    }
    for (const id of this.failures.keys()) if (!specs.some((s) => operatorId(s.spec) === id)) this.failures.delete(id);
    this.finishWithdrawals(ctx);
    if (this.shuttingDown && this.withdrawing.size === 0 && ![...this.running.values()].some((r) => r.operator.withdrawOnShutdown)) this.drained?.();
    // a one-shot run leaves operator-layer specs as they are (none, or a daemon's, preloaded for a dry run)
    if (ctx.longRunning) {
      this.tellListeners();
      this.write(ctx);
      for (const [id, r] of this.running) {
        statuses.set(id, { operator: r.spec.operator, linkName: r.spec.linkName, state: 'running', reason: '', detail: r.operator.status?.() ?? {} });
      }
      syncOutputs(ctx, this.name, NS.network, T.OperatorStatus, statuses);
    }
  }

  private launch(
    ctx: ReconcileContext,
    factory: OperatorFactory,
    id: string,
    spec: OperatorSpec,
    link: LinkStatus,
    key: string,
    hostname: { hostname: string; domainname: string } | undefined,
    nodeHostname: string | undefined,
  ): void {
    const listeners = new Set<() => void>();
    const linkName = spec.linkName;
    const view: KernelView = {
      link: () => this.snapshot.links.get(linkName)?.spec,
      addresses: () => (this.snapshot.addresses.get(linkName) ?? []).map((r) => r.spec),
      onChange: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    };
    const operator = factory({
      spec,
      link: { name: linkName, index: link.index, hardwareAddr: link.hardwareAddr },
      netnsPath: this.env.netns === undefined ? undefined : netnsPath(this.env.netns),
      view,
      log: this.env.log,
      hostname,
      nodeHostname,
      notify: () => this.wake(),
      previous: this.saved(ctx, id),
    });
    const running: Running = { operator, spec, key, listeners };
    ctx.log.info({ operator: id }, 'starting operator');
    let started: void | Promise<void>;
    try {
      started = operator.start();
    } catch (err) {
      started = Promise.reject(err);
    }
    this.running.set(id, running);
    if (started instanceof Promise) started.catch((err: unknown) => this.failed(ctx.log, id, running, err));
  }

  /** A failed operator: withdrawn and stopped now, restarted with backoff (no retry limit, as Talos). */
  private failed(log: Logger, id: string, r: Running, err: unknown): void {
    if (this.running.get(id) !== r) return;
    const reason = err instanceof Error ? err.message : String(err);
    const count = (this.failures.get(id)?.count ?? 0) + 1;
    const delay = backoffMs(count, RESTART.baseMs, RESTART.maxMs);
    this.failures.set(id, { count, retryAt: Date.now() + delay, reason });
    log.warn({ operator: id, err: reason, retryInMs: delay }, 'operator failed');
    this.retire(log, id, r);
    this.wake();
  }

  /**
   * Retires an operator: its specs go at the next write; it is stopped (its
   * goodbyes run in the background) once its addresses have left the kernel.
   */
  private retire(log: Logger, id: string, r: Running): void {
    if (this.running.get(id) === r) this.running.delete(id);
    r.listeners.clear();
    const addresses = r.operator.specs().addresses.map((a) => `${a.linkName}/${a.address}`);
    if (addresses.length === 0) this.stopNow(log, id, r);
    else this.withdrawing.set({ running: r, addresses, deadline: Date.now() + WITHDRAW_TIMEOUT_MS }, id);
    this.wake();
  }

  /** Stops the retired operators whose addresses are gone from the kernel (or that waited long enough). */
  private finishWithdrawals(ctx: ReconcileContext): void {
    const inKernel = new Set<string>();
    for (const list of this.snapshot.addresses.values()) for (const a of list) inKernel.add(`${a.spec.linkName}/${a.spec.address}`);
    for (const [w, id] of this.withdrawing) {
      const left = w.addresses.every((a) => !inKernel.has(a)) || !ctx.longRunning;
      if (left || Date.now() >= w.deadline) {
        if (!left) ctx.log.warn({ operator: id, addresses: w.addresses }, 'addresses of a stopped operator are still in the kernel; stopping it anyway');
        this.withdrawing.delete(w);
        this.stopNow(ctx.log, id, w.running);
      } else {
        ctx.requeueAfter(w.deadline - Date.now());
      }
    }
  }

  private stopNow(log: Logger, id: string, r: Running): void {
    let done: Promise<void>;
    try {
      done = Promise.resolve(r.operator.stop());
    } catch (err) {
      done = Promise.reject(err);
    }
    const tracked: Promise<void> = done
      .catch((err: unknown) => log.warn({ operator: id, err: err instanceof Error ? err.message : String(err) }, 'operator stop failed'))
      .finally(() => this.stopping.delete(tracked));
    this.stopping.add(tracked);
  }

  private refreshSnapshot(ctx: ReconcileContext): void {
    const links = new Map(ctx.list<LinkStatus>(NS.network, T.LinkStatus).map((r) => [r.metadata.id, r]));
    const addresses = new Map<string, Resource<AddressStatus>[]>();
    for (const r of ctx.list<AddressStatus>(NS.network, T.AddressStatus)) {
      const list = addresses.get(r.spec.linkName);
      if (list) list.push(r);
      else addresses.set(r.spec.linkName, [r]);
    }
    this.snapshot = { links, addresses };
  }

  /** Tells the operators whose link or addresses changed since they last heard. */
  private tellListeners(): void {
    const seen = new Map<string, string>();
    for (const r of this.running.values()) {
      const name = r.spec.linkName;
      if (seen.has(name)) continue;
      const link = this.snapshot.links.get(name);
      const versions = [link ? `${link.metadata.created}:${link.metadata.version}` : '-', ...(this.snapshot.addresses.get(name) ?? []).map((a) => `${a.metadata.id}@${a.metadata.version}`).sort()].join(',');
      seen.set(name, versions);
    }
    const before = this.seen;
    this.seen = seen;
    for (const r of this.running.values()) {
      const name = r.spec.linkName;
      if (before.get(name) === seen.get(name)) continue;
      for (const listener of [...r.listeners]) listener();
    }
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

  /**
   * Before the daemon stops: operators that hand over (withdrawOnShutdown, a VIP
   * owner) are retired now, so the runtime can take their addresses out of the
   * kernel before they say goodbye. The runtime settles after this.
   */
  beforeStop(): Promise<void> {
    this.shuttingDown = true;
    const done = new Promise<void>((resolve) => {
      this.drained = resolve;
      // never hold the daemon's exit longer than a withdrawal may take
      setTimeout(resolve, WITHDRAW_TIMEOUT_MS + 1000).unref();
    });
    this.wake();
    return done;
  }

  /** Stops every operator and waits for their goodbyes (the daemon's SIGTERM). */
  async stop(): Promise<void> {
    for (const [id, r] of [...this.running]) {
      this.running.delete(id);
      this.stopNow(this.env.log, id, r);
    }
    for (const [w, id] of [...this.withdrawing]) {
      this.withdrawing.delete(w);
      this.stopNow(this.env.log, id, w.running);
    }
    await Promise.all([...this.stopping]);
  }
}
