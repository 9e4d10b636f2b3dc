// The controller runtime: wakes controllers when their inputs change, runs one
// reconcile at a time in registration order (so in one pass links come before
// addresses before routes), coalesces and rate-limits wake-ups, retries failures
// with backoff, and persists the state namespace.
import type { Logger } from '../log.js';
import { NS, type Resource } from '../resources/resource.js';
import { Store, type WatchEventType } from '../resources/store.js';
import { ChangeLog, type Change } from './changes.js';
import { TerminalError, type Controller, type ReconcileContext } from './controller.js';
import { TokenBucket, backoffMs } from './trigger.js';

export type RuntimeMode = 'oneshot' | 'daemon';

export interface RuntimeOptions {
  log: Logger;
  mode: RuntimeMode;
  dryRun?: boolean;
  /** Wake-up rate limit per controller (daemon default 10/s, burst 5). */
  rate?: { perSecond: number; burst: number };
  /** Retry policy for failed reconciles. */
  retry?: { baseMs: number; maxMs: number; maxAttempts: number };
  /** Saves the state namespace; called after passes that changed it. */
  persist?: (resources: Resource[]) => Promise<void>;
}

interface Runner {
  controller: Controller;
  index: number;
  log: Logger;
  queued: boolean;
  running: boolean;
  failures: number;
  lastError: Error | undefined;
  bucket: TokenBucket | undefined;
  retryTimer: NodeJS.Timeout | undefined;
  requeueTimer: NodeJS.Timeout | undefined;
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
  private activeWriter: Runner | undefined;
  private loopRunning = false;
  private loopTimer: NodeJS.Timeout | undefined;
  private idleWaiters: Array<() => void> = [];
  private stateDirty = false;
  private started = false;
  private stopped = false;
  private readonly options: RuntimeOptions;

  constructor(options: RuntimeOptions, store = new Store()) {
    this.options = options;
    this.store = store;
    this.log = options.log;
    this.mode = options.mode;
    this.dryRun = options.dryRun ?? false;
  }

  register(controller: Controller): void {
    if (this.started) throw new Error('register controllers before start()');
    if (this.byName.has(controller.name)) throw new Error(`controller ${controller.name} registered twice`);
    const rate = this.options.rate ?? (this.mode === 'daemon' ? { perSecond: 10, burst: 5 } : undefined);
    const runner: Runner = {
      controller,
      index: this.runners.length,
      log: this.log.child({ controller: controller.name }),
      queued: false,
      running: false,
      failures: 0,
      lastError: undefined,
      bucket: rate ? new TokenBucket(rate.perSecond, rate.burst) : undefined,
      retryTimer: undefined,
      requeueTimer: undefined,
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
    const kinds = new Set<string>([...this.readers.keys(), ...this.writers.keys()]);
    for (const k of kinds) {
      const slash = k.indexOf('/');
      const readers = this.readers.get(k) ?? [];
      this.unwatch.push(this.store.watch(k.slice(0, slash), k.slice(slash + 1), (type, resource) => this.onEvent(readers, type, resource)));
    }
    for (const runner of this.runners) {
      await runner.controller.start?.(() => this.queue(runner));
    }
    for (const runner of this.runners) this.queue(runner);
  }

  /** Starts a new change log (the previous one stays with whoever holds it). */
  newChangeLog(onRecord?: (change: Change) => void, keep = true): ChangeLog {
    this.changes = new ChangeLog(onRecord, keep);
    return this.changes;
  }

  /** Wakes a controller by name (external triggers: netlink events, the CLI). */
  wake(name: string): void {
    const runner = this.byName.get(name);
    if (runner) this.queue(runner);
  }

  private onEvent(readers: readonly Runner[], type: WatchEventType, resource: Resource): void {
    for (const runner of readers) {
      if (runner !== this.activeWriter && !runner.queued) this.queue(runner);
    }
    // the owner destroys a torn-down resource once its last finalizer is gone
    const md = resource.metadata;
    if (type === 'updated' && md.phase === 'tearingDown' && md.finalizers.length === 0) {
      const owner = this.byName.get(md.owner);
      if (owner && owner !== this.activeWriter) this.queue(owner);
    }
  }

  private queue(runner: Runner): void {
    if (this.stopped) return;
    runner.queued = true;
    this.kick();
  }

  private kick(): void {
    if (this.loopRunning || this.stopped) return;
    if (this.loopTimer) {
      clearTimeout(this.loopTimer);
      this.loopTimer = undefined;
    }
    this.loopRunning = true;
    setImmediate(() => void this.loop());
  }

  private async loop(): Promise<void> {
    try {
      for (;;) {
        if (this.stopped) return;
        let next: Runner | undefined;
        let waitMs = Infinity;
        for (const r of this.runners) {
          if (!r.queued) continue;
          const wait = r.bucket ? r.bucket.waitMs() : 0;
          if (wait === 0) {
            next = r;
            break;
          }
          waitMs = Math.min(waitMs, wait);
        }
        if (!next) {
          if (waitMs !== Infinity) this.loopTimer = setTimeout(() => this.kick(), waitMs);
          break;
        }
        next.bucket?.take();
        next.queued = false;
        await this.runOnce(next);
      }
    } finally {
      this.loopRunning = false;
    }
    await this.persistIfDirty();
    if (this.isIdle()) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    } else if (this.runners.some((r) => r.queued) && !this.loopTimer) {
      this.kick();
    }
  }

  private isIdle(): boolean {
    if (this.loopRunning) return false;
    for (const r of this.runners) {
      if (r.queued || r.running) return false;
      if (this.mode === 'oneshot' && r.retryTimer) return false;
    }
    return true;
  }

  private async runOnce(runner: Runner): Promise<void> {
    runner.running = true;
    if (runner.requeueTimer) {
      clearTimeout(runner.requeueTimer);
      runner.requeueTimer = undefined;
    }
    const ctx = this.context(runner);
    const started = performance.now();
    try {
      await runner.controller.reconcile(ctx);
      if (runner.failures > 0) runner.log.info({ after: runner.failures }, 'reconcile recovered');
      runner.failures = 0;
      runner.lastError = undefined;
      runner.log.debug({ ms: Math.round(performance.now() - started) }, 'reconciled');
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      runner.lastError = error;
      runner.failures++;
      this.scheduleRetry(runner, error);
    } finally {
      runner.running = false;
    }
    await this.persistIfDirty();
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
      if (namespace === NS.state && store.lastWriteChanged) this.stateDirty = true;
    };
    return {
      log: runner.log,
      dryRun: this.dryRun,
      longRunning: this.mode === 'daemon',
      changes: this.changes,
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
      put: (ns, type, id, spec) => {
        canWrite(ns, type);
        this.activeWriter = runner;
        try {
          return store.put(ns, type, id, spec, owner);
        } finally {
          done(ns);
        }
      },
      teardown: (ns, type, id) => {
        canWrite(ns, type);
        this.activeWriter = runner;
        try {
          return store.teardown(ns, type, id, owner);
        } finally {
          done(ns);
        }
      },
      destroy: (ns, type, id) => {
        canWrite(ns, type);
        this.activeWriter = runner;
        try {
          store.destroy(ns, type, id, owner);
        } finally {
          done(ns);
        }
      },
      addFinalizer: (ns, type, id) => {
        canRead(ns, type);
        this.activeWriter = runner;
        try {
          store.addFinalizer(ns, type, id, owner);
        } finally {
          done(ns);
        }
      },
      removeFinalizer: (ns, type, id) => {
        canRead(ns, type);
        this.activeWriter = runner;
        try {
          store.removeFinalizer(ns, type, id, owner);
        } finally {
          done(ns);
        }
      },
      requeueAfter: (ms) => {
        if (this.mode === 'oneshot') return; // a one-shot run reports what is pending instead of waiting
        if (runner.requeueTimer) clearTimeout(runner.requeueTimer);
        runner.requeueTimer = setTimeout(() => {
          runner.requeueTimer = undefined;
          this.queue(runner);
        }, ms);
      },
      flushState: () => this.persistIfDirty(),
    };
  }

  private async persistIfDirty(): Promise<void> {
    if (!this.stateDirty || this.dryRun || !this.options.persist) return;
    this.stateDirty = false;
    const resources: Resource[] = [];
    for (const type of this.store.kindsIn(NS.state)) resources.push(...this.store.list(NS.state, type));
    await this.options.persist(resources);
  }

  /** Resolves once no controller is queued, running or (one-shot) waiting to retry. */
  settle(): Promise<void> {
    if (this.isIdle() && !this.runners.some((r) => r.queued)) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Controllers whose last reconcile failed, with the error. */
  failures(): Array<{ controller: string; error: Error }> {
    return this.runners.filter((r) => r.lastError).map((r) => ({ controller: r.controller.name, error: r.lastError! }));
  }

  async stop(): Promise<void> {
    if (!this.stopped && this.started) {
      // hand-overs first, while everything still runs
      await Promise.all(this.runners.map((r) => r.controller.beforeStop?.()));
      await this.settle();
    }
    this.stopped = true;
    if (this.loopTimer) clearTimeout(this.loopTimer);
    for (const r of this.runners) {
      if (r.retryTimer) clearTimeout(r.retryTimer);
      if (r.requeueTimer) clearTimeout(r.requeueTimer);
    }
    for (const u of this.unwatch) u();
    for (const r of this.runners) await r.controller.stop?.();
    await this.persistIfDirty();
  }
}
