// The shared VIP end to end: three control-plane namespaces on one bridge, each
// with an etcd member of one 3-member cluster and a netcfg daemon carrying the
// same vip, and a client namespace (test/helpers/vip-lab.ts). One etcd cluster
// serves the whole file. Lease TTL 2 s (the minimum) keeps failovers short.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VIP4, VIP6, VipLab, run, sleep, waitFor, type LabNode } from '../helpers/vip-lab.js';

const TTL = 2;

describe.sequential('shared VIP (etcd election, 3 nodes)', () => {
  const lab = new VipLab('a');
  let dump: Awaited<ReturnType<VipLab['tcpdump']>>;

  beforeAll(async () => {
    try {
      lab.build();
      await lab.startCluster();
      lab.startNameServers();
      dump = await lab.tcpdump();
      await Promise.all(lab.nodes.map((n) => lab.startDaemon(n, { leaseTtl: TTL })));
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${lab.logs()}`);
    }
  }, 90_000);

  afterAll(async () => {
    await lab.teardown();
  }, 60_000);

  const others = (n: LabNode) => lab.nodes.filter((x) => x !== n);

  it('elects exactly one owner, which announces the VIP with a gratuitous ARP and answers TCP on it', async () => {
    const owner = await lab.owner();
    await sleep(500);
    expect((await lab.holders()).map((n) => n.name)).toEqual([owner.name]);

    // the client saw the gratuitous ARP: a request for the VIP from the VIP, from the owner's MAC, to broadcast
    const garp = await waitFor(5000, () => dump.lines().find((l) => l.includes(`${owner.mac} >`) && l.includes('ff:ff:ff:ff:ff:ff') && garpOf(l)), 'gratuitous ARP on the wire');
    expect(garp).toContain('ethertype ARP');
    // repeated: a lost frame does not strand clients
    await waitFor(3000, () => dump.lines().filter((l) => l.includes(`${owner.mac} >`) && garpOf(l)).length >= 3, 'the gratuitous ARP repeated');

    expect(lab.connect(VIP4)).toBe(owner.host);
    expect(lab.neighbour(VIP4)).toBe(owner.mac);

    // every node agrees on the owner; only the owner says it holds it
    for (const n of lab.nodes) {
      const s = await waitFor(5000, () => {
        const v = lab.vipStatus(n);
        return v && v.owner === owner.host ? v : undefined;
      }, `${n.name} sees ${owner.host} as the owner`);
      expect(s.thisNode).toBe(n === owner);
      expect(s.leaseTTL).toBe(TTL);
      expect(s.hostname).toBe(n.host);
      if (n === owner) expect(Date.now() - Date.parse(String(s.lastRenewal))).toBeLessThan(TTL * 1000);
    }
    // the VIP is not the node's own address: hosts keeps naming the node's address
    expect(fs.readFileSync(path.join(owner.dir, 'etc/hosts'), 'utf8')).not.toContain(VIP4);
    const status = lab.cli(owner, 'status');
    expect(status.stdout).toContain(`vip ${VIP4} on eth0: held by this node`);
    const standby = lab.cli(others(owner)[0]!, 'status');
    expect(standby.stdout).toContain(`vip ${VIP4} on eth0: owned by ${owner.host}, not this node`);
  });

  it('hands over within 0.5 s when the owner gets SIGTERM, never with two holders', async () => {
    // three hand-overs on a settled cluster; the median must be within 0.5 s (one slow
    // scheduling moment on a loaded machine does not decide), none may be slow beyond reason
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const owner = await lab.owner();
      await sleep(1000);
      const sampler = lab.sampler();
      await sleep(100);
      const t0 = Date.now();
      owner.daemon!.child.kill('SIGTERM');
      const next = await lab.owner(5000, VIP4, owner);
      times.push(Date.now() - t0);
      await owner.daemon!.exited;
      const { samples, doubles, timeline } = await sampler.stop();
      expect(doubles, JSON.stringify(timeline)).toEqual([]);
      expect(samples).toBeGreaterThan(5);
      // the client follows (the new owner's gratuitous ARP updates its neighbour entry)
      expect(await waitFor(3000, () => lab.connect(VIP4) === next.host, 'client reaches the new owner')).toBe(true);
      expect(lab.neighbour(VIP4)).toBe(next.mac);
      // the stopped node comes back as a standby
      await lab.startDaemon(owner, { leaseTtl: TTL });
      await sleep(TTL * 1000);
      expect((await lab.holders()).map((n) => n.name)).toEqual([next.name]);
    }
    process.stderr.write(`vip SIGTERM hand-overs: ${times.join(', ')} ms\n`);
    expect([...times].sort((a, b) => a - b)[1]!, times.join(', ')).toBeLessThanOrEqual(500);
    expect(Math.max(...times)).toBeLessThan(3000);
  }, 90_000);

  it('hands over at once when a config change removes the VIP, and when the owner\'s link goes down', async () => {
    const owner = await lab.owner();
    await sleep(500);
    let sampler = lab.sampler();
    const config = fs.readFileSync(lab.configFor(owner, {}), 'utf8').replace(/\n\s+vip:\n\s+ip: .*\n/, '\n');
    expect(config).not.toContain('vip:');
    const noVip = `${owner.dir}/no-vip.yaml`;
    fs.writeFileSync(noVip, config);
    const applied = lab.cli(owner, 'apply', noVip);
    expect(applied.status, applied.stderr).toBe(0);
    const next = await lab.owner(3000, VIP4, owner);
    let result = await sampler.stop();
    expect(result.doubles, JSON.stringify(result.timeline)).toEqual([]);
    // the VIP back in its config: the node is a standby behind the new owner
    expect(lab.cli(owner, 'apply', lab.configFor(owner, {})).status).toBe(0);
    await sleep(TTL * 1000);
    expect((await lab.holders()).map((n) => n.name)).toEqual([next.name]);

    sampler = lab.sampler();
    run('ip', ['-n', next.ns, 'link', 'set', 'eth0', 'down']);
    const third = await lab.owner(5000, VIP4, next);
    result = await sampler.stop();
    expect(result.doubles, JSON.stringify(result.timeline)).toEqual([]);
    run('ip', ['-n', next.ns, 'link', 'set', 'eth0', 'up']);
    await sleep(TTL * 1000);
    expect((await lab.holders()).map((n) => n.name)).toEqual([third.name]);
  }, 60_000);

  it('survives the owner losing power, also when it led etcd; a rebooted node drops the VIP it still had', async () => {
    for (const ownerLeadsEtcd of [true, false]) {
      const owner = await lab.owner();
      if (ownerLeadsEtcd) await lab.moveEtcdLeader(owner);
      else await lab.moveEtcdLeader(others(owner)[0]!);
      expect(lab.etcdLeader() === owner).toBe(ownerLeadsEtcd);
      const alive = others(owner);
      const t0 = await lab.powerOff(owner);
      // etcd needs TTL (plus a new etcd leader's extension when the crashed node led it)
      const next = await lab.owner(30_000, VIP4, undefined, alive);
      const failoverMs = Date.now() - t0;
      expect(await waitFor(5000, () => lab.connect(VIP4, 300) === next.host, `client reaches ${next.name}`, 50)).toBe(true);
      expect(lab.neighbour(VIP4)).toBe(next.mac);
      // the powered-off node still has the VIP in its kernel; rebooting, its daemon removes it before the links come up
      expect((await lab.holders()).map((n) => n.name).sort()).toEqual([owner.name, next.name].sort());
      await lab.powerOn(owner, { leaseTtl: TTL });
      expect(lab.daemonLog(owner).some((l) => l.msg === 'kernel change' && l.action === 'remove' && l.id === `eth0/${VIP4}/32`)).toBe(true);
      await sleep(500);
      expect((await lab.holders()).map((n) => n.name)).toEqual([next.name]);
      process.stderr.write(`vip crash failover (owner ${ownerLeadsEtcd ? 'led' : 'did not lead'} etcd): ${failoverMs} ms\n`);
    }
  }, 150_000);

  it('fences a partitioned owner: sampled every 10 ms, never two holders, and a new owner takes over', async () => {
    for (const ownerLeadsEtcd of [true, false]) {
      const owner = await lab.owner();
      if (ownerLeadsEtcd) await lab.moveEtcdLeader(owner);
      else await lab.moveEtcdLeader(others(owner)[0]!);
      const sampler = lab.sampler();
      await sleep(200);
      // etcd's bridge cut; the VIP's link stays up
      spawnIp(owner, 'link set eth1 down');
      const next = await lab.owner(30_000, VIP4, owner);
      await sleep(1000);
      spawnIp(owner, 'link set eth1 up');
      await lab.waitEtcdHealthy(lab.nodes);
      await sleep(TTL * 1000);
      const { samples, doubles, timeline } = await sampler.stop();
      expect(doubles, JSON.stringify(timeline)).toEqual([]);
      expect(samples).toBeGreaterThan(100);
      expect((await lab.holders()).map((n) => n.name)).toEqual([next.name]);
      expect(lab.daemonLog(owner).some((l) => String(l.msg).includes('no longer holding the VIP'))).toBe(true);
      expect(lab.connect(VIP4)).toBe(next.host);
    }
  }, 150_000);

  it('drops the VIP when etcd stops entirely, says why, and elects one owner when it is back', async () => {
    await lab.owner();
    for (const n of lab.nodes) await lab.kill(n.etcd, 'SIGTERM');
    await waitFor((TTL + 2) * 1000, async () => (await lab.holders()).length === 0, 'no node holds the VIP');
    for (const n of lab.nodes) {
      const s = await waitFor(5000, () => {
        const v = lab.vipStatus(n);
        return v && v.thisNode === false && String(v.reason).includes('etcd') ? v : undefined;
      }, `${n.name} reports why it has no VIP`);
      expect(String(s.reason)).toMatch(/127\.0\.0\.1:2379/);
    }
    for (const n of lab.nodes) lab.startEtcd(n);
    await lab.waitEtcdHealthy(lab.nodes);
    const owner = await lab.owner(20_000);
    await sleep(TTL * 1000);
    expect((await lab.holders()).map((n) => n.name)).toEqual([owner.name]);
  }, 90_000);

  it('IPv6 VIP: an unsolicited neighbour advertisement with the override flag, and the client follows the owner', async () => {
    for (const n of lab.nodes) await lab.kill(n.daemon, 'SIGTERM');
    expect(await lab.holders()).toEqual([]);
    await Promise.all(lab.nodes.map((n) => lab.startDaemon(n, { leaseTtl: TTL, vip: VIP6 })));
    const owner = await lab.owner(20_000, VIP6);
    const na = (mac: string) => dump.lines().find((l) => l.includes(`${mac} >`) && l.includes('33:33:00:00:00:01') && l.includes('neighbor advertisement') && l.includes(`tgt is ${VIP6}`));
    const first = await waitFor(5000, () => na(owner.mac), 'unsolicited NA on the wire');
    expect(first).toContain('Flags [override]');
    expect(first).toContain('hlim 255');
    expect(first).toContain('[icmp6 sum ok]');
    expect(first).toContain(`${VIP6} > ff02::1`);
    expect(await waitFor(5000, () => lab.connect(VIP6) === owner.host, 'client reaches the owner over IPv6')).toBe(true);
    expect(lab.neighbour(VIP6)).toBe(owner.mac);

    owner.daemon!.child.kill('SIGTERM');
    const next = await lab.owner(5000, VIP6, owner);
    await waitFor(3000, () => na(next.mac), 'the new owner advertises');
    // the client's existing entry is overridden by the advertisement (without it, it would keep the old MAC for seconds)
    await waitFor(1500, () => lab.neighbour(VIP6) === next.mac, "the client's neighbour entry follows the owner");
    expect(await waitFor(3000, () => lab.connect(VIP6) === next.host, 'client reaches the new owner over IPv6')).toBe(true);
  }, 90_000);
});

/** tcpdump -v: "Request who-has VIP (ff:ff:ff:ff:ff:ff) tell VIP" (sender = target = the VIP). */
function garpOf(line: string): boolean {
  return new RegExp(`Request who-has ${VIP4.replace(/\./g, '\\.')} (\\(ff:ff:ff:ff:ff:ff\\) )?tell ${VIP4.replace(/\./g, '\\.')},`).test(line);
}

function spawnIp(node: LabNode, cmd: string): void {
  run('ip', ['-n', node.ns, ...cmd.split(' ')]);
}
