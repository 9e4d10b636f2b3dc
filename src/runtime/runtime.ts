// The controller runtime: wakes controllers when their inputs change, coalesces
// and rate-limits wake-ups, retries failures with backoff, and persists the
// state namespace (one save at a time).
//
// Daemon mode runs each controller on its own schedule, concurrently: a long
// pass of one controller (100k routes) never delays another's. A controller
// first runs once every other writer of its inputs has run once (so it starts
// from complete specs and statuses), and never while a controller it names in
// `after` is running or has input changes queued (routes after addresses after
// links); a re-check it asked for itself (requeueAfter) holds back nobody. At
// a daemon's start the controllers that configure the network (bootPath) and
// what they depend on run first; the others' first passes follow.
// One-shot mode (apply) runs one pass at a time in registration order, with
// the outside world quiesced between passes (kernel events of one pass reach
// the status controllers before the next pass starts): a plan is deterministic.
import type { Logger } from '../log.js';
import { NS, type Resource } from '../resources/resource.js';
import { Store, type WatchEventType } from '../resources/store.js';
import { ChangeLog, type Change, type ChangeRecorder } from './changes.js';
import { TerminalError, type Controller, type ReconcileContext, type WakeHint } from './controller.js';
import { TokenBucket, backoffMs } from './trigger.js';
import { monotonicMs } from '../util/clock.js';

export type RuntimeMode = 'oneshot' | 'daemon';

export interface RuntimeOptions {
  log: Logger;
  mode: RuntimeMode;
  dryRun?: boolean;
  /**
   * Wake-up rate limit per controller (daemon default 10/s, burst 5). It guards
   * the steady state against event storms; it starts `rateGraceMs` after start
   * (default 3 s), so that the bursts of events of a booting host (links up, the
   * kernel's own routes, a DHCP lease and what it brings) do not hold back the
   * passes that configure it. Wake-ups still coalesce meanwhile: a controller
   * never runs twice at once, and those of one burst make one more pass.
   */
  rate?: { perSecond: number; burst: number };
  rateGraceMs?: number;
  /**
   * Daemon: a controller woken only by outside events (`wake`: kernel events)
   * waits until this many times its last pass's duration has passed since that
   * pass ended (default 2: it spends at most a third of the time re-listing).
   * A pass of 1 ms waits 2 ms; a re-list of 100k routes (~300 ms) is not
   * repeated for every batch of the events its own controllers' writes cause,
   * but once for all of them. Input changes, retries and first passes never
   * wait, and a first pass sets no wait: its duration is no measure of a
   * re-list (it holds one-off costs, and the daemon's start runs every other
   * first pass in its awaits: 16 ms measured for a 0-1 ms pass, which made the
   * link statuses, and the addresses after them, wait 32 ms). 0 turns it off.
   */
  outsideCoalesce?: number;
  /**
   * Daemon: how long at most the controllers off the boot path wait for their
   * first pass while those on it configure the network (Controller.bootPath;
   * default 1000 ms: a first pass of 100k routes does not hold back discovery).
   */
  bootMs?: number;
  /** Retry policy for failed reconciles. */
  retry?: { baseMs: number; maxMs: number; maxAttempts: number };
  /** Saves the state namespace; called after passes that changed it. */
  persist?: (resources: Resource[]) => Promise<void>;
  /**
   * Called when no controller has work left: resolves once every outside event
   * that was already under way has been delivered (a kernel watch's barrier),
   * so that settle() does not return while such an event would wake someone.
   */
  quiesce?: () => Promise<void>;
}

interface Runner {
  controller: Controller;
  log: Logger;
  queued: boolean;
  running: boolean;
  /** It has completed a reconcile (successfully or not): its outputs are there to read. */
  ranOnce: boolean;
  /** Other controllers that write one of its inputs: it waits for their first pass. */
  writersOfInputs: Runner[];
  /** Controllers that must be idle when it starts (Controller.after). */
  after: Runner[];
  /** Controllers whose running pass it waits out (Controller.waitsOut). */
  waitsOut: Runner[];
  failures: number;
  lastError: Error | undefined;
  bucket: TokenBucket | undefined;
  retryTimer: NodeJS.Timeout | undefined;
  requeueTimer: NodeJS.Timeout | undefined;
  rateTimer: NodeJS.Timeout | undefined;
  /** IDs it reported as pending in the current change log (cleared at its next pass). */
  pending: Set<string>;
  /** Daemon: outside events are being quiesced before it may start (it has `after` controllers). */
  quiescing: boolean;
  /**
   * Queued only by its own requeueAfter (a re-check of what it wrote, or a later
   * look): that holds back no controller that runs after it; an input change or a
   * retry does.
   */
  recheckOnly: boolean;
  /** It changed the state namespace since the last save began (a flush must save). */
  unsaved: boolean;
  /** The save that holds its latest changes, while it runs (a flush waits for it, and for no other). */
  inSave: Promise<void> | undefined;
  /** Daemon: quiesced since it last became ready to start. */
  quiesced: boolean;
  /** Queued by outside events (`wake`) alone: it may wait for `coalesceUntil` (RuntimeOptions.outsideCoalesce). */
  outsideOnly: boolean;
  /** monotonicMs() before which an outside-only wake-up waits: the end of its last pass plus a multiple of its duration. */
  coalesceUntil: number;
  coalesceTimer: NodeJS.Timeout | undefined;
  /** A controller with bootPath, or one that such a controller depends on (reads, runs after, waits out). */
  onBootPath: boolean;
}

function key(namespace: string, type: string): string {
  return `${namespace}/${type}`;
}

/** namespace → types, for cheap per-call checks. */
function kindSet(kinds: ReadonlyArray<{ namespace: string; type: string }>): Map<string, Set<string>> {
  const m = new Map<string, Set<string>>();
  for (const k of kinds) {
    const set = m.get(k.namespace) ?? new Set<string>();
    set.add(k.type);
    m.set(k.namespace, set);
  }
  return m;
}

export class Runtime {
  readonly store: Store;
  /** Where controllers record kernel changes; the daemon starts a fresh log per apply. */
  changes = new ChangeLog();
  readonly mode: RuntimeMode;
  readonly dryRun: boolean;
  private readonly log: Logger;
  private readonly runners: Runner[] = [];
  private readonly byName = new Map<string, Runner>();
  private readonly readers = new Map<string, Runner[]>();
  private readonly writers = new Map<string, { runner: Runner; exclusive: boolean }[]>();
  private readonly unwatch: Array<() => void> = [];
  /** The controller inside a synchronous store write (it is not woken by its own change). */
  private activeWriter: Runner | undefined;
  private idleWaiters: Array<() => void> = [];
  private stateDirty = false;
  private persisting: Promise<void> | undefined;
  private started = false;
  private stopped = false;
  private checkingIdle = false;
  /** Daemon: the start-up grace, before the rate limit applies (see RuntimeOptions.rate). */
  private graceTimer: NodeJS.Timeout | undefined;
  /**
   * Daemon, at start: the controllers on the boot path have not all run and gone
   * idle yet; the others wait for their first pass (Controller.bootPath).
   */
  private booting = false;
  private bootTimer: NodeJS.Timeout | undefined;
  /** One-shot: between two passes, while outside events are being quiesced. */
  private serialBusy = false;
  private readonly options: RuntimeOptions;
  private readonly startHooks: Array<() => void> = [];
  private readonly stopHooks: Array<() => void> = [];

  constructor(options: RuntimeOptions, store = new Store()) {
    this.options = options;
    this.store = store;
    this.log = options.log;
    this.mode = options.mode;
    this.dryRun = options.dryRun ?? false;
  }

  /** Runs when the runtime starts, before the first pass (e.g. opening the kernel watch). */
  onStart(hook: () => void): void {
    this.startHooks.push(hook);
  }

  /** Runs when the runtime has stopped (e.g. closing the kernel watch). */
  onStop(hook: () => void): void {
    this.stopHooks.push(hook);
  }

  register(controller: Controller): void {
    if (this.started) throw new Error('register controllers before start()');
    if (this.byName.has(controller.name)) throw new Error(`controller ${controller.name} registered twice`);
    const rate = this.options.rate ?? (this.mode === 'daemon' ? { perSecond: 10, burst: 5 } : undefined);
    const runner: Runner = {
      controller,
      log: this.log.child({ controller: controller.name }),
      queued: false,
      running: false,
      ranOnce: false,
      writersOfInputs: [],
      after: [],
      waitsOut: [],
      failures: 0,
      lastError: undefined,
      bucket: rate ? new TokenBucket(rate.perSecond, rate.burst) : undefined,
      retryTimer: undefined,
      requeueTimer: undefined,
      rateTimer: undefined,
      pending: new Set(),
      quiescing: false,
      quiesced: false,
      recheckOnly: false,
      unsaved: false,
      inSave: undefined,
      outsideOnly: false,
      coalesceUntil: 0,
      coalesceTimer: undefined,
      onBootPath: false,
    };
    for (const out of controller.outputs) {
      const k = key(out.namespace, out.type);
      const existing = this.writers.get(k) ?? [];
      const exclusive = out.kind === 'exclusive';
      if (existing.some((w) => w.exclusive) || (exclusive && existing.length > 0)) {
        const other = existing[0]!.runner.controller.name;
        throw new Error(`output ${k} of ${controller.name} conflicts with ${other}: exclusive outputs have exactly one writer`);
      }
      existing.push({ runner, exclusive });
      this.writers.set(k, existing);
    }
    for (const input of controller.inputs) {
      if (input.passive) continue;
      const k = key(input.namespace, input.type);
      const list = this.readers.get(k) ?? [];
      list.push(runner);
      this.readers.set(k, list);
    }
    this.runners.push(runner);
    this.byName.set(controller.name, runner);
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    for (const runner of this.runners) {
      const deps = new Set<Runner>();
      for (const input of runner.controller.inputs) {
        if (input.passive) continue;
        for (const w of this.writers.get(key(input.namespace, input.type)) ?? []) if (w.runner !== runner) deps.add(w.runner);
      }
      runner.writersOfInputs = [...deps];
      runner.after = (runner.controller.after ?? []).map((n) => this.byName.get(n)).filter((r): r is Runner => r !== undefined);
      runner.waitsOut = (runner.controller.waitsOut ?? []).map((n) => this.byName.get(n)).filter((r): r is Runner => r !== undefined);
    }
    this.markBootPath();
    this.breakCycles();
    const kinds = new Set<string>([...this.readers.keys(), ...this.writers.keys()]);
    for (const k of kinds) {
      const slash = k.indexOf('/');
      const readers = this.readers.get(k) ?? [];
      this.unwatch.push(this.store.watch(k.slice(0, slash), k.slice(slash + 1), (type, resource) => this.onEvent(readers, type, resource)));
    }
    for (const hook of this.startHooks) hook();
    for (const runner of this.runners) {
      await runner.controller.start?.(
        () => this.queue(runner),
        (hint) => this.wake(runner.controller.name, hint),
      );
    }
    for (const runner of this.runners) runner.queued = true;
    const grace = this.options.rateGraceMs ?? 3000;
    if (grace > 0 && this.runners.some((r) => r.bucket)) {
      this.graceTimer = setTimeout(() => {
        this.graceTimer = undefined;
      }, grace);
      this.graceTimer.unref();
    }
    if (this.booting) {
      this.bootTimer = setTimeout(() => this.endBoot(true), this.options.bootMs ?? 1000);
      this.bootTimer.unref();
    }
    this.schedule();
  }

  /**
   * Daemon: marks the controllers with bootPath and every controller they depend
   * on, directly or not; the rest wait for their first pass until those are done
   * (`booting`). Nothing waits when no controller has bootPath.
   */
  private markBootPath(): void {
    if (this.mode !== 'daemon') return;
    const pending = this.runners.filter((r) => r.controller.bootPath === true);
    if (pending.length === 0) return;
    for (const r of pending) r.onBootPath = true;
    while (pending.length > 0) {
      const r = pending.pop()!;
      for (const d of [...r.writersOfInputs, ...r.after, ...r.waitsOut]) {
        if (d.onBootPath) continue;
        d.onBootPath = true;
        pending.push(d);
      }
    }
    this.booting = this.runners.some((r) => !r.onBootPath);
  }

  /** The boot path has run and gone idle (or its time is up): every controller may start now. */
  private endBoot(schedule: boolean): void {
    if (!this.booting) return;
    this.booting = false;
    clearTimeout(this.bootTimer);
    this.bootTimer = undefined;
    if (schedule) this.schedule();
  }

  /**
   * Controllers that feed each other (the DHCP operator reads the merged hostname
   * and writes an operator-layer one) cannot wait for each other's first pass:
   * within such a cycle (a strongly connected component) nobody waits.
   */
  private breakCycles(): void {
    const index = new Map<Runner, number>();
    const low = new Map<Runner, number>();
    const onStack = new Set<Runner>();
    const stack: Runner[] = [];
    const component = new Map<Runner, number>();
    let counter = 0;
    let components = 0;
    const visit = (r: Runner): void => {
      index.set(r, counter);
      low.set(r, counter);
      counter++;
      stack.push(r);
      onStack.add(r);
      for (const d of r.writersOfInputs) {
        if (!index.has(d)) {
          visit(d);
          low.set(r, Math.min(low.get(r)!, low.get(d)!));
        } else if (onStack.has(d)) {
          low.set(r, Math.min(low.get(r)!, index.get(d)!));
        }
      }
      if (low.get(r) === index.get(r)) {
        for (;;) {
          const x = stack.pop()!;
          onStack.delete(x);
          component.set(x, components);
          if (x === r) break;
        }
        components++;
      }
    };
    for (const r of this.runners) if (!index.has(r)) visit(r);
    for (const r of this.runners) r.writersOfInputs = r.writersOfInputs.filter((d) => component.get(d) !== component.get(r));
  }

  /** Starts a new change log (the previous one stays with whoever holds it). */
  newChangeLog(onRecord?: (change: Change) => void, keep = true): ChangeLog {
    this.changes = new ChangeLog(onRecord, keep);
    for (const r of this.runners) r.pending.clear();
    return this.changes;
  }

  /** Wakes a controller by name (external triggers: netlink events, the CLI). */
  wake(name: string, hint: WakeHint = {}): void {
    const runner = this.byName.get(name);
    if (!runner) return;
    runner.controller.hint?.(hint);
    this.queue(runner, 'outside');
  }

  private onEvent(readers: readonly Runner[], type: WatchEventType, resource: Resource): void {
    for (const runner of readers) {
      if (runner !== this.activeWriter) this.queue(runner);
    }
    // the owner destroys a torn-down resource once its last finalizer is gone
    const md = resource.metadata;
    if (type === 'updated' && md.phase === 'tearingDown' && md.finalizers.length === 0) {
      const owner = this.byName.get(md.owner);
      if (owner && owner !== this.activeWriter) this.queue(owner);
    }
  }

  /** `why`: an input change (or a retry, a first pass), the controller's own re-check, or an outside event. */
  private queue(runner: Runner, why: 'input' | 'recheck' | 'outside' = 'input'): void {
    if (why !== 'recheck') runner.recheckOnly = false;
    else if (!runner.queued) runner.recheckOnly = true;
    if (why !== 'outside') runner.outsideOnly = false;
    else if (!runner.queued) runner.outsideOnly = true;
    if (this.stopped || !this.started) {
      runner.queued = true;
      return;
    }
    if (runner.queued) return;
    runner.queued = true;
    // schedule on a later tick: wake-ups from one synchronous burst of writes coalesce
    setImmediate(() => this.schedule());
  }

  /** Starts every queued controller that may run now (one-shot: the first in registration order, when none runs). */
  private schedule(): void {
    if (this.stopped) return;
    const serial = this.mode === 'oneshot';
    if (serial && (this.serialBusy || this.runners.some((r) => r.running))) return;
    if (this.booting && this.runners.every((r) => !r.onBootPath || (r.ranOnce && !r.queued && !r.running && !r.quiescing))) this.endBoot(false);
    for (const r of this.runners) {
      if (!r.queued || r.running) continue;
      if (!serial) {
        if (this.booting && !r.onBootPath && !r.ranOnce) continue;
        if (!r.writersOfInputs.every((w) => w.ranOnce)) continue;
        if (r.waitsOut.some((w) => w.running)) continue;
        if (r.after.some((a) => (a.queued && !a.recheckOnly) || a.running || a.quiescing)) continue;
        if (r.after.length > 0 && this.options.quiesce && !r.quiesced) {
          // kernel events of what the controllers it runs after just did: delivered first (they may wake them again)
          if (!r.quiescing) {
            r.quiescing = true;
            this.options
              .quiesce()
              .catch((err: unknown) => r.log.debug({ err: err instanceof Error ? err.message : String(err) }, 'quiesce failed'))
              .finally(() => {
                r.quiescing = false;
                r.quiesced = true;
                this.schedule();
              });
          }
          continue;
        }
      }
      if (r.outsideOnly && r.coalesceUntil > 0) {
        const wait = r.coalesceUntil - monotonicMs();
        if (wait >= 1) {
          r.coalesceTimer ??= setTimeout(() => {
            r.coalesceTimer = undefined;
            this.schedule();
          }, wait);
          continue;
        }
      }
      if (r.bucket && this.graceTimer === undefined) {
        const wait = r.bucket.waitMs();
        if (wait > 0) {
          r.rateTimer ??= setTimeout(() => {
            r.rateTimer = undefined;
            this.schedule();
          }, wait);
          continue;
        }
        r.bucket.take();
      }
      r.queued = false;
      r.recheckOnly = false;
      r.outsideOnly = false;
      r.quiesced = false;
      void this.runOnce(r);
      if (serial) return;
    }
    this.checkIdle();
  }

  private isIdle(): boolean {
    if (this.serialBusy) return false;
    for (const r of this.runners) {
      if (r.queued || r.running || r.quiescing) return false;
      if (this.mode === 'oneshot' && r.retryTimer) return false;
    }
    return this.persisting === undefined;
  }

  /** Resolves settle() waiters once nothing is left to do, outside events included. */
  private checkIdle(): void {
    if (!this.isIdle() || this.idleWaiters.length === 0 || this.checkingIdle) return;
    const quiesce = this.options.quiesce;
    if (!quiesce) {
      this.resolveIdle();
      return;
    }
    this.checkingIdle = true;
    quiesce()
      .catch((err: unknown) => this.log.debug({ err: err instanceof Error ? err.message : String(err) }, 'quiesce failed'))
      .finally(() => {
        this.checkingIdle = false;
        // an event delivered meanwhile queued someone: they run, and the check comes again
        if (this.isIdle()) this.resolveIdle();
        else this.schedule();
      });
  }

  private resolveIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private async runOnce(runner: Runner): Promise<void> {
    runner.running = true;
    if (runner.requeueTimer) {
      clearTimeout(runner.requeueTimer);
      runner.requeueTimer = undefined;
    }
    for (const id of runner.pending) this.changes.pending.delete(id);
    runner.pending.clear();
    const ctx = this.context(runner);
    const started = monotonicMs();
    try {
      await runner.controller.reconcile(ctx);
      if (runner.failures > 0) runner.log.info({ after: runner.failures }, 'reconcile recovered');
      runner.failures = 0;
      runner.lastError = undefined;
      runner.log.debug({ ms: Math.round(monotonicMs() - started) }, 'reconciled');
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      runner.lastError = error;
      runner.failures++;
      this.scheduleRetry(runner, error);
    } finally {
      runner.running = false;
      const first = !runner.ranOnce;
      runner.ranOnce = true;
      const coalesce = this.mode === 'daemon' && !first ? (this.options.outsideCoalesce ?? 2) : 0;
      const ended = monotonicMs();
      runner.coalesceUntil = coalesce > 0 ? ended + (ended - started) * coalesce : 0;
    }
    await this.persistIfDirty();
    if (this.mode === 'oneshot' && this.options.quiesce) {
      // what this pass changed in the kernel reaches the status controllers before the next pass
      this.serialBusy = true;
      try {
        await this.options.quiesce();
      } catch (err) {
        runner.log.debug({ err: err instanceof Error ? err.message : String(err) }, 'quiesce failed');
      } finally {
        this.serialBusy = false;
      }
    }
    // the next pass, and readers that waited for this one's first
    this.schedule();
  }

  private scheduleRetry(runner: Runner, error: Error): void {
    const retry = this.options.retry ?? (this.mode === 'daemon' ? { baseMs: 100, maxMs: 30_000, maxAttempts: Infinity } : { baseMs: 25, maxMs: 200, maxAttempts: 3 });
    if (error instanceof TerminalError || runner.failures >= retry.maxAttempts) {
      runner.log.debug({ err: error.message, failures: runner.failures }, 'reconcile failed; not retrying');
      return;
    }
    const delay = backoffMs(runner.failures, retry.baseMs, retry.maxMs);
    const fields = { err: error.message, retryInMs: delay };
    if (this.mode === 'daemon') runner.log.warn(fields, 'reconcile failed');
    else runner.log.debug(fields, 'reconcile failed');
    if (runner.retryTimer) clearTimeout(runner.retryTimer);
    runner.retryTimer = setTimeout(() => {
      runner.retryTimer = undefined;
      this.queue(runner);
    }, delay);
  }

  private context(runner: Runner): ReconcileContext {
    const owner = runner.controller.name;
    const writable = kindSet(runner.controller.outputs);
    const readable = kindSet([...runner.controller.inputs, ...runner.controller.outputs]);
    const canWrite = (namespace: string, type: string): void => {
      if (!writable.get(namespace)?.has(type)) throw new Error(`${owner} wrote ${key(namespace, type)}, which is not one of its declared outputs`);
    };
    const canRead = (namespace: string, type: string): void => {
      if (!readable.get(namespace)?.has(type)) throw new Error(`${owner} read ${key(namespace, type)}, which is neither an input nor an output`);
    };
    // Writes carry the writer (so it is not woken by its own changes); only real
    // changes to the state namespace make it dirty (no-op puts do not).
    const store = this.store;
    const done = (namespace: string): void => {
      this.activeWriter = undefined;
      if (namespace === NS.state && store.lastWriteChanged) {
        this.stateDirty = true;
        runner.unsaved = true;
      }
    };
    const write = <R>(ns: string, fn: () => R): R => {
      this.activeWriter = runner;
      try {
        return fn();
      } finally {
        done(ns);
      }
    };
    const log = this.changes;
    // pending entries belong to the controller that reported them: its next pass starts them afresh
    const changes: ChangeRecorder = {
      record: (change) => log.record(change),
      wait: (id, reason) => {
        runner.pending.add(id);
        log.wait(id, reason);
      },
    };
    return {
      log: runner.log,
      dryRun: this.dryRun,
      longRunning: this.mode === 'daemon',
      changes,
      list: (ns, type) => {
        canRead(ns, type);
        return this.store.list(ns, type);
      },
      get: (ns, type, id) => {
        canRead(ns, type);
        return this.store.get(ns, type, id);
      },
      count: (ns, type) => {
        canRead(ns, type);
        return this.store.count(ns, type);
      },
      revision: (ns, type) => {
        canRead(ns, type);
        return this.store.revision(ns, type);
      },
      put: (ns, type, id, spec) => {
        canWrite(ns, type);
        return write(ns, () => store.put(ns, type, id, spec, owner));
      },
      teardown: (ns, type, id) => {
        canWrite(ns, type);
        return write(ns, () => store.teardown(ns, type, id, owner));
      },
      destroy: (ns, type, id) => {
        canWrite(ns, type);
        write(ns, () => store.destroy(ns, type, id, owner));
      },
      addFinalizer: (ns, type, id) => {
        canRead(ns, type);
        write(ns, () => store.addFinalizer(ns, type, id, owner));
      },
      removeFinalizer: (ns, type, id) => {
        canRead(ns, type);
        write(ns, () => store.removeFinalizer(ns, type, id, owner));
      },
      requeueAfter: (ms) => {
        if (this.mode === 'oneshot') return; // a one-shot run reports what is pending instead of waiting
        if (runner.requeueTimer) clearTimeout(runner.requeueTimer);
        runner.requeueTimer = setTimeout(() => {
          runner.requeueTimer = undefined;
          this.queue(runner, 'recheck');
        }, Math.max(0, ms));
      },
      // only this controller's own records must be on disk: it never waits for a save of others' alone
      flushState: async () => {
        if (runner.unsaved) await this.persistIfDirty();
        else if (runner.inSave) await runner.inSave;
      },
      yield: () => new Promise<void>((resolve) => setImmediate(resolve)),
    };
  }

  /** Saves the state namespace when it changed; one save at a time, the last one sees every change. */
  private async persistIfDirty(): Promise<void> {
    while (this.persisting) await this.persisting;
    if (!this.stateDirty || this.dryRun || !this.options.persist) return;
    this.stateDirty = false;
    const resources: Resource[] = [];
    for (const type of this.store.kindsIn(NS.state)) resources.push(...this.store.list(NS.state, type));
    const holders = this.runners.filter((r) => r.unsaved);
    const saving = this.options.persist(resources);
    const persisting = saving
      .catch((err: unknown) => {
        // not on disk: the next flush saves again (a retried pass finds its records already in the store)
        this.stateDirty = true;
        for (const r of holders) r.unsaved = true;
        throw err;
      })
      .finally(() => {
        this.persisting = undefined;
        for (const r of holders) if (r.inSave === persisting) r.inSave = undefined;
      });
    this.persisting = persisting;
    for (const r of holders) {
      r.unsaved = false;
      r.inSave = persisting;
    }
    try {
      await this.persisting;
    } finally {
      this.checkIdle();
    }
  }

  /** Resolves once no controller is queued, running or (one-shot) waiting to retry, and outside events are in. */
  settle(): Promise<void> {
    const done = new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    this.checkIdle();
    return done;
  }

  /** Controllers whose last reconcile failed, with the error. */
  failures(): Array<{ controller: string; error: Error }> {
    return this.runners.filter((r) => r.lastError).map((r) => ({ controller: r.controller.name, error: r.lastError! }));
  }

  /** Whether a controller is in the middle of a pass (for tests and status). */
  isRunning(name: string): boolean {
    return this.byName.get(name)?.running ?? false;
  }

  async stop(): Promise<void> {
    if (!this.stopped && this.started) {
      // hand-overs first, while everything still runs
      await Promise.all(this.runners.map((r) => r.controller.beforeStop?.()));
      await this.settle();
    }
    this.stopped = true;
    for (const r of this.runners) {
      if (r.retryTimer) clearTimeout(r.retryTimer);
      if (r.requeueTimer) clearTimeout(r.requeueTimer);
      if (r.rateTimer) clearTimeout(r.rateTimer);
      if (r.coalesceTimer) clearTimeout(r.coalesceTimer);
    }
    clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
    clearTimeout(this.bootTimer);
    this.bootTimer = undefined;
    for (const u of this.unwatch) u();
    // wait for passes still under way (they may be writing the kernel)
    while (this.runners.some((r) => r.running)) await new Promise((resolve) => setTimeout(resolve, 5));
    for (const r of this.runners) await r.controller.stop?.();
    await this.persistIfDirty();
    for (const hook of this.stopHooks) hook();
  }
}
