// ProbeStatusController (daemon): runs each merged ProbeSpec in the background
// and publishes its outcome as a ProbeStatus, as Talos' probe controller does.
// HTTP probes go through the machine's proxy settings (machine.env, and
// talos.environment= on the kernel command line), which the DiscoveryConfig
// carries; TCP probes connect directly, as in Talos.
// The first attempt is made at once, then one every `interval` from the start
// of the last (the next at once when an attempt took longer). A success
// counts at once. A failure counts once `failureThreshold` failures have come
// in a row; before that the last status stands. There is no status before the
// first outcome that counts. Attempts never run inside a reconcile: a probe
// task reports its outcome, then wakes this controller, which writes it.
import { NS } from '../../resources/resource.js';
import { T, type ProbeSpec, type ProbeStatus } from '../../resources/network/types.js';
import { CLUSTER_NS, CT, type DiscoveryConfigSpec } from '../../resources/cluster/types.js';
import { DISCOVERY_CONFIG_ID } from '../cluster/discovery-config.js';
import type { Controller, ReconcileContext } from '../../runtime/controller.js';
import { deepEqual } from '../../util/equal.js';
import { monotonicClock, type Clock } from '../../operators/clock.js';
import { syncOutputs } from '../sync.js';
import { DIRECT } from '../../operators/discovery/proxy.js';

/** The machine's proxy settings (http_proxy, https_proxy, no_proxy). */
export type ProbeProxy = DiscoveryConfigSpec['proxy'];

/** One attempt: resolves on success, throws why not. */
export type Prober = (spec: ProbeSpec, proxy: ProbeProxy) => Promise<void>;

/** The timers a probe task uses (a fake clock in tests). */
export type ProbeClock = Pick<Clock, 'now' | 'setTimeout' | 'clearTimeout'>;

class ProbeTask {
  status: ProbeStatus | undefined;
  private failures = 0;
  private timer: unknown;
  private stopped = false;

  constructor(
    readonly spec: ProbeSpec,
    private readonly probe: (spec: ProbeSpec) => Promise<void>,
    private readonly clock: ProbeClock,
    private readonly changed: () => void,
  ) {
    void this.attempt();
  }

  private async attempt(): Promise<void> {
    const started = this.clock.now();
    let error: string | undefined;
    try {
      await this.probe(this.spec);
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    if (this.stopped) return;
    const before = this.status;
    if (error === undefined) {
      this.failures = 0;
      this.status = { success: true, lastError: '' };
    } else if (++this.failures >= this.spec.failureThreshold) {
      this.status = { success: false, lastError: error };
    }
    if (!deepEqual(before, this.status)) this.changed();
    // every `interval` from the start of the last attempt (Talos' ticker), at once when that one took longer
    this.timer = this.clock.setTimeout(() => void this.attempt(), Math.max(0, started + this.spec.interval - this.clock.now()));
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
  }
}

export class ProbeStatusController implements Controller {
  readonly name = 'ProbeStatusController';
  readonly inputs = [
    { namespace: NS.network, type: T.ProbeSpec },
    { namespace: CLUSTER_NS.config, type: CT.DiscoveryConfig },
  ];
  readonly outputs = [{ namespace: NS.network, type: T.ProbeStatus, kind: 'exclusive' as const }];

  private readonly tasks = new Map<string, ProbeTask>();
  private wake: () => void = () => {};
  /** Read by every attempt: a change applies from the next one. */
  private proxy: ProbeProxy = DIRECT;

  constructor(
    private readonly probe: Prober,
    private readonly clock: ProbeClock = monotonicClock,
  ) {}

  start(wake: () => void): void {
    this.wake = wake;
  }

  stop(): void {
    for (const t of this.tasks.values()) t.stop();
    this.tasks.clear();
  }

  async reconcile(ctx: ReconcileContext): Promise<void> {
    this.proxy = ctx.get<DiscoveryConfigSpec>(CLUSTER_NS.config, CT.DiscoveryConfig, DISCOVERY_CONFIG_ID)?.spec.proxy ?? DIRECT;
    const specs = new Map(
      ctx
        .list<ProbeSpec>(NS.network, T.ProbeSpec)
        .filter((r) => r.metadata.phase === 'running')
        .map((r) => [r.metadata.id, r.spec]),
    );
    for (const [id, task] of this.tasks) {
      const spec = specs.get(id);
      if (spec && deepEqual(spec, task.spec)) continue;
      task.stop();
      this.tasks.delete(id);
    }
    const attempt = (spec: ProbeSpec) => this.probe(spec, this.proxy);
    for (const [id, spec] of specs) if (!this.tasks.has(id)) this.tasks.set(id, new ProbeTask(spec, attempt, this.clock, () => this.wake()));
    const desired = new Map<string, ProbeStatus>();
    for (const [id, task] of this.tasks) if (task.status) desired.set(id, task.status);
    syncOutputs(ctx, this.name, NS.network, T.ProbeStatus, desired);
  }
}
