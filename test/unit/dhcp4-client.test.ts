// The DHCPv4 client state machine against a fake link and a fake clock.
import { describe, expect, it } from 'vitest';
import { Dhcp4Client, parameterRequestList, retransmitDelay, type Dhcp4ClientOptions, type Dhcp4State } from '../../src/operators/dhcp4/client.js';
import type { Dhcp4Lease } from '../../src/operators/dhcp4/lease.js';
import { MessageType, OPT, readOptions, writeOptions, type Dhcp4OptionValues } from '../../src/operators/dhcp4/options.js';
import { BOOTREPLY, BOOTREQUEST, FLAG_BROADCAST, decodeMessage, encodeMessage, newMessage, type Dhcp4Message } from '../../src/operators/dhcp4/packet.js';
import type { Clock, Dhcp4Transport } from '../../src/operators/dhcp4/transport.js';

class FakeClock implements Clock {
  t = 0;
  private seq = 0;
  private timers: Array<{ id: number; at: number; fn: () => void }> = [];
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.push({ id, at: this.t + ms, fn });
    return id;
  }
  clearTimeout(t: unknown): void {
    this.timers = this.timers.filter((x) => x.id !== t);
  }
  get pending(): number {
    return this.timers.length;
  }
  /** Runs every timer due up to now + ms, in order, each at its own time. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const next = [...this.timers].sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!next || next.at > end) break;
      this.timers = this.timers.filter((x) => x !== next);
      this.t = next.at;
      next.fn();
    }
    this.t = end;
  }
  advanceTo(at: number): void {
    this.advance(at - this.t);
  }
}

interface Sent {
  kind: 'broadcast' | 'unicast';
  at: number;
  msg: Dhcp4Message;
  type: number;
  opts: Dhcp4OptionValues;
  server?: string;
  from?: string;
}

class FakeLink implements Dhcp4Transport {
  sent: Sent[] = [];
  handler: ((p: Buffer) => void) | undefined;
  failSends = false;
  constructor(private readonly clock: FakeClock) {}
  private record(kind: Sent['kind'], payload: Buffer, server?: string, from?: string): Promise<void> {
    const msg = decodeMessage(payload);
    const opts = readOptions(msg.options);
    this.sent.push({ kind, at: this.clock.now(), msg, type: opts.messageType ?? 0, opts, ...(server ? { server } : {}), ...(from ? { from } : {}) });
    return this.failSends ? Promise.reject(new Error('ENETDOWN')) : Promise.resolve();
  }
  broadcast(payload: Buffer, from?: string): Promise<void> {
    return this.record('broadcast', payload, undefined, from);
  }
  unicast(payload: Buffer, server: string, from: string): Promise<void> {
    return this.record('unicast', payload, server, from);
  }
  listen(handler: (payload: Buffer) => void): () => void {
    this.handler = handler;
    return () => {
      this.handler = undefined;
    };
  }
  get last(): Sent {
    const s = this.sent[this.sent.length - 1];
    if (!s) throw new Error('nothing sent');
    return s;
  }
  deliver(m: Dhcp4Message): void {
    this.handler?.(encodeMessage(m));
  }
  /** A server reply to `req`. */
  reply(req: Sent, type: number, yiaddr: string, opts: Dhcp4OptionValues = {}, over: Partial<Dhcp4Message> = {}): void {
    this.deliver(newMessage({ op: BOOTREPLY, xid: req.msg.xid, chaddr: req.msg.chaddr, yiaddr, options: writeOptions({ messageType: type, ...opts }), ...over }));
  }
}

const MAC = '52:54:00:12:34:56';
const SERVER = '192.168.1.1';
const ADDR = '192.168.1.50';
const LEASE_OPTS: Dhcp4OptionValues = { serverId: SERVER, leaseTime: 3600, subnetMask: '255.255.255.0', routers: [SERVER], dns: [SERVER] };

/** `random` draws both xids and jitter; the default 0.5 means no jitter (and equal xids). */
function setup(over: Partial<Dhcp4ClientOptions> = {}, random: () => number = () => 0.5) {
  const clock = new FakeClock();
  const link = new FakeLink(clock);
  const leases: Array<Dhcp4Lease | undefined> = [];
  const states: Dhcp4State[] = [];
  const errors: unknown[] = [];
  const client = new Dhcp4Client(
    { mac: MAC, requestHostname: false, onLease: (l) => leases.push(l), onState: (s) => states.push(s), onError: (e) => errors.push(e), ...over },
    { transport: link, clock, random },
  );
  return { clock, link, client, leases, states, errors };
}

/** A sequence of random values, cycling. */
function seq(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}

/** Distinct values (distinct xids); timing tests that need exact retransmission times use the default. */
function distinct(): () => number {
  let n = 0;
  return () => (n++ * 0.6180339887) % 1;
}

/** Runs DORA to BOUND. */
function dora(s: ReturnType<typeof setup>, opts: Dhcp4OptionValues = LEASE_OPTS): void {
  s.client.start();
  s.link.reply(s.link.last, MessageType.Offer, ADDR, opts);
  s.link.reply(s.link.last, MessageType.Ack, ADDR, opts);
}

describe('DHCPv4 client', () => {
  it('DORA: DISCOVER, OFFER, REQUEST, ACK → bound with a lease', () => {
    const s = setup();
    s.client.start();
    const discover = s.link.last;
    expect(discover.kind).toBe('broadcast');
    expect(discover.from).toBeUndefined();
    expect(discover.type).toBe(MessageType.Discover);
    expect(discover.msg).toMatchObject({ op: BOOTREQUEST, htype: 1, hlen: 6, flags: FLAG_BROADCAST, secs: 0, ciaddr: '0.0.0.0' });
    expect(discover.msg.chaddr.toString('hex')).toBe('525400123456');
    expect(discover.opts.parameterRequestList).toEqual([1, 3, 6, 26, 42, 51, 119, 121]);
    expect(discover.opts.requestedIP).toBeUndefined();
    expect(discover.opts.clientId).toBeUndefined();
    expect(s.client.currentState).toBe('selecting');

    s.link.reply(discover, MessageType.Offer, ADDR, LEASE_OPTS);
    const request = s.link.last;
    expect(request.kind).toBe('broadcast');
    expect(request.type).toBe(MessageType.Request);
    expect(request.msg.xid).toBe(discover.msg.xid);
    expect(request.msg.ciaddr).toBe('0.0.0.0');
    expect(request.opts).toMatchObject({ requestedIP: ADDR, serverId: SERVER });
    expect(s.client.currentState).toBe('requesting');

    s.clock.advance(1234);
    s.link.reply(request, MessageType.Ack, ADDR, LEASE_OPTS);
    expect(s.client.currentState).toBe('bound');
    expect(s.leases).toHaveLength(1);
    expect(s.leases[0]).toMatchObject({ address: ADDR, prefixLength: 24, serverId: SERVER, leaseTime: 3600, t1: 1800, t2: 3150, acquired: 1234, routers: [SERVER], dns: [SERVER], hostnameRequested: false });
    expect(s.states).toEqual(['init', 'selecting', 'requesting', 'bound']);
    expect(s.link.sent).toHaveLength(2);
  });

  it('retransmits DISCOVER with exponential backoff 4, 8, 16, 32, 64, 64 s, same xid, secs counting', () => {
    const s = setup();
    s.client.start();
    s.clock.advance(300_000);
    const discovers = s.link.sent.filter((x) => x.type === MessageType.Discover);
    expect(discovers.map((d) => d.at / 1000)).toEqual([0, 4, 12, 28, 60, 124, 188, 252]);
    expect(new Set(discovers.map((d) => d.msg.xid)).size).toBe(1);
    expect(discovers.map((d) => d.msg.secs)).toEqual([0, 4, 12, 28, 60, 124, 188, 252]);
  });

  it('jitters each retransmission by up to ±1 s with the injected random', () => {
    expect(retransmitDelay(0, () => 0)).toBe(3000);
    expect(retransmitDelay(0, () => 0.5)).toBe(4000);
    expect(retransmitDelay(1, () => 0.75)).toBe(8500);
    expect(retransmitDelay(9, () => 0)).toBe(63000);
    const s = setup({}, seq(0.25, 0));
    s.client.start(); // the first draw is the xid
    s.clock.advance(20_000);
    const times = s.link.sent.map((x) => x.at);
    // draws after the xid: 0 (−1 s), 0.25 (−0.5 s), 0 (−1 s)
    expect(times).toEqual([0, 3000, 3000 + 7500, 3000 + 7500 + 15000].filter((t) => t <= 20_000));
  });

  it('REQUEST repeats the DISCOVER secs (RFC 2131 §4.4.1), and retransmits', () => {
    const s = setup();
    s.client.start();
    s.clock.advance(12_500); // DISCOVERs at 0, 4, 12 s
    s.link.reply(s.link.last, MessageType.Offer, ADDR, LEASE_OPTS);
    expect(s.link.last.msg.secs).toBe(12);
    s.clock.advance(4_000);
    expect(s.link.last.type).toBe(MessageType.Request);
    expect(s.link.last.msg.secs).toBe(12);
    expect(s.link.sent.filter((x) => x.type === MessageType.Request)).toHaveLength(2);
  });

  it('gives up on an offer after 4 unanswered REQUESTs and starts over with a new DISCOVER', () => {
    const s = setup({}, seq(0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.9));
    s.client.start();
    const first = s.link.last.msg.xid;
    s.link.reply(s.link.last, MessageType.Offer, ADDR, LEASE_OPTS);
    s.clock.advance(4_000 + 8_000 + 16_000 + 32_000 - 1);
    expect(s.link.sent.map((x) => x.type)).toEqual([1, 3, 3, 3, 3]);
    s.clock.advance(1);
    expect(s.link.last.type).toBe(MessageType.Discover);
    expect(s.client.currentState).toBe('selecting');
    expect(s.link.last.msg.xid).not.toBe(first);
  });

  it('ignores replies with another xid or chaddr, BOOTREQUESTs, wrong types and garbage', () => {
    const s = setup();
    s.client.start();
    const d = s.link.last;
    s.link.reply(d, MessageType.Offer, ADDR, LEASE_OPTS, { xid: d.msg.xid + 1 });
    s.link.reply(d, MessageType.Offer, ADDR, LEASE_OPTS, { chaddr: Buffer.from('525400123457', 'hex') });
    s.link.reply(d, MessageType.Offer, ADDR, LEASE_OPTS, { op: BOOTREQUEST });
    s.link.reply(d, MessageType.Ack, ADDR, LEASE_OPTS);
    s.link.reply(d, MessageType.Offer, '0.0.0.0', LEASE_OPTS);
    s.link.reply(d, MessageType.Offer, ADDR, { leaseTime: 60 }); // no server id
    s.link.handler?.(Buffer.from('not dhcp'));
    expect(s.client.currentState).toBe('selecting');
    expect(s.link.sent).toHaveLength(1);
    expect(s.errors).toHaveLength(1);
  });

  it('in REQUESTING ignores an ACK from a server it did not select', () => {
    const s = setup();
    s.client.start();
    s.link.reply(s.link.last, MessageType.Offer, ADDR, LEASE_OPTS);
    s.link.reply(s.link.last, MessageType.Ack, '192.168.1.77', { ...LEASE_OPTS, serverId: '192.168.1.2' });
    expect(s.client.currentState).toBe('requesting');
    s.link.reply(s.link.last, MessageType.Ack, ADDR, LEASE_OPTS);
    expect(s.client.currentLease?.address).toBe(ADDR);
  });

  it('renews at lease/2 by unicast to the server from the leased address', () => {
    const s = setup({}, distinct());
    dora(s);
    const xid = s.link.last.msg.xid;
    s.clock.advance(1_800_000 - 1);
    expect(s.link.sent).toHaveLength(2);
    s.clock.advance(1);
    const renew = s.link.last;
    expect(s.client.currentState).toBe('renewing');
    expect(renew).toMatchObject({ kind: 'unicast', server: SERVER, from: ADDR, type: MessageType.Request });
    expect(renew.msg.ciaddr).toBe(ADDR);
    expect(renew.msg.flags).toBe(0);
    expect(renew.msg.secs).toBe(0);
    expect(renew.msg.xid).not.toBe(xid);
    expect(renew.opts.requestedIP).toBeUndefined(); // RFC 2131 table 4: no 50/54 when renewing
    expect(renew.opts.serverId).toBeUndefined();
    s.clock.advance(2000);
    s.link.reply(renew, MessageType.Ack, ADDR, { ...LEASE_OPTS, leaseTime: 600 });
    expect(s.client.currentState).toBe('bound');
    expect(s.leases.map((l) => l?.leaseTime)).toEqual([3600, 600]);
    expect(s.leases[1]?.acquired).toBe(1_802_000);
    s.clock.advance(300_000 - 1);
    expect(s.link.sent).toHaveLength(3);
    s.clock.advance(1);
    expect(s.link.last.kind).toBe('unicast');
  });

  it('renewal failure: halving unicast retries, rebind broadcast at T2, lease dropped at the end, then DISCOVER asking for the address', () => {
    const s = setup({}, distinct());
    dora(s);
    s.clock.advance(3_600_000);
    const renewals = s.link.sent.slice(2).filter((x) => x.type === MessageType.Request);
    const unicast = renewals.filter((x) => x.kind === 'unicast');
    const broadcast = renewals.filter((x) => x.kind === 'broadcast');
    expect(unicast.map((x) => x.at / 1000)).toEqual([1800, 2700]); // lease/2, then half the interval (900 s) later
    expect(broadcast[0]!.at / 1000).toBe(3150); // T2 = 7/8 lease
    expect(broadcast.map((x) => x.at / 1000)).toEqual([3150, 3375, 3487.5, 3543.75, 3571.875, 3585.9375, 3592.96875, 3597.96875]);
    expect(broadcast.every((x) => x.from === ADDR && x.msg.ciaddr === ADDR && x.opts.serverId === undefined)).toBe(true);
    expect(new Set(renewals.map((x) => x.msg.xid)).size).toBe(renewals.length);
    expect(s.states).toEqual(['init', 'selecting', 'requesting', 'bound', 'renewing', 'rebinding', 'init', 'selecting']);
    expect(s.leases).toEqual([expect.objectContaining({ address: ADDR }), undefined]);
    const discover = s.link.last;
    expect(discover.at).toBe(3_600_000);
    expect(discover.type).toBe(MessageType.Discover);
    expect(discover.opts.requestedIP).toBe(ADDR);
    expect(s.client.currentLease).toBeUndefined();
  });

  it('a late answer to an earlier renewal attempt still counts', () => {
    const s = setup({}, seq(0.1, 0.2, 0.3, 0.4));
    dora(s);
    s.clock.advanceTo(2_700_000);
    const [first, second] = s.link.sent.slice(2);
    expect(first!.msg.xid).not.toBe(second!.msg.xid);
    s.link.reply(first!, MessageType.Ack, ADDR, LEASE_OPTS);
    expect(s.client.currentState).toBe('bound');
  });

  it('an ACK while rebinding binds again', () => {
    const s = setup();
    dora(s);
    s.clock.advanceTo(3_150_000);
    expect(s.client.currentState).toBe('rebinding');
    s.link.reply(s.link.last, MessageType.Ack, ADDR, { ...LEASE_OPTS, serverId: '192.168.1.2' });
    expect(s.client.currentState).toBe('bound');
    expect(s.client.currentLease?.serverId).toBe('192.168.1.2');
    s.clock.advance(1_800_000);
    expect(s.link.last).toMatchObject({ kind: 'unicast', server: '192.168.1.2' });
  });

  it('NAK while requesting → back to DISCOVER (new xid)', () => {
    const s = setup({}, seq(0.1, 0.2));
    s.client.start();
    const d = s.link.last;
    s.link.reply(d, MessageType.Offer, ADDR, LEASE_OPTS);
    s.link.reply(s.link.last, MessageType.Nak, '0.0.0.0', { serverId: SERVER });
    expect(s.client.currentState).toBe('selecting');
    expect(s.link.last.type).toBe(MessageType.Discover);
    expect(s.link.last.msg.xid).not.toBe(d.msg.xid);
    expect(s.link.last.opts.requestedIP).toBeUndefined();
    expect(s.leases).toEqual([]);
  });

  it('NAK while renewing → lease dropped, DISCOVER without the old address', () => {
    const s = setup();
    dora(s);
    s.clock.advanceTo(1_800_000);
    s.link.reply(s.link.last, MessageType.Nak, '0.0.0.0', { serverId: SERVER });
    expect(s.leases).toEqual([expect.objectContaining({ address: ADDR }), undefined]);
    expect(s.link.last.type).toBe(MessageType.Discover);
    expect(s.link.last.opts.requestedIP).toBeUndefined();
    expect(s.client.currentState).toBe('selecting');
  });

  it('defaults the lease to 30 minutes without option 51 (renewal at 15 min)', () => {
    const s = setup();
    dora(s, { serverId: SERVER, subnetMask: '255.255.255.0' });
    expect(s.client.currentLease?.leaseTime).toBe(1800);
    s.clock.advance(900_000);
    expect(s.link.last.kind).toBe('unicast');
  });

  it('short leases renew no sooner than 5 s (a lease under 10 s counts as 10 s); infinite leases never renew', () => {
    const s = setup();
    dora(s, { ...LEASE_OPTS, leaseTime: 4 });
    expect(s.client.currentLease).toMatchObject({ leaseTime: 4, t1: 5, t2: 8.75 });
    s.clock.advance(4_999);
    expect(s.link.sent).toHaveLength(2);
    s.clock.advance(1);
    expect(s.link.last.kind).toBe('unicast');
    s.clock.advance(3_750);
    expect(s.link.last.kind).toBe('broadcast');
    s.clock.advance(1_250);
    expect(s.leases).toEqual([expect.anything(), undefined]);
    const inf = setup();
    dora(inf, { ...LEASE_OPTS, leaseTime: 0xffffffff });
    expect(inf.clock.pending).toBe(0);
  });

  it('waits longer than setTimeout allows in steps (lease of 100 days)', () => {
    const s = setup();
    dora(s, { ...LEASE_OPTS, leaseTime: 100 * 86400 });
    s.clock.advance(50 * 86_400_000 - 1);
    expect(s.link.sent).toHaveLength(2);
    s.clock.advance(1);
    expect(s.link.last.kind).toBe('unicast');
  });

  it('INIT-REBOOT: REQUEST with option 50 for the previous address, no server id; ACK binds', () => {
    const s = setup({ previousAddress: ADDR });
    s.client.start();
    const r = s.link.last;
    expect(s.states).toEqual(['init-reboot', 'rebooting']);
    expect(r).toMatchObject({ kind: 'broadcast', type: MessageType.Request });
    expect(r.msg.ciaddr).toBe('0.0.0.0');
    expect(r.msg.flags).toBe(FLAG_BROADCAST);
    expect(r.opts.requestedIP).toBe(ADDR);
    expect(r.opts.serverId).toBeUndefined();
    s.link.reply(r, MessageType.Ack, ADDR, LEASE_OPTS);
    expect(s.client.currentState).toBe('bound');
    expect(s.leases[0]?.address).toBe(ADDR);
  });

  it('INIT-REBOOT unanswered → DISCOVER still asking for the address (Talos); NAK → plain DISCOVER', () => {
    const s = setup({ previousAddress: ADDR });
    s.client.start();
    s.clock.advance(4_000 + 8_000 + 16_000);
    expect(s.link.sent.map((x) => [x.type, x.msg.secs])).toEqual([
      [MessageType.Request, 0],
      [MessageType.Request, 4],
      [MessageType.Request, 12],
      [MessageType.Discover, 0],
    ]);
    expect(s.link.last.opts.requestedIP).toBe(ADDR);

    const n = setup({ previousAddress: ADDR });
    n.client.start();
    n.link.reply(n.link.last, MessageType.Nak, '0.0.0.0');
    expect(n.link.last.type).toBe(MessageType.Discover);
    expect(n.link.last.opts.requestedIP).toBeUndefined();
  });

  it('never both sends and requests a hostname', () => {
    const send = setup({ hostname: 'node1', domain: 'example.com', requestHostname: true });
    send.client.start();
    expect(send.link.last.opts.hostname).toBe('node1');
    expect(send.link.last.opts.domainName).toBe('example.com');
    expect(send.link.last.opts.parameterRequestList).toEqual([1, 3, 6, 26, 42, 51, 119, 121]);
    send.link.reply(send.link.last, MessageType.Offer, ADDR, LEASE_OPTS);
    expect(send.link.last.opts.hostname).toBe('node1');
    send.link.reply(send.link.last, MessageType.Ack, ADDR, { ...LEASE_OPTS, hostname: 'node1' });
    expect(send.leases[0]?.hostnameRequested).toBe(false);

    const ask = setup({ requestHostname: true });
    ask.client.start();
    expect(ask.link.last.opts.hostname).toBeUndefined();
    expect(ask.link.last.opts.parameterRequestList).toEqual([1, 3, 6, 12, 15, 26, 42, 51, 119, 121]);
    ask.link.reply(ask.link.last, MessageType.Offer, ADDR, LEASE_OPTS);
    ask.link.reply(ask.link.last, MessageType.Ack, ADDR, { ...LEASE_OPTS, hostname: 'given' });
    expect(ask.leases[0]).toMatchObject({ hostname: 'given', hostnameRequested: true });

    expect(parameterRequestList(false, false)).toEqual([1, 3, 6, 42, 51, 119, 121]);
  });

  it('client identifier: none, mac (0x01 + MAC), duid (raw bytes)', () => {
    const none = setup({ clientIdentifier: 'none' });
    none.client.start();
    expect(none.link.last.msg.options.has(OPT.ClientId)).toBe(false);
    const mac = setup({ clientIdentifier: 'mac' });
    mac.client.start();
    expect(mac.link.last.opts.clientId?.toString('hex')).toBe('01525400123456');
    const duid = Buffer.from('0004aabbccddeeff00112233445566778899', 'hex');
    const d = setup({ clientIdentifier: 'duid', duid });
    d.client.start();
    expect(d.link.last.opts.clientId?.equals(duid)).toBe(true);
    d.link.reply(d.link.last, MessageType.Offer, ADDR, LEASE_OPTS);
    expect(d.link.last.opts.clientId?.equals(duid)).toBe(true);
    expect(() => setup({ clientIdentifier: 'duid' })).toThrow(RangeError);
    expect(() => setup({ mac: '52:54:00:12:34' })).toThrow(RangeError);
  });

  it('stop() releases timers and the listener; no RELEASE unless asked', () => {
    const s = setup();
    dora(s);
    s.client.stop();
    expect(s.clock.pending).toBe(0);
    expect(s.link.handler).toBeUndefined();
    expect(s.client.currentState).toBe('stopped');
    expect(s.link.sent).toHaveLength(2);
    s.clock.advance(10_000_000);
    expect(s.link.sent).toHaveLength(2);
    // started again, it asks for the address it held
    s.client.start();
    expect(s.client.currentState).toBe('rebooting');
    expect(s.link.last.opts.requestedIP).toBe(ADDR);

    const r = setup({ releaseOnStop: true, clientIdentifier: 'mac' });
    dora(r);
    r.client.stop();
    expect(r.link.last).toMatchObject({ kind: 'unicast', server: SERVER, from: ADDR, type: MessageType.Release });
    expect(r.link.last.msg.ciaddr).toBe(ADDR);
    expect(r.link.last.opts.serverId).toBe(SERVER);
    expect(r.link.last.opts.clientId?.toString('hex')).toBe('01525400123456');
  });

  it('restart() drops the lease and starts a fresh DISCOVER', () => {
    const s = setup();
    dora(s);
    s.client.restart();
    expect(s.leases).toEqual([expect.objectContaining({ address: ADDR }), undefined]);
    expect(s.link.last.type).toBe(MessageType.Discover);
    expect(s.client.currentState).toBe('selecting');
  });

  it('a callback that stops the client is respected', () => {
    let client: Dhcp4Client | undefined;
    const s = setup({
      onLease: (l) => {
        if (l === undefined) client?.stop();
      },
    });
    client = s.client;
    dora(s);
    s.clock.advance(3_600_000);
    expect(s.client.currentState).toBe('stopped');
    expect(s.link.sent.filter((x) => x.type === MessageType.Discover)).toHaveLength(1);
    expect(s.clock.pending).toBe(0);
  });

  it('send failures are reported, not thrown, and retransmission goes on', async () => {
    const s = setup();
    s.link.failSends = true;
    s.client.start();
    s.clock.advance(4_000);
    await Promise.resolve();
    await Promise.resolve();
    expect(s.errors.length).toBe(2);
    expect(s.link.sent).toHaveLength(2);
  });

  it('keeps malformed options of an ACK out of the lease instead of dropping it', () => {
    const s = setup();
    s.client.start();
    s.link.reply(s.link.last, MessageType.Offer, ADDR, LEASE_OPTS);
    const req = s.link.last;
    const options = writeOptions({ messageType: MessageType.Ack, ...LEASE_OPTS });
    options.set(OPT.ClasslessRoutes, Buffer.from([33, 1, 2, 3, 4, 5, 6, 7, 8]));
    s.link.deliver(newMessage({ op: BOOTREPLY, xid: req.msg.xid, chaddr: req.msg.chaddr, yiaddr: ADDR, options }));
    expect(s.client.currentLease).toMatchObject({ address: ADDR, classlessRoutes: [], routers: [SERVER] });
    expect(s.errors).toHaveLength(1);
  });
});
