// Inputs found while fuzzing (test/fuzz, bench/fuzz.mjs) that broke a
// decoder's contract, recorded as bytes, each with what the decoder must do instead.
// (The connection's are in connection.test.ts: "NetlinkConnection with malformed replies".)
import { describe, expect, it, vi } from 'vitest';
import { NetlinkDecodeError } from '../../src/netlink/errors.js';
import { decodeFamily } from '../../src/netlink/genetlink.js';
import { parseMessages } from '../../src/netlink/message.js';
import { decodeDevicePart } from '../../src/netlink/wireguard.js';
import { Dhcp4DecodeError } from '../../src/operators/dhcp4/errors.js';
import { decodeDomainSearch, encodeDomainSearch } from '../../src/operators/dhcp4/options.js';
import { decodeMessage, encodeMessage, newMessage } from '../../src/operators/dhcp4/packet.js';
import { netlinkTargets } from '../fuzz/netlink.js';

describe('fuzzer regressions', () => {
  it('netlink-genl: a generic netlink message too short for its genlmsghdr is a decode error inside the bytes', () => {
    // found by netlink-genl: a 16-byte nlctrl message with no genlmsghdr; the
    // error said "byte 20" of 16 (AttrReader's range check on a start past the end)
    const bytes = Buffer.from('10000000100000000000000000000000', 'hex');
    const [m] = parseMessages(bytes);
    for (const decode of [() => decodeFamily('wireguard', m!), () => decodeDevicePart(m!)]) {
      expect(decode).toThrow(NetlinkDecodeError);
      expect(decode).toThrow('malformed netlink data at byte 16: genlmsghdr of 0 bytes');
    }
    expect(() => netlinkTargets.find((t) => t.name === 'netlink-genl')!.run(bytes)).not.toThrow();
  });

  it('dhcp4-message: repeated options are joined once, with work linear in the packet (a jumbo packet of repeats took 200 ms)', () => {
    // A DHCP packet (up to 64 KiB through a packet socket) made of one-byte
    // instances of option 12: every repeat used to copy all the earlier ones.
    const head = encodeMessage(newMessage({ xid: 1, chaddr: Buffer.alloc(6) })).subarray(0, 240);
    const repeats = Buffer.alloc(21_000 * 3);
    for (let i = 0; i < repeats.length; i += 3) repeats.set([12, 1, 0x61 + (i % 26)], i);
    const packet = Buffer.concat([head, repeats]);
    const concat = vi.spyOn(Buffer, 'concat');
    try {
      const m = decodeMessage(packet);
      expect(m.options.get(12)?.length).toBe(21_000);
      expect(m.options.get(12)?.subarray(0, 3).toString()).toBe('adg');
      const copied = concat.mock.results.reduce((n, r) => n + (r.value as Buffer).length, 0);
      expect(copied, 'bytes copied joining options').toBeLessThanOrEqual(packet.length);
    } finally {
      concat.mockRestore();
    }
  });

  it('dhcp4 option 119: a name may follow at most 126 compression pointers (pointers to pointers made each name walk back through all of them: 1.9 s for 64 KiB)', () => {
    // a root label, then 2-byte pointers each pointing at the one before it
    const chain = Buffer.alloc(65_000);
    for (let p = 1; p + 2 <= chain.length; p += 2) {
      const target = Math.min(Math.max(p - 2, 0), 0x3fff - 2);
      chain.writeUInt16BE(0xc000 | target, p);
    }
    expect(() => decodeDomainSearch(chain)).toThrow(Dhcp4DecodeError);
    expect(() => decodeDomainSearch(chain)).toThrow('option 119: more than 126 compression pointers in one name');
    // what an encoder writes for nested suffixes still decodes: "a", "b.a", "c.b.a"… one pointer more each, 126 deep
    const labels = Array.from({ length: 126 }, (_, i) => String.fromCharCode(0x61 + (i % 26)));
    const names = labels.map((_, i) => labels.slice(0, i + 1).reverse().join('.'));
    expect(decodeDomainSearch(encodeDomainSearch(names))).toEqual(names);
  });
});
