// The DHCPv6 client state machine against a fake transport and clock.
import fc from 'fast-check';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Dhcp6Client, MIN_RENEW_MS, type Dhcp6Lease, type Dhcp6Log } from '../../src/operators/dhcp6/client.js';
import { duidLL } from '../../src/operators/dhcp6/duid.js';
import {
  INFINITY,
  MessageType,
  OptionCode,
  StatusCode,
  clientIdOption,
  decodeElapsedTime,
  decodeIaNa,
  decodeMessage,
  decodeOro,
  dnsServersOption,
  domainListOption,
  encodeMessage,
  findOption,
  fqdnOption,
  iaNaOption,
  preferenceOption,
  rapidCommitOption,
  serverIdOption,
  type Dhcp6Message,
  type Status,
} from '../../src/operators/dhcp6/message.js';
import { MAX_TIMER_MS } from '../../src/operators/dhcp6/timer.js';
import type { Clock, Dhcp6Transport } from '../../src/operators/dhcp6/transport.js';

class FakeClock implements Clock {
  t = 1_000_000;
  longestTimer = 0;
  private seq = 0;
  private readonly timers = new Map<number, { due: number; fn: () => void }>();

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    this.longestTimer = Math.max(this.longestTimer, ms);
    const id = ++this.seq;
    this.timers.set(id, { due: this.t + ms, fn });
    return id;
  }

  clearTimeout(t: unknown): void {
    this.timers.delete(t as number);
  }

  /** Moves time forward by `ms`, firing due timers in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: [number, { due: number; fn: () => void }] | undefined;
      for (const entry of this.timers) if (entry[1].due <= end && (!next || entry[1].due < next[1].due)) next = entry;
      if (!next) break;
      this.timers.delete(next[0]);
      this.t = next[1].due;
      next[1].fn();
    }
    this.t = end;
  }

  get pendingTimers(): number {
    return this.timers.size;
  }
}

const SERVER = duidLL(Buffer.from('525400abcdef', 'hex'));
const MAC = '52:54:00:12:34:56';

class FakeTransport implements Dhcp6Transport {
  sent: Array<{ at: number; msg: Dhcp6Message }> = [];
  listening = false;
  failSends = false;
  private handler: ((payload: Buffer, from: string) => void) | undefined;

  constructor(private readonly clock: FakeClock) {}

  send(payload: Buffer): Promise<void> {
    this.sent.push({ at: this.clock.now(), msg: decodeMessage(payload) });
    return this.failSends ? Promise.reject(new Error('ENETUNREACH')) : Promise.resolve();
  }

  listen(handler: (payload: Buffer, from: string) => void): () => void {
    this.handler = handler;
    this.listening = true;
    return () => {
      this.handler = undefined;
      this.listening = false;
    };
  }

  deliver(payload: Dhcp6Message | Buffer): void {
    this.handler?.(Buffer.isBuffer(payload) ? payload : encodeMessage(payload), 'fe80::1');
  }

  get last(): Dhcp6Message {
    const m = this.sent.at(-1);
    if (!m) throw new Error('nothing sent');
    return m.msg;
  }

  /** Times (relative to `from`) at which a new exchange started (elapsed time 0). */
  exchangeStarts(from: number): number[] {
    return this.sent.filter((s) => elapsed(s.msg) === 0).map((s) => s.at - from);
  }
}

function elapsed(m: Dhcp6Message): number {
  return decodeElapsedTime(findOption(m.options, OptionCode.ElapsedTime)!.data);
}

interface Answer {
  type?: number;
  address?: string;
  preferred?: number;
  valid?: number;
  iaStatus?: Status;
  preference?: number;
  clientId?: Buffer;
}

/** A server's answer to `req`: same transaction, our client id, an IA_NA for its IAID. */
function answer(req: Dhcp6Message, a: Answer = {}): Dhcp6Message {
  const iaid = decodeIaNa(findOption(req.options, OptionCode.IaNa)!.data).iaid;
  const addresses = a.iaStatus ? [] : [{ address: a.address ?? '2001:db8::10', preferredLifetime: a.preferred ?? 3600, validLifetime: a.valid ?? 7200 }];
  const type = a.type ?? MessageType.Reply;
  return {
    type,
    transactionId: req.transactionId,
    options: [
      clientIdOption(a.clientId ?? findOption(req.options, OptionCode.ClientId)!.data),
      serverIdOption(SERVER),
      ...(type === MessageType.Reply && req.type === MessageType.Solicit ? [rapidCommitOption()] : []),
      ...(a.preference !== undefined ? [preferenceOption(a.preference)] : []),
      iaNaOption({ iaid, t1: 1800, t2: 2880, addresses, ...(a.iaStatus ? { status: a.iaStatus } : {}) }),
      dnsServersOption(['2001:db8::53']),
      domainListOption(['example.com', 'lab.example.com']),
      fqdnOption({ flags: 1, name: 'node1.example.com', partial: false }),
    ],
  };
}

interface Setup {
  duid?: string;
  skipHostnameRequest?: boolean;
  hardwareAddr?: string;
  random?: () => number;
}

function setup(s: Setup = {}) {
  const clock = new FakeClock();
  const transport = new FakeTransport(clock);
  const leases: Array<Dhcp6Lease | undefined> = [];
  const warnings: string[] = [];
  let xid = 0;
  const log: Dhcp6Log = { debug() {}, info() {}, warn: (_o, msg) => warnings.push(msg) };
  const client = new Dhcp6Client({
    linkName: 'eth0',
    hardwareAddr: s.hardwareAddr ?? MAC,
    ...(s.duid !== undefined ? { duid: s.duid } : {}),
    skipHostnameRequest: s.skipHostnameRequest ?? false,
    transport,
    onLease: (l) => leases.push(l),
    clock,
    random: s.random ?? (() => 0.5), // RAND 0; a Solicit's first RAND 0.05; first Solicit after 500 ms
    transactionId: () => (xid = (xid + 0x10101) & 0xffffff),
    log,
  });
  const start = clock.now();
  return { clock, transport, leases, warnings, client, start };
}

describe('dhcp6 client: rapid commit', () => {
  it('waits for start, then solicits with rapid commit, DUID-LL, IAID from the MAC, ORO and elapsed time', () => {
    const { clock, transport, client } = setup();
    clock.advance(5000);
    expect(transport.sent).toEqual([]);
    expect(transport.listening).toBe(false);
    client.start();
    expect(transport.listening).toBe(true);
    clock.advance(499);
    expect(transport.sent).toEqual([]); // SOL_MAX_DELAY: random 0.5 → 500 ms
    clock.advance(1);
    const solicit = transport.last;
    expect(solicit.type).toBe(MessageType.Solicit);
    expect(solicit.options.map((o) => o.code)).toEqual([1, 14, 3, 6, 8]);
    expect(findOption(solicit.options, OptionCode.ClientId)!.data).toEqual(Buffer.from('00030001525400123456', 'hex'));
    expect(decodeIaNa(findOption(solicit.options, OptionCode.IaNa)!.data)).toEqual({ iaid: 0x00123456, t1: 0, t2: 0, addresses: [] });
    expect(decodeOro(findOption(solicit.options, OptionCode.Oro)!.data)).toEqual([23, 24, 56, 39]);
    expect(elapsed(solicit)).toBe(0);
    expect(client.iaid).toBe(0x00123456);
  });

  it('accepts a rapid-commit Reply and reports the lease', () => {
    const { clock, transport, leases, client } = setup();
    client.start();
    clock.advance(500);
    transport.deliver(answer(transport.last));
    expect(leases).toHaveLength(1);
    expect(leases[0]).toEqual({
      address: '2001:db8::10',
      preferredLifetime: 3600,
      validLifetime: 7200,
      t1: 1800,
      t2: 2880,
      serverDuid: SERVER.toString('hex'),
      dns: ['2001:db8::53'],
      domains: ['example.com', 'lab.example.com'],
      ntp: [],
      fqdn: 'node1.example.com',
      acquiredAt: clock.now(),
    });
    expect(client.lease).toEqual(leases[0]);
    // bound: nothing more is sent until the renewal
    const count = transport.sent.length;
    clock.advance(3_599_000);
    expect(transport.sent.length).toBe(count);
  });

  it('leaves option 39 out of the ORO with skipHostnameRequest', () => {
    const { clock, transport, client } = setup({ skipHostnameRequest: true });
    client.start();
    clock.advance(1000);
    expect(decodeOro(findOption(transport.last.options, OptionCode.Oro)!.data)).toEqual([23, 24, 56]);
  });

  it('retransmits the Solicit per RFC 8415 §15 with the elapsed time, one transaction id', () => {
    const { clock, transport, client, start } = setup();
    client.start();
    clock.advance(40_000);
    expect(transport.sent.map((s) => s.at - start)).toEqual([500, 1550, 3650, 7850, 16250, 33050]);
    expect(transport.sent.map((s) => elapsed(s.msg))).toEqual([0, 105, 315, 735, 1575, 3255]);
    expect(new Set(transport.sent.map((s) => s.msg.transactionId)).size).toBe(1);
  });

  it('caps the Solicit interval at SOL_MAX_RT and keeps soliciting while there is no lease', () => {
    const { clock, transport, client } = setup();
    client.start();
    clock.advance(30 * 3_600_000);
    const gaps = transport.sent.slice(1).map((s, i) => s.at - transport.sent[i]!.at);
    expect(Math.max(...gaps)).toBe(3_600_000);
    expect(gaps.at(-1)).toBe(3_600_000);
    expect(elapsed(transport.last)).toBe(0xffff); // capped
  });

  it('retries after NoAddrsAvail inside the IA_NA, on the next retransmission', () => {
    const { clock, transport, leases, warnings, client, start } = setup();
    client.start();
    clock.advance(500);
    transport.deliver(answer(transport.last, { iaStatus: { code: StatusCode.NoAddrsAvail, message: 'no addresses' } }));
    expect(leases).toEqual([]);
    expect(warnings).toContain('dhcp6: server replied without an address, retrying');
    clock.advance(1050);
    expect(transport.sent.map((s) => s.at - start)).toEqual([500, 1550]);
    transport.deliver(answer(transport.last, { address: '2001:db8::11' }));
    expect(leases.map((l) => l?.address)).toEqual(['2001:db8::11']);
  });

  it('ignores garbage, other transactions and other clients', () => {
    const { clock, transport, leases, client } = setup();
    client.start();
    clock.advance(500);
    const req = transport.last;
    transport.deliver(Buffer.alloc(0));
    transport.deliver(Buffer.from('07ffffff00030005aa', 'hex'));
    transport.deliver({ ...answer(req), transactionId: (req.transactionId + 1) & 0xffffff });
    transport.deliver(answer(req, { clientId: duidLL(Buffer.from('020000000001', 'hex')) }));
    const noServer = answer(req);
    noServer.options = noServer.options.filter((o) => o.code !== OptionCode.ServerId);
    transport.deliver(noServer);
    // an IA_NA that does not decode
    const badIa = answer(req);
    badIa.options = badIa.options.map((o) => (o.code === OptionCode.IaNa ? { code: o.code, data: o.data.subarray(0, 30) } : o));
    transport.deliver(badIa);
    for (let i = 0; i < 200; i++) transport.deliver(Buffer.from(Array.from({ length: i }, (_, j) => (j * 37 + i) & 0xff)));
    expect(leases).toEqual([]);
    transport.deliver(answer(req));
    expect(leases).toHaveLength(1);
  });

  it('survives any payload, and still takes a good Reply afterwards', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 120 }), { maxLength: 20 }),
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { maxLength: 4 }),
        (junk, flips) => {
          const { clock, transport, leases, client } = setup();
          client.start();
          clock.advance(500);
          const req = transport.last;
          for (const b of junk) transport.deliver(Buffer.from(b));
          // a valid answer with bytes changed after the transaction id
          const mangled = encodeMessage(answer(req, { address: '2001:db8::99' }));
          for (const [at, value] of flips) mangled[4 + (at % (mangled.length - 4))] = value;
          transport.deliver(mangled);
          clock.advance(1050);
          const good = answer(transport.last);
          transport.deliver(good);
          // either the mangled answer was still a valid one, or the good one is taken
          expect(leases).toHaveLength(1);
          expect(leases[0]?.address).toMatch(/:/);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps retransmitting when sending fails', async () => {
    const { clock, transport, warnings, client } = setup();
    transport.failSends = true;
    client.start();
    clock.advance(2000);
    await Promise.resolve();
    expect(transport.sent).toHaveLength(2);
    expect(warnings).toContain('dhcp6: send failed');
  });

  it('stop() stops listening and sending, without a lease callback', () => {
    const { clock, transport, leases, client } = setup();
    client.start();
    clock.advance(500);
    transport.deliver(answer(transport.last, { valid: 10, preferred: 10 }));
    client.stop();
    const count = transport.sent.length;
    clock.advance(100_000);
    expect(transport.sent.length).toBe(count);
    expect(transport.listening).toBe(false);
    expect(leases).toHaveLength(1);
    expect(client.lease).toBeUndefined();
    expect(clock.pendingTimers).toBe(0);
    client.start();
    clock.advance(500);
    expect(transport.sent.length).toBe(count + 1);
  });
});

describe('dhcp6 client: Advertise and Request', () => {
  it('collects Advertises for the first RT, then requests the preferred one', () => {
    const { clock, transport, leases, client, start } = setup();
    client.start();
    clock.advance(500);
    const solicit = transport.last;
    transport.deliver(answer(solicit, { type: MessageType.Advertise, address: '2001:db8::20', preference: 10 }));
    transport.deliver(answer(solicit, { type: MessageType.Advertise, address: '2001:db8::21', preference: 20 }));
    transport.deliver(answer(solicit, { type: MessageType.Advertise, address: '2001:db8::22', preference: 20 }));
    expect(transport.sent).toHaveLength(1);
    clock.advance(1050); // the first RT
    const request = transport.last;
    expect(transport.sent.map((s) => s.at - start)).toEqual([500, 1550]);
    expect(request.type).toBe(MessageType.Request);
    expect(request.transactionId).not.toBe(solicit.transactionId);
    expect(request.options.map((o) => o.code)).toEqual([1, 2, 3, 6, 8]);
    expect(findOption(request.options, OptionCode.ServerId)!.data).toEqual(SERVER);
    expect(decodeIaNa(findOption(request.options, OptionCode.IaNa)!.data).addresses).toEqual([
      { address: '2001:db8::21', preferredLifetime: 0, validLifetime: 0 },
    ]);
    expect(elapsed(request)).toBe(0);
    transport.deliver(answer(solicit, { address: '2001:db8::21' })); // the Solicit's transaction is over
    expect(leases).toEqual([]);
    transport.deliver(answer(request, { address: '2001:db8::21' }));
    expect(leases.map((l) => l?.address)).toEqual(['2001:db8::21']);
  });

  it('requests at once on preference 255, or on an Advertise after the first RT', () => {
    const a = setup();
    a.client.start();
    a.clock.advance(500);
    a.transport.deliver(answer(a.transport.last, { type: MessageType.Advertise, preference: 255 }));
    expect(a.transport.last.type).toBe(MessageType.Request);
    expect(a.transport.sent.at(-1)!.at - a.start).toBe(500);

    const b = setup();
    b.client.start();
    b.clock.advance(2000); // past the first RT, one retransmission
    b.transport.deliver(answer(b.transport.last, { type: MessageType.Advertise }));
    expect(b.transport.last.type).toBe(MessageType.Request);
  });

  it('ignores an Advertise without addresses', () => {
    const { clock, transport, client } = setup();
    client.start();
    clock.advance(500);
    transport.deliver(answer(transport.last, { type: MessageType.Advertise, iaStatus: { code: StatusCode.NoAddrsAvail, message: '' } }));
    clock.advance(1050);
    expect(transport.last.type).toBe(MessageType.Solicit);
  });

  it('retransmits the Request (REQ_TIMEOUT, REQ_MAX_RC 10), then solicits again', () => {
    const { clock, transport, client } = setup();
    client.start();
    clock.advance(500);
    transport.deliver(answer(transport.last, { type: MessageType.Advertise, preference: 255 }));
    const t0 = clock.now();
    clock.advance(200_000);
    const requests = transport.sent.filter((s) => s.msg.type === MessageType.Request);
    expect(requests.map((s) => s.at - t0)).toEqual([0, 1000, 3000, 7000, 15000, 31000, 61000, 91000, 121000, 151000]);
    expect(new Set(requests.map((s) => s.msg.transactionId)).size).toBe(1);
    const after = transport.sent.filter((s) => s.at > t0 + 151000);
    // back to Solicit 30 s after the last Request, then after the Solicit's last RT (1050 ms), doubled
    expect(after[0]!.at - t0).toBe(181000 + 1050);
    expect(after[0]!.msg.type).toBe(MessageType.Solicit);
    expect(after[0]!.msg.transactionId).not.toBe(requests[0]!.msg.transactionId);
  });

  it('solicits again, not at once, when the Request is refused with NoAddrsAvail', () => {
    const { clock, transport, leases, client } = setup();
    client.start();
    clock.advance(500);
    const solicit = transport.last;
    transport.deliver(answer(solicit, { type: MessageType.Advertise, preference: 255 }));
    const request = transport.last;
    clock.advance(10);
    transport.deliver(answer(request, { iaStatus: { code: StatusCode.NoAddrsAvail, message: '' } }));
    expect(transport.last).toBe(request);
    clock.advance(1049);
    expect(transport.last).toBe(request);
    clock.advance(1);
    const again = transport.last;
    expect(again.type).toBe(MessageType.Solicit);
    expect(again.transactionId).not.toBe(solicit.transactionId);
    expect(elapsed(again)).toBe(0);
    clock.advance(2100);
    expect(transport.last.transactionId).toBe(again.transactionId); // its retransmission, RT doubled
    transport.deliver(answer(transport.last));
    expect(leases).toHaveLength(1);
  });
});

describe('dhcp6 client: renewal and expiry', () => {
  function bound(valid: number, s: Setup = {}) {
    const env = setup(s);
    env.client.start();
    env.clock.advance(500);
    env.transport.deliver(answer(env.transport.last, { valid, preferred: Math.min(valid, 3600) }));
    return { ...env, acquired: env.clock.now() };
  }

  it('renews at half the valid lifetime with a fresh rapid-commit Solicit hinting the address', () => {
    const { clock, transport, leases, acquired } = bound(7200);
    const first = transport.last;
    clock.advance(3_600_000 - 1);
    expect(transport.last).toBe(first);
    clock.advance(1);
    const renew = transport.last;
    expect(renew.type).toBe(MessageType.Solicit);
    expect(clock.now() - acquired).toBe(3_600_000);
    expect(findOption(renew.options, OptionCode.RapidCommit)).toBeDefined();
    expect(decodeIaNa(findOption(renew.options, OptionCode.IaNa)!.data).addresses).toEqual([
      { address: '2001:db8::10', preferredLifetime: 0, validLifetime: 0 },
    ]);
    transport.deliver(answer(renew, { valid: 7200 }));
    expect(leases).toHaveLength(2);
    expect(leases[1]!.acquiredAt).toBe(acquired + 3_600_000);
    // the expiry moved with the renewal
    clock.advance(3_600_000 + 1000);
    expect(leases).toHaveLength(2);
  });

  it('renews no sooner than 5 s', () => {
    const { clock, transport, acquired } = bound(8);
    const first = transport.last;
    clock.advance(MIN_RENEW_MS - 1);
    expect(transport.last).toBe(first);
    clock.advance(1);
    expect(transport.last.type).toBe(MessageType.Solicit);
    expect(clock.now() - acquired).toBe(5000);
  });

  it('halves the renewal interval after each failed cycle (5 s floor), then drops the expired lease', () => {
    const { clock, transport, leases, warnings, acquired } = bound(100);
    clock.advance(99_999);
    expect(leases).toHaveLength(1);
    // cycles start at I = 50 s, then after windows of 25, 12.5, 6.25, 5 s
    expect(transport.exchangeStarts(acquired)).toEqual([0, 50_000, 75_000, 87_500, 93_750, 98_750]);
    expect(warnings.filter((w) => w === 'dhcp6: renewal failed, trying again')).toHaveLength(4);
    clock.advance(1);
    expect(leases).toEqual([leases[0], undefined]);
    expect(warnings).toContain('dhcp6: lease expired');
    // acquisition again: a new, unbounded Solicit at once, no hint
    expect(transport.exchangeStarts(acquired).at(-1)).toBe(100_000);
    expect(decodeIaNa(findOption(transport.last.options, OptionCode.IaNa)!.data).addresses).toEqual([]);
    clock.advance(3 * 3_600_000);
    expect(transport.exchangeStarts(acquired).at(-1)).toBe(100_000);
    transport.deliver(answer(transport.last));
    expect(leases).toHaveLength(3);
    expect(leases[2]!.address).toBe('2001:db8::10');
  });

  it('a successful renewal after a failed cycle restores the full interval', () => {
    const { clock, transport, leases, acquired } = bound(100);
    clock.advance(80_000); // past the first failed cycle (50–75 s)
    transport.deliver(answer(transport.last, { valid: 100, preferred: 100 }));
    expect(leases).toHaveLength(2);
    const renewedAt = clock.now();
    expect(renewedAt - acquired).toBe(80_000);
    const count = transport.sent.length;
    clock.advance(49_999);
    expect(transport.sent.length).toBe(count);
    clock.advance(1);
    expect(transport.sent.length).toBe(count + 1);
  });

  it('an infinite lifetime never expires, and no timer exceeds setTimeout’s limit', () => {
    const { clock, transport, leases } = bound(INFINITY);
    expect(leases[0]!.validLifetime).toBe(INFINITY);
    const count = transport.sent.length;
    clock.advance(365 * 24 * 3_600_000);
    expect(transport.sent.length).toBe(count);
    expect(leases).toHaveLength(1);
    expect(clock.longestTimer).toBeLessThanOrEqual(MAX_TIMER_MS);
  });
});

describe('dhcp6 client: identifiers', () => {
  it('uses the configured raw DUID', () => {
    const { clock, transport, client } = setup({ duid: '00:02:00:00:00:09:01:02:03' });
    expect(client.clientId).toEqual(Buffer.from('000200000009010203', 'hex'));
    client.start();
    clock.advance(500);
    expect(findOption(transport.last.options, OptionCode.ClientId)!.data).toEqual(client.clientId);
  });

  it('logs and ignores an invalid DUID, falling back to DUID-LL', () => {
    for (const duid of ['zz', '0001', '123']) {
      const { client, warnings } = setup({ duid });
      expect(client.clientId).toEqual(Buffer.from('00030001525400123456', 'hex'));
      expect(warnings).toEqual(['dhcp6: configured DUID ignored, using DUID-LL']);
    }
    expect(setup({ duid: '' }).warnings).toEqual([]);
  });

  it('takes the IAID from the last 4 bytes of the MAC', () => {
    expect(setup({ hardwareAddr: 'aa:bb:cc:dd:ee:ff' }).client.iaid).toBe(0xccddeeff);
    expect(() => setup({ hardwareAddr: 'not a mac' })).toThrow(/not a MAC/);
  });

  it('logs through a pino logger: a bad configured DUID is reported with the link, as JSON', () => {
    const lines: string[] = [];
    const log: Dhcp6Log = pino({ base: undefined }, { write: (line: string) => void lines.push(line) });
    const clock = new FakeClock();
    new Dhcp6Client({ linkName: 'eth7', hardwareAddr: MAC, duid: 'zz', skipHostnameRequest: false, transport: new FakeTransport(clock), onLease: () => {}, clock, log }).start();
    const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(entries).toContainEqual(expect.objectContaining({ level: 40, link: 'eth7', msg: 'dhcp6: configured DUID ignored, using DUID-LL' }));
  });
});
