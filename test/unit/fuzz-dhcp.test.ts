// CI-sized fuzzing of the DHCPv4 and DHCPv6 decoders and clients (bench/fuzz.mjs
// runs millions of cases): decode or throw the protocol's own decode error; a
// client drops a bad packet (one report) and goes on.
import { describe, expect, it } from 'vitest';
import { dhcpChecks, dhcpTargets } from '../fuzz/dhcp.js';
import { formatFailure, runTarget } from '../fuzz/run.js';
import { seed } from '../fuzz/seeds.js';
import { parseUdpPacket } from '../../src/operators/dhcp4/frame.js';
import { leaseFromAck } from '../../src/operators/dhcp4/lease.js';
import { decodeMessage as decode4 } from '../../src/operators/dhcp4/packet.js';
import { examineOffer } from '../../src/operators/dhcp6/lease.js';
import { decodeMessage as decode6 } from '../../src/operators/dhcp6/message.js';

// A new seed each run (printed in the suite's name; FUZZ_SEED=… FUZZ_RUNS=… to replay or go longer).
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 0x7fffffff);
const RUNS = Number(process.env.FUZZ_RUNS ?? 400);

describe(`DHCP decoders and clients under fuzzing (seed ${SEED})`, () => {
  it('the seeds recorded from dnsmasq decode cleanly', () => {
    // recorded on a veth: the sender left the UDP checksum to offload (the packet socket says so)
    const ack = parseUdpPacket(seed('dhcp4-ack-ip'), { verifyChecksum: false });
    expect(ack).toMatchObject({ src: '192.0.2.1', srcPort: 67, dstPort: 68 });
    const lease = leaseFromAck(decode4(ack!.payload), { now: 0, hostnameRequested: true, onError: (e) => expect.fail(e.message) });
    expect(lease).toMatchObject({ address: '192.0.2.123', prefixLength: 24, routers: ['192.0.2.1'], dns: ['192.0.2.53', '192.0.2.54'], mtu: 1450, searchDomains: ['corp.example.com', 'example.com'] });
    expect(lease?.classlessRoutes).toEqual([{ dst: '10.0.0.0/8', router: '192.0.2.254' }, { dst: '0.0.0.0/0', router: '192.0.2.1' }]);
    expect(decode4(parseUdpPacket(seed('dhcp4-offer-ip'), { verifyChecksum: false })!.payload).yiaddr).toBe('192.0.2.123');
    for (const name of ['dhcp6-advertise', 'dhcp6-reply']) {
      const offer = examineOffer(decode6(seed(name)), 0x00123456);
      expect(offer.ok, name).toBe(true);
    }
  });

  // runClient4/6 throw a ContractViolation unless the client reports the bad packet exactly once, changes nothing, and binds on the next clean exchange
  it('a client drops a recorded ACK cut inside an option (one report, nothing changed) and binds on the next whole one', () => {
    const ack = parseUdpPacket(seed('dhcp4-ack-ip'), { verifyChecksum: false })!.payload;
    const cut = ack.subarray(0, 300); // inside the options
    expect(() => decode4(cut)).toThrow(/runs past the end of the options|option length missing/);
    for (const phase of [0, 1, 2]) expect(() => dhcpChecks.runClient4(phase, cut), `phase ${phase}`).not.toThrow();
    const reply = seed('dhcp6-reply');
    const cut6 = reply.subarray(0, reply.length - 3);
    expect(() => decode6(cut6)).toThrow(/claims \d+ bytes/);
    for (const phase of [0, 1, 2]) expect(() => dhcpChecks.runClient6(phase, cut6), `phase ${phase}`).not.toThrow();
  });

  it.each(dhcpTargets.map((t) => [t.name, t] as const))('%s', async (_name, target) => {
    const r = await runTarget(target as Parameters<typeof runTarget>[0], { numRuns: RUNS, seed: SEED });
    expect(r.failure, formatFailure(r)).toBeUndefined();
  });
});
