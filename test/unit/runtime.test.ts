import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { OwnershipError, PendingFinalizersError, Store, type WatchEventType } from '../../src/resources/store.js';
import type { Controller, ReconcileContext } from '../../src/runtime/controller.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { TokenBucket } from '../../src/runtime/trigger.js';

describe('Store', () => {
  it('versions changes and skips no-op writes without an event', () => {
    const s = new Store();
    const events: WatchEventType[] = [];
    s.watch('ns', 'T', (type) => events.push(type));
    const a = s.put('ns', 'T', 'x', { n: 1, list: [1, 2] }, 'c1');
    expect(a.metadata.version).toBe(1);
    const b = s.put('ns', 'T', 'x', { list: [1, 2], n: 1, ignored: undefined }, 'c1');
    expect(b).toBe(a);
    const c = s.put('ns', 'T', 'x', { n: 2, list: [1, 2] }, 'c1');
    expect(c.metadata.version).toBe(2);
    expect(events).toEqual(['created', 'updated']);
  });

  it('lets only the owner write or destroy', () => {
    const s = new Store();
    s.put('ns', 'T', 'x', {}, 'c1');
    expect(() => s.put('ns', 'T', 'x', { a: 1 }, 'c2')).toThrow(OwnershipError);
    expect(() => s.destroy('ns', 'T', 'x', 'c2')).toThrow(OwnershipError);
  });

  it('tears down in two phases: finalizers block destruction', () => {
    const s = new Store();
    s.put('ns', 'T', 'x', {}, 'owner');
    s.addFinalizer('ns', 'T', 'x', 'consumer');
    expect(s.teardown('ns', 'T', 'x', 'owner')).toBe(false);
    expect(s.get('ns', 'T', 'x')!.metadata.phase).toBe('tearingDown');
    expect(() => s.destroy('ns', 'T', 'x', 'owner')).toThrow(PendingFinalizersError);
    s.removeFinalizer('ns', 'T', 'x', 'consumer');
    expect(s.teardown('ns', 'T', 'x', 'owner')).toBe(true);
    s.destroy('ns', 'T', 'x', 'owner');
    expect(s.get('ns', 'T', 'x')).toBeUndefined();
  });
});

describe('TokenBucket', () => {
  it('allows a burst, then the steady rate', () => {
    let now = 0;
    const b = new TokenBucket(10, 5, () => now);
    for (let i = 0; i < 5; i++) expect(b.take()).toBe(true);
    expect(b.take()).toBe(false);
    expect(b.waitMs()).toBe(100);
    now += 100;
    expect(b.take()).toBe(true);
    expect(b.take()).toBe(false);
  });
});

class Recorder implements Controller {
  runs = 0;
  constructor(
    readonly name: string,
    readonly inputs: Controller['inputs'],
    readonly outputs: Controller['outputs'],
    private readonly body: (ctx: ReconcileContext, self: Recorder) => Promise<void> | void,
  ) {}
  async reconcile(ctx: ReconcileContext): Promise<void> {
    this.runs++;
    await this.body(ctx, this);
  }
}

describe('Runtime', () => {
  it('rejects two exclusive writers of one type', () => {
    const r = new Runtime({ log: silentLogger(), mode: 'oneshot' });
    r.register(new Recorder('a', [], [{ namespace: 'n', type: 'T', kind: 'exclusive' }], () => {}));
    expect(() => r.register(new Recorder('b', [], [{ namespace: 'n', type: 'T', kind: 'exclusive' }], () => {}))).toThrow(/exactly one writer/);
  });

  it('refuses writes to undeclared outputs', async () => {
    const r = new Runtime({ log: silentLogger(), mode: 'oneshot', retry: { baseMs: 1, maxMs: 1, maxAttempts: 1 } });
    r.register(new Recorder('a', [], [], (ctx) => void ctx.put('n', 'T', 'x', {})));
    await r.start();
    await r.settle();
    expect(r.failures()[0]?.error.message).toMatch(/not one of its declared outputs/);
  });

  it('wakes readers when an input changes, coalesced, never on its own writes', async () => {
    const r = new Runtime({ log: silentLogger(), mode: 'oneshot' });
    const producer = new Recorder('producer', [{ namespace: 'n', type: 'In' }], [{ namespace: 'n', type: 'Mid', kind: 'exclusive' }], (ctx) => {
      const input = ctx.get<{ v: number }>('n', 'In', 'x');
      for (let i = 0; i < 100; i++) ctx.put('n', 'Mid', `m${i}`, { v: input?.spec.v ?? 0 });
    });
    const consumer = new Recorder('consumer', [{ namespace: 'n', type: 'Mid' }], [{ namespace: 'n', type: 'Out', kind: 'exclusive' }], (ctx) => {
      const sum = ctx.list<{ v: number }>('n', 'Mid').reduce((a, m) => a + m.spec.v, 0);
      ctx.put('n', 'Out', 'sum', { sum });
    });
    r.register(producer);
    r.register(consumer);
    await r.start();
    await r.settle();
    expect(producer.runs).toBe(1);
    expect(consumer.runs).toBe(1);
    r.store.put('n', 'In', 'x', { v: 2 }, 'user');
    await r.settle();
    expect(producer.runs).toBe(2);
    expect(consumer.runs).toBe(2); // 100 changes, one wake-up
    expect(r.store.get<{ sum: number }>('n', 'Out', 'sum')!.spec.sum).toBe(200);
  });

  it('completes teardown: the owner destroys once the finalizer is released', async () => {
    const r = new Runtime({ log: silentLogger(), mode: 'oneshot' });
    const owner = new Recorder('owner', [{ namespace: 'n', type: 'Want' }], [{ namespace: 'n', type: 'Spec', kind: 'exclusive' }], (ctx) => {
      const wanted = new Set(ctx.list('n', 'Want').map((w) => w.metadata.id));
      for (const id of wanted) ctx.put('n', 'Spec', id, {});
      for (const s of ctx.list('n', 'Spec')) {
        if (!wanted.has(s.metadata.id) && ctx.teardown('n', 'Spec', s.metadata.id)) ctx.destroy('n', 'Spec', s.metadata.id);
      }
    });
    const released: string[] = [];
    const holder = new Recorder('holder', [{ namespace: 'n', type: 'Spec' }], [], (ctx) => {
      for (const s of ctx.list('n', 'Spec')) {
        if (s.metadata.phase === 'running') ctx.addFinalizer('n', 'Spec', s.metadata.id);
        else {
          released.push(s.metadata.id);
          ctx.removeFinalizer('n', 'Spec', s.metadata.id);
        }
      }
    });
    r.register(owner);
    r.register(holder);
    r.store.put('n', 'Want', 'a', {}, 'user');
    await r.start();
    await r.settle();
    expect(r.store.get('n', 'Spec', 'a')!.metadata.finalizers).toEqual(['holder']);
    r.store.destroy('n', 'Want', 'a', 'user');
    await r.settle();
    expect(released).toEqual(['a']);
    expect(r.store.get('n', 'Spec', 'a')).toBeUndefined();
  });

  it('retries a failing reconcile with backoff and reports the last error in one-shot mode', async () => {
    const r = new Runtime({ log: silentLogger(), mode: 'oneshot', retry: { baseMs: 1, maxMs: 4, maxAttempts: 3 } });
    const c = new Recorder('flaky', [], [], () => {
      throw new Error('kernel said no');
    });
    r.register(c);
    await r.start();
    await r.settle();
    expect(c.runs).toBe(3);
    expect(r.failures()).toEqual([{ controller: 'flaky', error: new Error('kernel said no') }]);
  });

  it('rate-limits wake-ups in daemon mode', async () => {
    const r = new Runtime({ log: silentLogger(), mode: 'daemon', rate: { perSecond: 20, burst: 2 } });
    const c = new Recorder('busy', [{ namespace: 'n', type: 'T' }], [], () => {});
    r.register(c);
    await r.start();
    const started = performance.now();
    for (let i = 0; i < 6; i++) {
      r.store.put('n', 'T', 'x', { i }, 'user');
      await new Promise((res) => setTimeout(res, 5));
    }
    await r.settle();
    await new Promise((res) => setTimeout(res, 200));
    await r.settle();
    const elapsed = performance.now() - started;
    // 1 initial run + up to 6 wake-ups; with burst 2 at 20/s they cannot all run at once
    expect(c.runs).toBeGreaterThanOrEqual(3);
    expect(c.runs).toBeLessThanOrEqual(7);
    expect(elapsed).toBeGreaterThan(90);
    await r.stop();
  });

  it('persists the state namespace after a pass that changed it', async () => {
    const saved: number[] = [];
    const r = new Runtime({ log: silentLogger(), mode: 'oneshot', persist: async (resources) => void saved.push(resources.length) });
    r.register(new Recorder('writer', [], [{ namespace: 'state', type: 'Applied', kind: 'exclusive' }], (ctx) => {
      ctx.put('state', 'Applied', 'a', { x: 1 });
      ctx.put('state', 'Applied', 'b', { x: 1 });
    }));
    await r.start();
    await r.settle();
    expect(saved).toEqual([2]);
  });

  it('dry-run never persists', async () => {
    const saved: number[] = [];
    const r = new Runtime({ log: silentLogger(), mode: 'oneshot', dryRun: true, persist: async (resources) => void saved.push(resources.length) });
    r.register(new Recorder('writer', [], [{ namespace: 'state', type: 'Applied', kind: 'exclusive' }], (ctx) => void ctx.put('state', 'Applied', 'a', {})));
    await r.start();
    await r.settle();
    expect(saved).toEqual([]);
  });
});
