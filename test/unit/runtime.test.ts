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

  it('keeps metadata: namespace, type and owner per resource, created once, updated on each change (epoch milliseconds)', () => {
    let now = 1_764_600_000_000; // 2025-12-01, as Date.now() gives it
    const s = new Store(() => now);
    now += 5;
    s.put('ns', 'T', 'x', { n: 1 }, 'c1');
    s.put('ns', 'T', 'y', { n: 1 }, 'c2');
    now += 2_000_000_000; // 23 days on
    s.put('ns', 'T', 'x', { n: 2 }, 'c1');
    now += 1_000_000_000; // past 2^31 ms since the store began
    s.teardown('ns', 'T', 'y', 'c2');
    const [x, y] = [s.get('ns', 'T', 'x')!.metadata, s.get('ns', 'T', 'y')!.metadata];
    expect([x.namespace, x.type, x.id, x.owner, x.version, x.phase]).toEqual(['ns', 'T', 'x', 'c1', 2, 'running']);
    expect([x.created, x.updated]).toEqual([1_764_600_000_005, 1_766_600_000_005]);
    expect([y.owner, y.phase, y.created, y.updated]).toEqual(['c2', 'tearingDown', 1_764_600_000_005, 1_767_600_000_005]);
    expect(new Date(y.updated).toISOString()).toBe('2026-01-05T08:00:00.005Z');
  });

  it('gives each kind a revision that changes with every write or removal in it, and with nothing else', () => {
    const s = new Store();
    const rev = () => [s.revision('ns', 'T'), s.revision('ns', 'U')];
    expect(rev()).toEqual([0, 0]);
    s.put('ns', 'T', 'x', { n: 1 }, 'c1');
    const [afterPut] = rev();
    expect(afterPut).not.toBe(0);
    s.put('ns', 'T', 'x', { n: 1 }, 'c1'); // no-op: the same spec
    expect(rev()).toEqual([afterPut, 0]);
    const seen = new Set([0, afterPut]);
    const changed = (what: () => void) => {
      what();
      const [now, other] = rev();
      expect(seen.has(now!)).toBe(false);
      expect(other).toBe(0); // another kind's writes change only its own
      seen.add(now!);
    };
    changed(() => s.put('ns', 'T', 'x', { n: 2 }, 'c1'));
    changed(() => s.addFinalizer('ns', 'T', 'x', 'f'));
    changed(() => s.teardown('ns', 'T', 'x', 'c1'));
    changed(() => s.removeFinalizer('ns', 'T', 'x', 'f'));
    changed(() => s.destroy('ns', 'T', 'x', 'c1'));
    s.destroy('ns', 'T', 'x', 'c1'); // gone already: nothing
    expect(seen.has(s.revision('ns', 'T'))).toBe(true);
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

  it('resources written together keep their own metadata: changing one leaves the others as they were', () => {
    let now = 1_764_600_000_000;
    const s = new Store(() => now);
    // same millisecond, owner, version and phase: written as a bulk pass writes them
    for (const id of ['a', 'b', 'c']) s.put('ns', 'T', id, { id }, 'owner');
    s.put('ns', 'T', 'd', { id: 'd' }, 'other');
    s.addFinalizer('ns', 'T', 'a', 'consumer');
    now += 7;
    s.put('ns', 'T', 'b', { id: 'b', n: 2 }, 'owner');
    s.teardown('ns', 'T', 'c', 'owner');
    s.addFinalizer('ns', 'T', 'c', 'consumer');
    const md = (id: string) => {
      const m = s.get('ns', 'T', id)!.metadata;
      return [m.id, m.owner, m.version, m.phase, [...m.finalizers], m.created - 1_764_600_000_000, m.updated - 1_764_600_000_000];
    };
    expect(['a', 'b', 'c', 'd'].map(md)).toEqual([
      ['a', 'owner', 2, 'running', ['consumer'], 0, 0],
      ['b', 'owner', 2, 'running', [], 0, 7],
      ['c', 'owner', 3, 'tearingDown', ['consumer'], 0, 7],
      ['d', 'other', 1, 'running', [], 0, 0],
    ]);
    expect(s.get('ns', 'T', 'b')!.spec).toEqual({ id: 'b', n: 2 });
    expect(s.get('ns', 'T', 'a')!.spec).toEqual({ id: 'a' });
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

/**
 * A controller reading n/`type` whose pass, once n/`type`/x exists, records
 * "`name` started" and holds until `release()`, then records "`name` done".
 */
function heldPass(name: string, type: string, events: string[]): { controller: Recorder; release: () => void } {
  let release: () => void = () => {};
  const controller = new Recorder(name, [{ namespace: 'n', type }], [], async (ctx) => {
    if (!ctx.get('n', type, 'x')) return;
    events.push(`${name} started`);
    await new Promise<void>((res) => (release = res));
    events.push(`${name} done`);
  });
  return { controller, release: () => release() };
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

  it('rate-limits wake-ups in daemon mode: at most the burst plus the rate, and the last change is seen', async () => {
    const r = new Runtime({ log: silentLogger(), mode: 'daemon', rate: { perSecond: 10, burst: 2 }, rateGraceMs: 0 });
    const seen: number[] = [];
    const c = new Recorder('busy', [{ namespace: 'n', type: 'T' }], [], (ctx) => void seen.push(ctx.get<{ i: number }>('n', 'T', 'x')?.spec.i ?? -1));
    r.register(c);
    const started = performance.now();
    await r.start();
    // 20 wake-ups 5 ms apart: without a limit each would get a pass of its own
    for (let i = 0; i < 20; i++) {
      r.store.put('n', 'T', 'x', { i }, 'user');
      await new Promise((res) => setTimeout(res, 5));
    }
    await new Promise((res) => setTimeout(res, 300));
    await r.settle();
    const elapsed = (performance.now() - started) / 1000;
    await r.stop();
    expect(c.runs).toBeGreaterThanOrEqual(2);
    // a token bucket of 2 refilled at 10/s allows no more than this many passes in that time
    expect(c.runs).toBeLessThanOrEqual(Math.floor(2 + 10 * elapsed) + 1);
    expect(c.runs).toBeLessThan(12);
    expect(seen.at(-1)).toBe(19);
  });

  it('daemon mode: no rate limit in the start-up grace, settled or not (a DHCP lease comes after a first settle); the limit after it', async () => {
    const r = new Runtime({ log: silentLogger(), mode: 'daemon', rate: { perSecond: 2, burst: 1 }, rateGraceMs: 400 });
    const reader = new Recorder('reader', [{ namespace: 'n', type: 'T' }], [], () => {});
    r.register(reader);
    await r.start();
    await r.settle(); // settled early, as a daemon waiting for its first lease
    const started = performance.now();
    let i = 0;
    const runsAt = async (ms: number): Promise<number> => {
      while (performance.now() - started < ms) {
        r.store.put('n', 'T', 'x', { i: i++ }, 'user');
        await new Promise((res) => setTimeout(res, 10));
      }
      return reader.runs;
    };
    const inGrace = await runsAt(250);
    const graceOver = await runsAt(500);
    const later = (await runsAt(1500)) - graceOver;
    await r.stop();
    // in the grace every wake-up gets a pass (~25 in 250 ms; at 2/s, burst 1, there would be 1 or 2)
    expect(inGrace).toBeGreaterThanOrEqual(10);
    // after it 2/s: 2 in that second, and a pass at each edge
    expect(later).toBeGreaterThanOrEqual(1);
    expect(later).toBeLessThanOrEqual(4);
  });

  it('daemon mode: a re-check a controller asked for (requeueAfter) does not hold back one that runs after it; its running pass does', async () => {
    const r = new Runtime({ log: silentLogger(), mode: 'daemon', rate: { perSecond: 1000, burst: 1000 } });
    const events: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((res) => (release = res));
    // "links": once Z is set, a pass that does not end until released
    const zero = new Recorder('zero', [{ namespace: 'n', type: 'Z' }], [], async (ctx) => {
      if (ctx.get('n', 'Z', 'x')) await held;
    });
    // "addresses" (after links): writes A on its first pass and asks for a re-check 100 ms later
    const first = Object.assign(
      new Recorder('first', [], [{ namespace: 'n', type: 'A', kind: 'exclusive' }], (ctx, self) => {
        events.push(`first pass ${self.runs}`);
        if (self.runs === 1) {
          ctx.put('n', 'A', 'x', { v: 1 });
          ctx.requeueAfter(100);
        }
      }),
      { after: ['zero'] },
    );
    // "routes" (after addresses)
    const second = Object.assign(
      new Recorder('second', [{ namespace: 'n', type: 'A' }, { namespace: 'n', type: 'B' }], [], (ctx) => void events.push(`second saw B=${ctx.get<{ v: number }>('n', 'B', 'x')?.spec.v}`)),
      { after: ['first'] },
    );
    r.register(zero);
    r.register(first);
    r.register(second);
    await r.start();
    await r.settle();
    expect(events).toEqual(['first pass 1', 'second saw B=undefined']);
    r.store.put('n', 'Z', 'x', {}, 'user'); // "zero" starts its held pass
    await new Promise((res) => setTimeout(res, 150)); // "first"'s re-check is due: queued, but held back by "zero"
    expect(events).not.toContain('first pass 2');
    r.store.put('n', 'B', 'x', { v: 2 }, 'user');
    const t0 = performance.now();
    while (!events.includes('second saw B=2') && performance.now() - t0 < 1000) await new Promise((res) => setTimeout(res, 2));
    // "second" did not wait for the pending re-check of "first"
    expect(events.slice(-1)).toEqual(['second saw B=2']);
    expect(events).not.toContain('first pass 2');
    release();
    await r.settle();
    expect(events).toContain('first pass 2');
    await r.stop();
  });

  it('daemon mode: kernel-event wake-ups of a slow re-list coalesce in proportion to its pass; an input change does not wait', async () => {
    const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));
    /** Passes (their start times) of a 50 ms "re-list" woken as the kernel watch does, every 5 ms for 1 s. */
    const run = async (outsideCoalesce: number) => {
      const r = new Runtime({ log: silentLogger(), mode: 'daemon', rate: { perSecond: 1000, burst: 1000 }, outsideCoalesce });
      const starts: number[] = [];
      const status = new Recorder('status', [{ namespace: 'n', type: 'Spec' }], [], async () => {
        starts.push(performance.now());
        await sleep(50);
      });
      r.register(status);
      await r.start();
      await r.settle();
      const t0 = performance.now();
      while (performance.now() - t0 < 1000) {
        r.wake('status');
        await sleep(5);
      }
      await r.settle();
      const during = starts.filter((t) => t >= t0);
      // right after a pass, inside its coalescing window: an input change is not held back
      const ended = performance.now();
      r.store.put('n', 'Spec', 'x', { v: 1 }, 'user');
      while (starts.at(-1)! < ended) await sleep(1);
      const inputLatency = starts.at(-1)! - ended;
      await r.stop();
      return { during, inputLatency };
    };
    const plain = await run(0);
    const coalesced = await run(2);
    // without coalescing every pass is followed by another (~20 in the second)
    expect(plain.during.length).toBeGreaterThanOrEqual(12);
    // with it, a pass of 50 ms waits 100 ms after it: ~7 in the second
    expect(coalesced.during.length).toBeGreaterThanOrEqual(3);
    expect(coalesced.during.length).toBeLessThanOrEqual(9);
    for (let i = 1; i < coalesced.during.length; i++) expect(coalesced.during[i]! - coalesced.during[i - 1]!).toBeGreaterThanOrEqual(140);
    expect(coalesced.inputLatency).toBeLessThan(40);
  });

  it('daemon mode: a long first pass makes no kernel-event wake-up wait (it is no measure of a re-list)', async () => {
    const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));
    const r = new Runtime({ log: silentLogger(), mode: 'daemon', rate: { perSecond: 1000, burst: 1000 }, outsideCoalesce: 2 });
    const starts: number[] = [];
    // the first pass lasts 60 ms (at a daemon's start, others' first passes run in its awaits); later ones are quick
    r.register(new Recorder('status', [], [], async () => {
      starts.push(performance.now());
      if (starts.length === 1) await sleep(60);
    }));
    await r.start();
    await r.settle();
    const woken = performance.now();
    r.wake('status');
    while (starts.length < 2) await sleep(1);
    const firstWait = starts[1]! - woken;
    await r.stop();
    expect(firstWait).toBeLessThan(40);
  });

  it('daemon mode: a controller waits out the running pass of those it names in waitsOut, and runs once it ends', async () => {
    const run = async (waitsOut: string[]) => {
      const r = new Runtime({ log: silentLogger(), mode: 'daemon', rate: { perSecond: 1000, burst: 1000 }, outsideCoalesce: 0 });
      const events: string[] = [];
      const { controller: writer, release } = heldPass('writer', 'Spec', events);
      const status = Object.assign(
        new Recorder('status', [], [], () => void events.push('status')),
        { waitsOut },
      );
      r.register(writer);
      r.register(status);
      await r.start();
      await r.settle();
      events.length = 0;
      r.store.put('n', 'Spec', 'x', {}, 'user');
      await new Promise((res) => setTimeout(res, 20));
      r.wake('status'); // the writer's own kernel events, say
      r.wake('status');
      await new Promise((res) => setTimeout(res, 30));
      const whileWriting = [...events];
      release();
      await r.settle();
      await r.stop();
      return { whileWriting, events };
    };
    const waiting = await run(['writer']);
    expect(waiting.whileWriting).toEqual(['writer started']);
    expect(waiting.events).toEqual(['writer started', 'writer done', 'status']);
    // without it, the status pass runs in the middle of the writer's
    const plain = await run([]);
    expect(plain.whileWriting).toEqual(['writer started', 'status']);
  });

  it('daemon mode: a slow pass of one controller does not delay another', async () => {
    const r = new Runtime({ log: silentLogger(), mode: 'daemon', rate: { perSecond: 1000, burst: 1000 } });
    const events: string[] = [];
    const { controller: slow, release } = heldPass('slow', 'Big', events);
    const fast = new Recorder('fast', [{ namespace: 'n', type: 'Small' }], [{ namespace: 'n', type: 'Out', kind: 'exclusive' }], (ctx) => {
      const v = ctx.get<{ v: number }>('n', 'Small', 'x')?.spec.v;
      if (v !== undefined) {
        events.push(`fast ${v}`);
        ctx.put('n', 'Out', 'x', { v });
      }
    });
    r.register(slow);
    r.register(fast);
    await r.start();
    await r.settle();
    r.store.put('n', 'Big', 'x', {}, 'user');
    await new Promise((res) => setTimeout(res, 20));
    const t0 = performance.now();
    r.store.put('n', 'Small', 'x', { v: 1 }, 'user');
    for (let i = 0; i < 50 && !r.store.get('n', 'Out', 'x'); i++) await new Promise((res) => setTimeout(res, 2));
    const latency = performance.now() - t0;
    expect(events).toEqual(['slow started', 'fast 1']);
    expect(latency).toBeLessThan(80);
    release();
    await r.settle();
    expect(events).toEqual(['slow started', 'fast 1', 'slow done']);
    await r.stop();
  });

  it('daemon mode: a controller first runs after the writers of its inputs, and never while one it runs after is busy', async () => {
    const r = new Runtime({ log: silentLogger(), mode: 'daemon', rate: { perSecond: 1000, burst: 1000 } });
    const order: string[] = [];
    let release!: () => void;
    // registered first, but it reads what `producer` writes
    r.register(new Recorder('consumer', [{ namespace: 'n', type: 'Mid' }], [], (ctx) => void order.push(`consumer sees ${ctx.list('n', 'Mid').length}`)));
    r.register(
      new Recorder('producer', [], [{ namespace: 'n', type: 'Mid', kind: 'exclusive' }], async (ctx) => {
        ctx.put('n', 'Mid', 'a', {});
        await new Promise((res) => setTimeout(res, 30));
        order.push('producer done');
      }),
    );
    const gate = new Recorder('links', [{ namespace: 'n', type: 'L' }], [], async (ctx) => {
      if (!ctx.get('n', 'L', 'x')) return;
      order.push('links started');
      await new Promise<void>((res) => (release = res));
      order.push('links done');
    });
    const routes: Recorder = Object.assign(new Recorder('routes', [{ namespace: 'n', type: 'R' }], [], (ctx) => void (ctx.get('n', 'R', 'x') && order.push('routes ran'))), { after: ['links'] });
    r.register(gate);
    r.register(routes);
    await r.start();
    await r.settle();
    expect(order.slice(0, 2)).toEqual(['producer done', 'consumer sees 1']);
    r.store.put('n', 'L', 'x', {}, 'user');
    await new Promise((res) => setTimeout(res, 10));
    r.store.put('n', 'R', 'x', {}, 'user');
    await new Promise((res) => setTimeout(res, 30));
    expect(order.slice(2)).toEqual(['links started']);
    release();
    await r.settle();
    expect(order.slice(2)).toEqual(['links started', 'links done', 'routes ran']);
    await r.stop();
  });

  it('daemon mode: at start, controllers off the boot path wait for their first pass until those on it have run and gone idle', async () => {
    const run = async (options: { bootPath: boolean; bootMs?: number }) => {
      const r = new Runtime({ log: silentLogger(), mode: 'daemon', rate: { perSecond: 1000, burst: 1000 }, bootMs: options.bootMs ?? 5000 });
      const order: string[] = [];
      let release!: () => void;
      // registered first: what the boot path reads is on it too (it is not held back)
      r.register(new Recorder('config', [], [{ namespace: 'n', type: 'Spec', kind: 'exclusive' }], (ctx) => {
        order.push('config');
        ctx.put('n', 'Spec', 'x', {});
      }));
      r.register(new Recorder('hostname', [], [], () => void order.push('hostname')));
      const kernel = Object.assign(
        new Recorder('kernel', [{ namespace: 'n', type: 'Spec' }], [], async () => {
          order.push('kernel started');
          await new Promise<void>((res) => (release = res));
          order.push('kernel done');
        }),
        { bootPath: options.bootPath },
      );
      r.register(kernel);
      r.register(new Recorder('discovery', [], [], () => void order.push('discovery')));
      await r.start();
      await new Promise((res) => setTimeout(res, 40));
      const whileBooting = [...order];
      release();
      await r.settle();
      await r.stop();
      return { whileBooting, order };
    };
    const boot = await run({ bootPath: true });
    expect(boot.whileBooting).toEqual(['config', 'kernel started']);
    expect(boot.order).toEqual(['config', 'kernel started', 'kernel done', 'hostname', 'discovery']);
    // without a boot path, all start at once
    const plain = await run({ bootPath: false });
    expect(plain.whileBooting).toEqual(['config', 'hostname', 'discovery', 'kernel started']);
    // a boot path that takes longer than bootMs holds nobody back after that
    const slow = await run({ bootPath: true, bootMs: 15 });
    expect(slow.whileBooting).toEqual(['config', 'kernel started', 'hostname', 'discovery']);
  });

  it('what a controller reported as pending is withdrawn at its next pass', async () => {
    const r = new Runtime({ log: silentLogger(), mode: 'daemon', rate: { perSecond: 1000, burst: 1000 } });
    r.register(
      new Recorder('waiter', [{ namespace: 'n', type: 'Link' }], [], (ctx) => {
        if (!ctx.get('n', 'Link', 'eth1')) ctx.changes.wait('address/eth1/10.0.0.1/24', 'link eth1 is not present');
      }),
    );
    await r.start();
    await r.settle();
    expect([...r.changes.pending.values()]).toEqual(['link eth1 is not present']);
    r.store.put('n', 'Link', 'eth1', {}, 'user');
    await r.settle();
    expect([...r.changes.pending.values()]).toEqual([]);
    await r.stop();
  });

  it('saves the state one save at a time, the last save holding every change', async () => {
    const saves: Array<{ start: number; end: number; count: number }> = [];
    let inFlight = 0;
    let overlapped = false;
    const r = new Runtime({
      log: silentLogger(),
      mode: 'daemon',
      rate: { perSecond: 1000, burst: 1000 },
      persist: async (resources) => {
        if (inFlight++ > 0) overlapped = true;
        const start = performance.now();
        await new Promise((res) => setTimeout(res, 20));
        saves.push({ start, end: performance.now(), count: resources.length });
        inFlight--;
      },
    });
    for (const name of ['a', 'b', 'c']) {
      r.register(new Recorder(name, [{ namespace: 'n', type: `In${name}` }], [{ namespace: 'state', type: `S${name}`, kind: 'exclusive' }], (ctx) => void ctx.put('state', `S${name}`, 'x', { v: ctx.get<{ v: number }>('n', `In${name}`, 'x')?.spec.v ?? 0 })));
    }
    await r.start();
    await r.settle();
    for (const name of ['a', 'b', 'c']) r.store.put('n', `In${name}`, 'x', { v: 1 }, 'user');
    await r.settle();
    await r.stop();
    expect(overlapped).toBe(false);
    expect(saves.at(-1)!.count).toBe(3);
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

  it('flushState waits for the save of its own records, never for a save of others\' alone', async () => {
    const saves: Array<() => void> = [];
    const r = new Runtime({ log: silentLogger(), mode: 'daemon', rate: { perSecond: 1000, burst: 1000 }, persist: () => new Promise<void>((res) => saves.push(res)) });
    const events: string[] = [];
    // "a" writes a record and flushes: its save is held until the test lets it finish
    const a = new Recorder('a', [{ namespace: 'n', type: 'GoA' }], [{ namespace: 'state', type: 'A', kind: 'exclusive' }], async (ctx) => {
      if (!ctx.get('n', 'GoA', 'x')) return;
      ctx.put('state', 'A', 'x', { v: 1 });
      await ctx.flushState();
      events.push('a flushed');
    });
    // "b" has written nothing since its last save: its flush does not wait for "a"'s save
    const b = new Recorder('b', [{ namespace: 'n', type: 'GoB' }], [{ namespace: 'state', type: 'B', kind: 'exclusive' }], async (ctx) => {
      if (!ctx.get('n', 'GoB', 'x')) return;
      await ctx.flushState();
      events.push('b flushed');
      if (ctx.get<{ write: boolean }>('n', 'GoB', 'x')?.spec.write) {
        ctx.put('state', 'B', 'x', { v: 1 });
        await ctx.flushState();
        events.push('b flushed its own');
      }
    });
    r.register(a);
    r.register(b);
    await r.start();
    await r.settle();
    const until = async (cond: () => boolean) => {
      const t0 = performance.now();
      while (!cond() && performance.now() - t0 < 1000) await new Promise((res) => setTimeout(res, 2));
    };
    r.store.put('n', 'GoA', 'x', {}, 'user');
    await until(() => saves.length === 1);
    expect(saves).toHaveLength(1);
    r.store.put('n', 'GoB', 'x', { write: false }, 'user');
    await until(() => events.includes('b flushed'));
    expect(events).toEqual(['b flushed']);
    // with a record of its own, it waits for "a"'s save to end, then for its own
    r.store.put('n', 'GoB', 'x', { write: true }, 'user');
    await until(() => events.length === 2);
    await new Promise((res) => setTimeout(res, 30));
    expect(events).toEqual(['b flushed', 'b flushed']);
    saves[0]!();
    await until(() => saves.length === 2);
    expect(events).toContain('a flushed');
    expect(events).not.toContain('b flushed its own');
    saves[1]!();
    await until(() => events.includes('b flushed its own'));
    expect(events.at(-1)).toBe('b flushed its own');
    await r.settle();
    await r.stop();
  });

  it('a failed save is made again before the retried pass goes on: the records are on disk before the change they announce', async () => {
    const log: string[] = [];
    let failures = 1;
    const r = new Runtime({
      log: silentLogger(),
      mode: 'daemon',
      rate: { perSecond: 1000, burst: 1000 },
      retry: { baseMs: 5, maxMs: 5, maxAttempts: 5 },
      persist: async (resources) => {
        if (failures-- > 0) {
          log.push('save failed');
          throw new Error('ENOSPC: no space left on device');
        }
        log.push(`saved ${resources.map((x) => x.metadata.id).join(',')}`);
      },
    });
    r.register(
      new Recorder('writer', [{ namespace: 'n', type: 'Go' }], [{ namespace: 'state', type: 'Applied', kind: 'exclusive' }], async (ctx) => {
        if (!ctx.get('n', 'Go', 'x')) return;
        ctx.put('state', 'Applied', 'a', { x: 1 }); // the second pass puts the same record: no change in the store
        await ctx.flushState();
        log.push('kernel changed');
      }),
    );
    await r.start();
    await r.settle();
    r.store.put('n', 'Go', 'x', {}, 'user');
    const t0 = performance.now();
    while (!log.includes('kernel changed') && performance.now() - t0 < 2000) await new Promise((res) => setTimeout(res, 2));
    expect(log).toEqual(['save failed', 'saved a', 'kernel changed']);
    await r.stop();
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
