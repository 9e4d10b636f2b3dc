// No decode error kills the daemon: a netcfg daemon (in this process, so the
// test can wrap its netlink socket) in a test namespace gets corrupt replies
// on its rtnetlink connection. The request that reads them fails and is
// reported, the daemon goes on: it answers `status`, repairs drift, and the
// kernel ends exactly as configured. The corruption is applied by a transport
// the test wraps around the real socket and hands to Daemon.start(); nothing
// on the command line or in a config can reach it.
import path from 'node:path';
import { pino } from 'pino';
import { describe, expect, it, onTestFinished } from 'vitest';
import { socketFor } from '../../src/cli/daemon.js';
import { Daemon } from '../../src/daemon/daemon.js';
import { NetlinkConnection } from '../../src/netlink/connection.js';
import { NETLINK_ROUTE, NLM_F_MULTI } from '../../src/netlink/constants.js';
import { RtnlClient } from '../../src/netlink/rtnetlink/client.js';
import { RTM_NEWLINK, RTM_NEWROUTE } from '../../src/netlink/rtnetlink/constants.js';
import { NativeTransport, type Transport, type TransportError } from '../../src/netlink/transport.js';
import { within } from '../helpers/daemon.js';
import { netcfgIn } from '../helpers/inproc.js';
import { createTestNet, type TestNet } from '../helpers/netns.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The real socket, with a hook that rewrites one received datagram (or makes one up). */
class TamperingTransport implements Transport {
  onData: (err: TransportError | null, data?: Buffer) => void = () => {};
  private rule: { match: (data: Buffer) => number; corrupt: (data: Buffer, at: number) => void } | undefined;
  corrupted: Buffer[] = [];

  constructor(private readonly inner: NativeTransport) {
    inner.onData = (err, data) => this.onData(err, data ? this.tamper(data) : data);
  }

  /** Corrupts the next received datagram in which `match` finds a message (its offset). */
  corruptNext(match: (data: Buffer) => number, corrupt: (data: Buffer, at: number) => void): void {
    this.rule = { match, corrupt };
  }

  /** Delivers bytes as if the socket had received them. */
  inject(data: Buffer): void {
    this.onData(null, data);
  }

  private tamper(data: Buffer): Buffer {
    const at = this.rule?.match(data) ?? -1;
    if (!this.rule || at < 0) return data;
    const copy = Buffer.from(data);
    this.rule.corrupt(copy, at);
    this.rule = undefined;
    this.corrupted.push(copy);
    return copy;
  }

  get portId(): number {
    return this.inner.portId;
  }
  send(data: Uint8Array): void {
    this.inner.send(data);
  }
  sendQueued(data: Uint8Array, tag: number): void {
    this.inner.sendQueued(data, tag);
  }
  addMembership(group: number): void {
    this.inner.addMembership(group);
  }
  dropMembership(group: number): void {
    this.inner.dropMembership(group);
  }
  ref(): void {
    this.inner.ref();
  }
  unref(): void {
    this.inner.unref();
  }
  close(): void {
    this.inner.close();
  }
}

/** The offset of the first part of a dump reply of `type` addressed to `port`, or -1. */
function dumpPart(type: number, port: number): (data: Buffer) => number {
  return (data) => {
    for (let pos = 0; pos + 16 <= data.length; ) {
      const len = data.readUInt32LE(pos);
      if (len < 16) return -1;
      if (data.readUInt16LE(pos + 4) === type && (data.readUInt16LE(pos + 6) & NLM_F_MULTI) !== 0 && data.readUInt32LE(pos + 12) === port) return pos;
      pos += (len + 3) & ~3;
    }
    return -1;
  };
}

const CONFIG = `machine:
  network:
    interfaces:
      - interface: eth0
        addresses: [192.0.2.10/24]
        routes:
          - network: 198.51.100.0/24
            gateway: 192.0.2.1
          # a second route: the (protocol-filtered) dumps of netcfg's routes still hold one while the first is gone
          - network: 203.0.113.0/24
            gateway: 192.0.2.1
`;

async function startDaemon(net: TestNet) {
  const lines: Json[] = [];
  const log = pino({ level: 'debug', base: undefined }, { write: (s: string) => void lines.push(JSON.parse(s) as Json) });
  const transport = new TamperingTransport(new NativeTransport(NETLINK_ROUTE, { netns: net.ns }));
  const kernel = new RtnlClient(new NetlinkConnection(transport, { log }), { netns: net.ns, log });
  const target = { netns: net.ns, stateDir: net.stateDir, etcDir: path.join(net.dir, 'etc') };
  const daemon = await Daemon.start({ ...target, configFile: net.file('machine.yaml', CONFIG), socket: socketFor(target), log, version: 'test', kernel });
  let stopped = false;
  onTestFinished(async () => {
    if (!stopped) await daemon.stop();
  });
  const args = ['--netns', net.ns, '--state-dir', net.stateDir, '--etc-dir', target.etcDir];
  return {
    transport,
    lines,
    /** `netcfg status -o json`, answered by the daemon. */
    status: async () => {
      const r = await netcfgIn(['status', '-o', 'json', ...args]);
      return { exitCode: r.exitCode, json: JSON.parse(r.stdout) as Json };
    },
    stop: async () => {
      stopped = true;
      await daemon.stop();
    },
  };
}

const routes = (net: TestNet) => net.json<Json[]>('route', 'show').map((r) => `${r.dst} ${r.gateway ?? ''} ${r.protocol ?? ''}`.trim());
const addresses = (net: TestNet) => (net.json<Json[]>('addr', 'show', 'dev', 'eth0')[0]?.addr_info as Json[]).filter((a) => a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`);
const configured = (net: TestNet) => routes(net).includes('198.51.100.0/24 192.0.2.1 static') && addresses(net).join() === '192.0.2.10/24';

describe('no decode error kills the daemon', () => {
  it('a corrupt reply fails the one request that reads it; the daemon reports it, answers status and keeps the kernel as configured', async () => {
    const net = createTestNet();
    net.ip('link', 'set', 'eth0', 'up');
    const d = await startDaemon(net);
    await within(10_000, () => configured(net), 'the config applied');
    const before = await d.status();
    expect(before.json).toMatchObject({ daemon: { pid: process.pid, netns: net.ns }, status: { addressReady: true } });
    const failures = () => d.lines.filter((l) => l.msg === 'reconcile failed');

    // 1. A route dump reply whose first route's first attribute claims 65520 bytes:
    //    well framed, undecodable. It is read when the daemon repairs the route deleted here.
    d.transport.corruptNext(dumpPart(RTM_NEWROUTE, d.transport.portId), (data, at) => data.writeUInt16LE(0xfff0, at + 16 + 12));
    net.ip('route', 'del', '198.51.100.0/24');
    await within(15_000, () => configured(net), 'the deleted route repaired after the failed dump');
    expect(d.transport.corrupted).toHaveLength(1);
    const first = failures();
    expect(first.length).toBeGreaterThanOrEqual(1);
    expect(String(first[0]!.err)).toMatch(/^list routes.*: malformed netlink data at byte \d+: attribute length 65520 does not fit/);
    expect(first[0]!.controller).toMatch(/Route(Status|Spec)Controller/);
    expect((await d.status()).json).toMatchObject({ daemon: { pid: process.pid }, status: { addressReady: true } });

    // 2. A link dump reply whose first message claims more bytes than the datagram has:
    //    the framing breaks, and the dump it answers fails at once.
    d.transport.corruptNext(dumpPart(RTM_NEWLINK, d.transport.portId), (data, at) => data.writeUInt32LE(data.length + 100, at));
    // (the links are listed on link events: the link taken down here, which the daemon brings up again)
    net.ip('link', 'set', 'eth0', 'down');
    await within(15_000, () => configured(net) && net.ip('link', 'show', 'eth0').includes(',UP'), 'the link brought up again after the failed link dump');
    expect(d.transport.corrupted).toHaveLength(2);
    expect(failures().map((l) => String(l.err))).toEqual(expect.arrayContaining([expect.stringMatching(/^list links: malformed netlink data at byte \d+: message length \d+ does not fit/)]));

    // 3. Bytes that answer nothing and do not even frame: logged once, dropped.
    d.transport.inject(Buffer.from([40, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2]));
    const dropped = d.lines.filter((l) => l.msg === 'malformed netlink message dropped');
    expect(dropped).toHaveLength(1);
    expect(dropped[0]).toMatchObject({ level: 40, type: 16, seq: 0, portId: 0 });

    // still serving, still repairing, and the kernel is exactly as configured
    const after = await d.status();
    expect(after.json).toMatchObject({ daemon: { pid: process.pid }, status: { addressReady: true } });
    net.ip('route', 'del', '198.51.100.0/24');
    await within(5_000, () => configured(net), 'drift repaired once more');
    expect(routes(net).filter((r) => r.startsWith('198.51.100.0/24'))).toEqual(['198.51.100.0/24 192.0.2.1 static']);
    expect(addresses(net)).toEqual(['192.0.2.10/24']);
    const got = await netcfgIn(['get', 'routes', '-o', 'json', '--netns', net.ns, '--state-dir', net.stateDir]);
    expect(got.exitCode, got.stderr).toBe(0);
    expect(got.stdout).toContain('198.51.100.0/24');
    await d.stop();
  });
});
