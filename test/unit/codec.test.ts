import { describe, expect, it } from 'vitest';
import { AttrReader, NlWriter, formatHardwareAddr, readS32, readU16, readU32 } from '../../src/netlink/codec.js';
import { NLA_F_NESTED, NLMSG_DONE, NLMSG_ERROR, NLM_F_ACK_TLVS, NLM_F_CAPPED } from '../../src/netlink/constants.js';
import { NetlinkDecodeError } from '../../src/netlink/errors.js';
import { parseErrorPayload, parseMessages } from '../../src/netlink/message.js';
import { decodeAddress } from '../../src/netlink/rtnetlink/address.js';
import { RTM_NEWADDR, RTM_NEWLINK, RTM_NEWROUTE, IFF_UP, RT_SCOPE_LINK } from '../../src/netlink/rtnetlink/constants.js';
import { decodeLink } from '../../src/netlink/rtnetlink/link.js';
import { addRouteRequest, decodeRoute } from '../../src/netlink/rtnetlink/route.js';
import '../../src/netlink/rtnetlink/drivers/index.js';
import { fixture } from '../helpers/fixtures.js';

describe('attribute encoding', () => {
  it('writes aligned attributes of every width and reads them back', () => {
    const w = new NlWriter(8); // grows as needed
    w.attrU8(1, 0xab).attrU16(2, 0xbeef).attrU32(3, 0xdeadbeef).attrU64(4, 0x0102030405060708n);
    w.attrString(5, 'eth0').attrU16be(6, 0x8100).attrBytes(7, Buffer.from([1, 2, 3])).attrFlag(8).attrS32(9, -5);
    const buf = w.toBuffer();
    expect(buf.length % 4).toBe(0);
    const r = new AttrReader(buf, 0, buf.length);
    const seen: Record<number, unknown> = {};
    while (r.next()) {
      switch (r.type) {
        case 1: seen[1] = r.u8(); break;
        case 2: seen[2] = r.u16(); break;
        case 3: seen[3] = r.u32(); break;
        case 4: seen[4] = r.u64(); break;
        case 5: seen[5] = r.string(); break;
        case 6: seen[6] = r.u16be(); break;
        case 7: seen[7] = [...r.bytes()]; break;
        case 8: seen[8] = r.length; break;
        case 9: seen[9] = r.s32(); break;
      }
    }
    expect(seen).toEqual({ 1: 0xab, 2: 0xbeef, 3: 0xdeadbeef, 4: 0x0102030405060708n, 5: 'eth0', 6: 0x8100, 7: [1, 2, 3], 8: 0, 9: -5 });
    // string attribute: header (4) + "eth0\0" (5) padded to 8
    const strAt = buf.indexOf(Buffer.from('eth0'));
    expect(buf.readUInt16LE(strAt - 4)).toBe(9);
  });

  it('nests attributes and marks them NLA_F_NESTED', () => {
    const w = new NlWriter();
    const outer = w.beginNested(18);
    w.attrString(1, 'veth');
    const inner = w.beginNested(2);
    w.attrU32(1, 7);
    w.endNested(inner);
    w.endNested(outer);
    const buf = w.toBuffer();
    expect(buf.readUInt16LE(2)).toBe(18 | NLA_F_NESTED);
    expect(buf.readUInt16LE(0)).toBe(buf.length);
    const r = new AttrReader(buf, 0, buf.length);
    expect(r.next()).toBe(true);
    expect(r.type).toBe(18);
    expect(r.isNested).toBe(true);
    const n = r.nested();
    const got: unknown[] = [];
    while (n.next()) {
      if (n.type === 1) got.push(n.string());
      if (n.type === 2) {
        const d = n.nested();
        while (d.next()) got.push(d.u32());
      }
    }
    expect(got).toEqual(['veth', 7]);
  });

  it('rejects truncated and overlong attributes with a typed error', () => {
    const bad = Buffer.from([0x08, 0x00, 0x01, 0x00, 0x01, 0x02]); // claims 8 bytes, has 6
    const r = new AttrReader(bad, 0, bad.length);
    expect(() => r.next()).toThrow(NetlinkDecodeError);
    const short = Buffer.from([0x05, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00]);
    const s = new AttrReader(short, 0, short.length);
    expect(s.next()).toBe(true);
    expect(() => s.u32()).toThrow(/needs 4 bytes/);
    expect(() => parseMessages(Buffer.from([0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]))).toThrow(NetlinkDecodeError);
  });

  it('formats hardware addresses', () => {
    expect(formatHardwareAddr(Buffer.from([2, 0, 0, 0xab, 0xcd, 0xef]))).toBe('02:00:00:ab:cd:ef');
  });
});

describe('decoding bytes recorded from the kernel', () => {
  it('decodes a link dump', () => {
    const messages = parseMessages(fixture('links-dump'));
    const links = messages.filter((m) => m.type === RTM_NEWLINK).map(decodeLink);
    expect(messages.at(-1)?.type).toBe(NLMSG_DONE);
    const lo = links.find((l) => l.name === 'lo')!;
    expect(lo.type).toBe(772);
    expect(lo.mtu).toBe(65536);
    const veth0 = links.find((l) => l.name === 'veth0')!;
    expect(veth0).toMatchObject({ mtu: 1450, hardwareAddr: '02:00:00:00:00:01', alias: 'uplink', altNames: ['enx020000000001'], info: { kind: 'veth' } });
    expect(veth0.flags & IFF_UP).toBe(IFF_UP);
    const veth1 = links.find((l) => l.name === 'veth1')!;
    expect(veth1.hardwareAddr).toBe('02:00:00:00:00:02');
    expect(veth0.linkIndex).toBe(veth1.index);
  });

  it('decodes an address dump', () => {
    const addrs = parseMessages(fixture('addresses-dump'))
      .filter((m) => m.type === RTM_NEWADDR)
      .map((m) => decodeAddress(m)!);
    const v4 = addrs.find((a) => a.family === 'inet4' && a.local === '192.0.2.10')!;
    expect(v4).toMatchObject({ prefixLen: 24, label: 'veth0', scope: 0 });
    expect(v4.broadcast).toBeUndefined(); // ip addr add sets none without "brd +"
    expect(v4.flags & 0x80).toBe(0x80); // permanent
    const v6 = addrs.find((a) => a.family === 'inet6' && a.address === '2001:db8::10')!;
    expect(v6.prefixLen).toBe(64);
    expect(v6.flags & 0x02).toBe(0x02); // nodad
  });

  it('decodes routes: table > 255, metric, MTU, IPv6 gateway', () => {
    const [route] = parseMessages(fixture('routes-table-1000-dump'))
      .filter((m) => m.type === RTM_NEWROUTE)
      .map((m) => decodeRoute(m)!);
    expect(route).toMatchObject({ family: 'inet4', dst: '198.51.100.0', dstLen: 24, gateway: '192.0.2.1', table: 1000, priority: 100, mtu: 1400, protocol: 4 });
    const v6 = parseMessages(fixture('routes-ipv6-main-dump'))
      .filter((m) => m.type === RTM_NEWROUTE)
      .map((m) => decodeRoute(m)!);
    expect(v6.find((r) => r.dst === '2001:db8:ffff::')).toMatchObject({ dstLen: 48, gateway: '2001:db8::1', priority: 1024, table: 254 });
    expect(v6.find((r) => r.dst === '2001:db8::')).toMatchObject({ dstLen: 64, scope: 0, protocol: 2 });
  });

  it('parses an extended-ack error: errno, message, capped', () => {
    const [m] = parseMessages(fixture('error-invalid-gateway'));
    expect(m!.type).toBe(NLMSG_ERROR);
    expect(m!.flags & (NLM_F_CAPPED | NLM_F_ACK_TLVS)).toBe(NLM_F_CAPPED | NLM_F_ACK_TLVS);
    const e = parseErrorPayload(m!);
    expect(e.errno).toBe(101); // ENETUNREACH
    expect(e.requestType).toBe(RTM_NEWROUTE);
    expect(e.extack?.message).toBe('Nexthop has invalid gateway');
  });

  it('encodes a route request the way the kernel reports routes', () => {
    const req = addRouteRequest({ family: 'inet4', dst: '198.51.100.0', dstLen: 24, gateway: '192.0.2.1', oif: 3, table: 1000, priority: 100, protocol: 4, scope: 0, type: 1, mtu: 1400, label: 'r' });
    const w = new NlWriter();
    const start = w.beginMessage(req.type, 0, 1, 0);
    req.encode(w);
    w.endMessage(start);
    const back = decodeRoute(parseMessages(w.toBuffer())[0]!)!;
    expect(back).toMatchObject({ dst: '198.51.100.0', dstLen: 24, gateway: '192.0.2.1', oif: 3, table: 1000, priority: 100, mtu: 1400, scope: 0, type: 1 });
    // rtm_table carries RT_TABLE_COMPAT when the table does not fit in 8 bits
    expect(w.toBuffer()[16 + 4]).toBe(252);
    expect(RT_SCOPE_LINK).toBe(253);
  });

  it('encodes each of many IPv4 routes with its own destination and source (parsed into one buffer, copied at once), and refuses a bad one', () => {
    const w = new NlWriter();
    const sent: Array<{ dst: string; src: string }> = [];
    for (let i = 0; i < 300; i++) {
      const r = { dst: `10.${i >> 8}.${i & 255}.0`, src: `172.16.${i & 255}.0` };
      sent.push(r);
      const req = addRouteRequest({ family: 'inet4', dst: r.dst, dstLen: 24, src: r.src, srcLen: 24, gateway: '192.0.2.1', table: 254, priority: 100, protocol: 4, scope: 0, type: 1 });
      const start = w.beginMessage(req.type, 0, i + 1, 0);
      req.encode(w);
      w.endMessage(start);
    }
    const back = parseMessages(w.toBuffer()).map((m) => decodeRoute(m)!);
    expect(back.map((r) => ({ dst: r.dst, src: r.src }))).toEqual(sent);
    const bad = addRouteRequest({ family: 'inet4', dst: '10.0.0.256', dstLen: 24, table: 254, priority: 100, protocol: 4, scope: 0, type: 1 });
    expect(() => bad.encode(new NlWriter())).toThrow('invalid IP address "10.0.0.256"');
  });
});

describe('host-order integers', () => {
  it('read what Buffer reads, at every offset of random bytes, and refuse to read past either end', () => {
    const buf = Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 97 + 13) & 0xff));
    buf.writeUInt32LE(0xffffffff, 8);
    buf.writeInt32LE(-2, 16);
    for (let off = 0; off + 4 <= buf.length; off++) {
      expect(readU16(buf, off)).toBe(buf.readUInt16LE(off));
      expect(readU32(buf, off)).toBe(buf.readUInt32LE(off));
      expect(readS32(buf, off)).toBe(buf.readInt32LE(off));
    }
    expect(readU32(buf, 8)).toBe(0xffffffff);
    expect(readS32(buf, 16)).toBe(-2);
    // a plain Uint8Array (a view into a larger buffer) too
    const view = new Uint8Array(buf.buffer, buf.byteOffset + 8, 8);
    expect(readU32(view, 0)).toBe(0xffffffff);
    expect(() => readU16(buf, 63)).toThrow(RangeError);
    expect(() => readU32(buf, 61)).toThrow(RangeError);
    expect(() => readS32(buf, -1)).toThrow(RangeError);
  });
});
