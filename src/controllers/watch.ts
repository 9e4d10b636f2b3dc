// Kernel events wake the status controllers (the only controllers that read
// the kernel's links, addresses and routes); the spec controllers and operators
// are woken through the statuses. The events themselves are never trusted: they
// only trigger a re-list (Talos §2.5); an overrun (ENOBUFS) re-lists what the
// status controllers watch. Route events are filtered before any decoding: only
// those in tables netcfg uses, for destinations it manages, get through.
import type { Kernel, KernelEventKind, KernelEvents, RouteEventHeader } from './kernel.js';
import type { Logger } from '../log.js';
import type { WakeHint } from '../runtime/controller.js';

export type WakeTargets = Record<KernelEventKind, readonly string[]>;

export class KernelWatch {
  private readonly events: KernelEvents;

  constructor(
    kernel: Required<Pick<Kernel, 'watch'>>,
    private readonly targets: Partial<WakeTargets>,
    /** A link event's hint names its link; an overrun's names nothing (anything may have changed). */
    private readonly wake: (controller: string, hint: WakeHint) => void,
    private readonly log: Logger,
    routeFilter?: (route: RouteEventHeader) => boolean,
  ) {
    const kinds = (Object.keys(targets) as KernelEventKind[]).filter((k) => (targets[k]?.length ?? 0) > 0);
    this.events = kernel.watch({
      kinds,
      onEvent: (kind, ifindex) => this.wakeAll(this.targets[kind] ?? [], ifindex === undefined ? {} : { ifindex }),
      onOverrun: () => {
        this.log.warn('kernel event overrun (ENOBUFS): re-listing what netcfg watches');
        this.wakeAll(Object.values(this.targets).flat(), {});
      },
      ...(routeFilter ? { routeFilter } : {}),
    });
  }

  private wakeAll(names: readonly string[], hint: WakeHint): void {
    for (const n of new Set(names)) this.wake(n, hint);
  }

  /**
   * Route events stop until the function returned is called; then the route
   * watchers are woken once (see KernelEvents.pauseRoutes). The daemon's route
   * controller pauses them while it writes: its own routes' events (100k for a
   * bulk apply) would only wake a re-list that follows its writes anyway.
   */
  pauseRoutes(): () => void {
    return this.events.pauseRoutes();
  }

  /** Resolves once the events of every kernel change made so far have been delivered. */
  barrier(): Promise<void> {
    return this.events.barrier();
  }

  close(): void {
    this.events.close();
  }
}
