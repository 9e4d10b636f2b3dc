// CI-sized fuzzing of the DHCPv4 and DHCPv6 decoders and clients (bench/fuzz.mjs
// runs millions of cases): decode or throw the protocol's own decode error; a
// client drops a bad packet (one report) and goes on.
import { describe, expect, it } from 'vitest';
import { dhcpTargets } from '../fuzz/dhcp.js';
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

  it.each(dhcpTargets.map((t) => [t.name, t] as const))('%s', async (_name, target) => {
    const r = await runTarget(target as Parameters<typeof runTarget>[0], { numRuns: RUNS, seed: SEED });
    expect(r.failure, formatFailure(r)).toBeUndefined();
  });
});
