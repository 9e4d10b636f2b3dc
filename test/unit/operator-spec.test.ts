// OperatorSpecController with scripted operators in a daemon-mode runtime:
// operators see statuses through their view, a failed start is retried with
// backoff, a retired operator is stopped only once its addresses left the
// kernel, and a daemon stop hands over (withdraw, then stop) only the
// operators that ask for it.
import { describe, expect, it } from 'vitest';
import { OperatorSpecController } from '../../src/controllers/operators/operator-spec.js';
import { silentLogger } from '../../src/log.js';
import { NO_SPECS, type Operator, type OperatorContext } from '../../src/operators/operator.js';
import { NS } from '../../src/resources/resource.js';
import { T, type AddressSpec, type AddressStatus, type LinkStatus, type OperatorSpec, type OperatorStatus } from '../../src/resources/network/types.js';
import { Runtime } from '../../src/runtime/runtime.js';

const link = (name: string, index: number): LinkStatus =>
  ({
    index,
    type: 'ether',
    linkIndex: 0,
    flags: 'UP,BROADCAST,RUNNING,MULTICAST,LOWER_UP',
    hardwareAddr: `02:00:00:00:00:0${index}`,
    permanentAddr: '',
    broadcastAddr: 'ff:ff:ff:ff:ff:ff',
    mtu: 1500,
    queueDisc: 'noqueue',
    masterIndex: 0,
    operationalState: 'up',
    kind: 'veth',
    slaveKind: '',
    alias: '',
    altNames: [],
    linkState: true,
    physical: false,
    driverVersion: '',
    firmwareVersion: '',
    busPath: '',
    driver: 'veth',
    pciID: '',
    vendorID: '',
    productID: '',
    vendor: '',
    product: '',
  }) as LinkStatus;

const addressStatus = (linkName: string, address: string): AddressStatus => ({
  address,
  local: '',
  broadcast: '',
  linkIndex: 2,
  linkName,
  family: address.includes(':') ? 'inet6' : 'inet4',
  scope: 'global',
  flags: 'permanent',
  priority: 0,
});

const vipSpec = (ip: string): OperatorSpec => ({ operator: 'vip', linkName: 'eth0', requireUp: true, vip: { ip, gratuitousARP: true }, layer: 'configuration' });

const vipAddress = (ip: string): AddressSpec =>
  ({ address: `${ip}/32`, linkName: 'eth0', family: 'inet4', scope: 'global', flags: 'permanent', announceWithARP: true, priority: 0, layer: 'operator' }) as AddressSpec;

/** A scripted operator: records calls; owns `ip` when `own` is set. */
class Scripted implements Operator {
  events: string[] = [];
  own = true;
  constructor(
    readonly ctx: OperatorContext,
    readonly startResult: () => void | Promise<void>,
    readonly withdrawOnShutdown: boolean,
  ) {}
  start() {
    this.events.push('start');
    return this.startResult();
  }
  /** Records how many addresses its link had in the kernel when it was stopped. */
  stop() {
    this.events.push(`stop(${this.ctx.view.addresses().length})`);
  }
  specs() {
    return this.own && this.ctx.spec.vip ? { ...NO_SPECS, addresses: [vipAddress(this.ctx.spec.vip.ip)] } : NO_SPECS;
  }
  status() {
    return { owner: this.own };
  }
}

function setup(options: { startResult?: () => void | Promise<void>; withdrawOnShutdown?: boolean } = {}) {
  const made: Scripted[] = [];
  const runtime = new Runtime({ log: silentLogger(), mode: 'daemon', rate: { perSecond: 1000, burst: 1000 } });
  runtime.register(
    new OperatorSpecController({ vip: (ctx) => made[made.push(new Scripted(ctx, options.startResult ?? (() => {}), options.withdrawOnShutdown ?? false)) - 1]! }, { netns: undefined, log: silentLogger() }),
  );
  const s = runtime.store;
  s.put(NS.network, T.LinkStatus, 'eth0', link('eth0', 2), 'LinkStatusController');
  const wanted = () => s.list<AddressSpec>(NS.networkConfig, T.AddressSpec).map((r) => r.spec.address);
  const status = (id: string) => s.get<OperatorStatus>(NS.network, T.OperatorStatus, id)?.spec;
  return { runtime, made, s, wanted, status };
}

const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));

describe('OperatorSpecController', () => {
  it('gives operators a read-only view of their link and its addresses, and tells them when it changes', async () => {
    const { runtime, made, s } = setup();
    s.put(NS.network, T.OperatorSpec, 'vip/eth0/192.0.2.100', vipSpec('192.0.2.100'), 'OperatorMergeController');
    await runtime.start();
    await runtime.settle();
    const op = made[0]!;
    let heard = 0;
    op.ctx.view.onChange(() => heard++);
    expect(op.ctx.view.link()?.index).toBe(2);
    expect(op.ctx.view.addresses()).toEqual([]);
    s.put(NS.network, T.AddressStatus, 'eth0/192.0.2.7/24', addressStatus('eth0', '192.0.2.7/24'), 'AddressStatusController');
    await runtime.settle();
    expect(heard).toBe(1);
    expect(op.ctx.view.addresses().map((a) => a.address)).toEqual(['192.0.2.7/24']);
    // a change elsewhere is not news for this operator
    s.put(NS.network, T.LinkStatus, 'eth1', link('eth1', 3), 'LinkStatusController');
    s.put(NS.network, T.AddressStatus, 'eth1/198.18.0.1/24', addressStatus('eth1', '198.18.0.1/24'), 'AddressStatusController');
    await runtime.settle();
    expect(heard).toBe(1);
    await runtime.stop();
  });

  it('restarts an operator whose start failed, with backoff, and reports it failed meanwhile', async () => {
    let attempts = 0;
    const { runtime, made, status } = setup({
      startResult: () => {
        attempts++;
        return attempts === 1 ? Promise.reject(new Error('etcd is not reachable')) : undefined;
      },
    });
    runtime.store.put(NS.network, T.OperatorSpec, 'vip/eth0/192.0.2.100', vipSpec('192.0.2.100'), 'OperatorMergeController');
    await runtime.start();
    await runtime.settle();
    await tick();
    await runtime.settle();
    expect(status('vip/eth0/192.0.2.100')).toMatchObject({ state: 'failed', reason: expect.stringMatching(/etcd is not reachable.*restarting in 1 s/) });
    expect(made[0]!.events).toEqual(['start', 'stop(0)']);
    await tick(1100);
    await runtime.settle();
    expect(made).toHaveLength(2);
    expect(status('vip/eth0/192.0.2.100')).toMatchObject({ state: 'running', detail: { owner: true } });
    await runtime.stop();
  });

  it('stops a retired operator only once its address has left the kernel', async () => {
    const { runtime, made, s, wanted } = setup();
    s.put(NS.network, T.OperatorSpec, 'vip/eth0/192.0.2.100', vipSpec('192.0.2.100'), 'OperatorMergeController');
    await runtime.start();
    await runtime.settle();
    expect(wanted()).toEqual(['192.0.2.100/32']);
    // the address controller put it in the kernel
    s.put(NS.network, T.AddressStatus, 'eth0/192.0.2.100/32', addressStatus('eth0', '192.0.2.100/32'), 'AddressStatusController');
    await runtime.settle();
    // the spec goes: the operator's address is withdrawn, but it is not stopped while the kernel has it
    s.destroy(NS.network, T.OperatorSpec, 'vip/eth0/192.0.2.100', 'OperatorMergeController');
    await runtime.settle();
    expect(wanted()).toEqual([]);
    expect(made[0]!.events).toEqual(['start']);
    s.destroy(NS.network, T.AddressStatus, 'eth0/192.0.2.100/32', 'AddressStatusController');
    await runtime.settle();
    expect(made[0]!.events).toEqual(['start', 'stop(0)']);
    await runtime.stop();
  });

  it('a retired operator whose address stays is stopped after the timeout anyway', async () => {
    const { runtime, made, s } = setup();
    s.put(NS.network, T.OperatorSpec, 'vip/eth0/192.0.2.100', vipSpec('192.0.2.100'), 'OperatorMergeController');
    s.put(NS.network, T.AddressStatus, 'eth0/192.0.2.100/32', addressStatus('eth0', '192.0.2.100/32'), 'AddressStatusController');
    await runtime.start();
    await runtime.settle();
    s.destroy(NS.network, T.OperatorSpec, 'vip/eth0/192.0.2.100', 'OperatorMergeController');
    await runtime.settle();
    expect(made[0]!.events).toEqual(['start']);
    await tick(2200);
    await runtime.settle();
    expect(made[0]!.events).toEqual(['start', 'stop(1)']);
    await runtime.stop();
  });

  it('on daemon stop, hands over only the operators that ask to (withdraw, then stop); the others keep their specs', async () => {
    const order: string[] = [];
    for (const handOver of [true, false]) {
      const { runtime, made, s, wanted } = setup({ withdrawOnShutdown: handOver });
      s.put(NS.network, T.OperatorSpec, 'vip/eth0/192.0.2.100', vipSpec('192.0.2.100'), 'OperatorMergeController');
      await runtime.start();
      await runtime.settle();
      s.put(NS.network, T.AddressStatus, 'eth0/192.0.2.100/32', addressStatus('eth0', '192.0.2.100/32'), 'AddressStatusController');
      await runtime.settle();
      // an "address controller": when the spec is withdrawn, the kernel address goes
      const unwatch = s.watch(NS.networkConfig, T.AddressSpec, (type) => {
        if (type !== 'destroyed') return;
        order.push(`${handOver}: address withdrawn`);
        setTimeout(() => s.destroy(NS.network, T.AddressStatus, 'eth0/192.0.2.100/32', 'AddressStatusController'), 50);
      });
      const stopping = runtime.stop();
      await stopping;
      unwatch();
      order.push(`${handOver}: ${made[0]!.events.join(',')}`);
      if (!handOver) expect(wanted()).toEqual(['192.0.2.100/32']);
    }
    // the hand-over operator was stopped once the kernel no longer had its address; the other one with it in place
    expect(order).toEqual(['true: address withdrawn', 'true: start,stop(0)', 'false: start,stop(1)']);
  });
});
