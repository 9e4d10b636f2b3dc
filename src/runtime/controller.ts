// Controllers declare what they read and write; the runtime wakes them when an
// input changes and enforces one writer per output type.
import type { Logger } from '../log.js';
import type { Resource } from '../resources/resource.js';
import type { ChangeRecorder } from './changes.js';

export interface Input {
  namespace: string;
  type: string;
  /** Read at each pass, but its changes neither wake the controller nor are waited for. */
  passive?: boolean;
}

export interface Output {
  namespace: string;
  type: string;
  /** exclusive: only this controller writes the type; shared: several do, each owning its own resources. */
  kind: 'exclusive' | 'shared';
}

export interface ReconcileContext {
  readonly log: Logger;
  /** Dry run: compute and report changes, touch neither the kernel nor persisted state. */
  readonly dryRun: boolean;
  /**
   * The runtime keeps running (daemon): specs may be torn down while it runs, so
   * consumers hold finalizers. A one-shot run relies on the persisted records alone.
   */
  readonly longRunning: boolean;
  readonly changes: ChangeRecorder;
  list<S>(namespace: string, type: string): Resource<S>[];
  count(namespace: string, type: string): number;
  /** Changes whenever a resource of the kind is written or removed (Store.revision). */
  revision(namespace: string, type: string): number;
  get<S>(namespace: string, type: string, id: string): Resource<S> | undefined;
  /** Creates or updates one of this controller's outputs (no-op when unchanged). */
  put<S>(namespace: string, type: string, id: string, spec: S): Resource<S>;
  /** Starts teardown of an output; true when no finalizers remain. */
  teardown(namespace: string, type: string, id: string): boolean;
  destroy(namespace: string, type: string, id: string): void;
  /** Finalizers on inputs carry this controller's name. */
  addFinalizer(namespace: string, type: string, id: string): void;
  removeFinalizer(namespace: string, type: string, id: string): void;
  /** Run again after `ms` even if no input changes (e.g. a link that is not there yet). */
  requeueAfter(ms: number): void;
  /**
   * Resolves once this controller's state records are on disk (before making kernel
   * changes it records); with none unsaved, at once: it never waits for a save of
   * other controllers' records alone.
   */
  flushState(): Promise<void>;
  /** Lets other controllers run (a long pass calls it every few thousand items). */
  yield(): Promise<void>;
}

/**
 * What an outside wake (a kernel event) is about, when the waker knows: a
 * controller that keeps per-object work between passes (hint()) re-does only
 * that. No ifindex: anything may have changed (an event overrun).
 */
export interface WakeHint {
  readonly ifindex?: number;
}

export interface Controller {
  readonly name: string;
  readonly inputs: readonly Input[];
  readonly outputs: readonly Output[];
  /**
   * Controllers (by name) that must be idle — not running, no input changes
   * queued — when this one starts a pass (daemon mode; one-shot runs in
   * registration order). A re-check they asked for (requeueAfter) does not count.
   * E.g. routes after addresses after links, so a route through a gateway is not
   * sent before the address that reaches it.
   */
  readonly after?: readonly string[];
  /**
   * Controllers (by name) whose running pass this one waits out before it starts
   * one (daemon mode), with no other condition: e.g. the route statuses do not
   * re-list the routes the route controller is in the middle of writing (100k
   * of them: its own events would wake them again and again); they re-list once
   * it is done.
   */
  readonly waitsOut?: readonly string[];
  /**
   * It configures the host's network itself: writes links, addresses, routes or
   * rules, or starts the DHCP clients. In a daemon, the controllers that neither
   * such a controller nor anything it reads, runs after or waits out depends on
   * (hostname, resolv.conf, cluster discovery, KubeSpan, readiness…) start their
   * first pass once all of these have run and gone idle (RuntimeOptions.bootMs):
   * at boot, the network comes first.
   */
  readonly bootPath?: boolean;
  reconcile(ctx: ReconcileContext): Promise<void>;
  /** Told, before the pass it queues, what each outside wake was about (Runtime.wake). */
  hint?(hint: WakeHint): void;
  /**
   * Called once when the runtime starts (e.g. to subscribe to kernel events). `wake` queues a pass as an
   * input change does; `outside` as an outside event does (Runtime.wake: hint() first, coalesced as
   * kernel events are).
   */
  start?(wake: () => void, outside: (hint: WakeHint) => void): void | Promise<void>;
  /**
   * Called when the runtime is asked to stop, while it still runs: a controller
   * may wake itself to hand things over (a VIP owner withdraws its address
   * before it resigns). The runtime waits for the promise, then stops.
   */
  beforeStop?(): void | Promise<void>;
  stop?(): void | Promise<void>;
}

/** Errors a controller wants reported but not retried (bad input that will not fix itself). */
export class TerminalError extends Error {
  constructor(message: string, readonly causes: readonly Error[] = []) {
    super(message);
    this.name = 'TerminalError';
  }
}

/** Several independent failures from one reconcile pass. */
export class ReconcileErrors extends Error {
  constructor(readonly errors: readonly Error[]) {
    super(errors.map((e) => e.message).join('; '));
    this.name = 'ReconcileErrors';
  }
}
