// netcfg apply on a real kernel, each test in fresh namespaces, checked with ip -j.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyJson, netcfg } from '../helpers/cli.js';
import { createTestNet } from '../helpers/netns.js';

type Json = Record<string, unknown>;

const FULL = `version: v1alpha1
machine:
  type: worker
  network:
    interfaces:
      - interface: eth0
        mtu: 1400
        addresses:
          - 192.0.2.10/24
          - 192.0.2.11            # bare IP: /32
          - 2001:db8::10/64
        routes:
          - network: 0.0.0.0/0
            gateway: 192.0.2.1
          - gateway: 2001:db8::1                 # IPv6 default route
          - network: 198.51.100.0/24
            gateway: 192.0.2.1
            source: 192.0.2.10
            metric: 100
            mtu: 1300
          - network: 203.0.113.0/24              # link scope
          - network: 10.20.0.0/16
            gateway: 192.0.2.1
            table: 1000
          - network: 10.30.0.0/16
            gateway: 192.0.2.1
            table: 100
            metric: 5
          - network: 2001:db8:ffff::/48
            gateway: 2001:db8::1
            metric: 300
`;

function route(routes: Json[], dst: string, table?: string): Json | undefined {
  return routes.find((r) => r.dst === dst && (table === undefined ? r.table === undefined : r.table === table));
}

describe('netcfg apply (real kernel)', () => {
  it('applies MTU, up, IPv4/IPv6 addresses and every route form', async () => {
    const net = createTestNet();
    const file = net.file('full.yaml', FULL);
    const result = await applyJson(net, file);
    expect(result.errors).toEqual([]);
    // the 10 addresses and routes; eth0 and, from the default layer, lo brought up
    expect(result.summary).toMatchObject({ added: 10, changed: 2, removed: 0 });
    expect(net.json('link', 'show', 'lo')[0]!.flags).toContain('UP');

    const [link] = net.json('link', 'show', 'eth0');
    expect(link).toMatchObject({ ifname: 'eth0', mtu: 1400 });
    expect(link!.flags).toContain('UP');

    const addrs = (net.json('addr', 'show', 'eth0')[0]!.addr_info as Json[]).map((a) => `${a.local}/${a.prefixlen} ${a.scope}`);
    expect(addrs).toEqual(expect.arrayContaining(['192.0.2.10/24 global', '192.0.2.11/32 global', '2001:db8::10/64 global']));

    const v4 = net.json('-4', 'route', 'show', 'table', 'all');
    expect(route(v4, 'default')).toMatchObject({ gateway: '192.0.2.1', dev: 'eth0', protocol: 'static', metric: 1024 });
    expect(route(v4, '198.51.100.0/24')).toMatchObject({ gateway: '192.0.2.1', prefsrc: '192.0.2.10', metric: 100, metrics: [{ mtu: 1300 }], protocol: 'static' });
    expect(route(v4, '203.0.113.0/24')).toMatchObject({ dev: 'eth0', scope: 'link', metric: 1024, protocol: 'static' });
    expect(route(v4, '10.20.0.0/16', '1000')).toMatchObject({ gateway: '192.0.2.1', metric: 1024 });
    expect(route(v4, '10.30.0.0/16', '100')).toMatchObject({ gateway: '192.0.2.1', metric: 5 });
    expect(route(v4, '10.20.0.0/16')).toBeUndefined(); // not in main

    const v6 = net.json('-6', 'route', 'show', 'table', 'all');
    expect(route(v6, 'default')).toMatchObject({ gateway: '2001:db8::1', dev: 'eth0', metric: 1024, protocol: 'static' });
    expect(route(v6, '2001:db8:ffff::/48')).toMatchObject({ gateway: '2001:db8::1', metric: 300, protocol: 'static' });
  });

  it('re-applying the same config changes nothing and sends zero netlink writes', async () => {
    const net = createTestNet();
    const file = net.file('full.yaml', FULL);
    await applyJson(net, file);
    const before = net.dump();
    const again = await applyJson(net, file);
    expect(again.changes).toEqual([]);
    expect(again.summary).toEqual({ added: 0, changed: 0, removed: 0, netlinkWrites: 0 });
    const text = await netcfg(['apply', '--netns', net.ns, '--state-dir', net.stateDir, file]);
    expect(text.exitCode).toBe(0);
    expect(text.stdout.trim()).toBe('apply: 0 added, 0 changed, 0 removed (0 netlink writes)');
    expect(net.dump()).toEqual(before);
  });

  it('a re-apply of an unchanged file takes the config from its validated copy; a changed file is validated again', async () => {
    const net = createTestNet();
    const config = (addr: string) => `machine:\n  type: join\n  network:\n    interfaces:\n      - interface: eth0\n        addresses: [${addr}]\n`;
    const file = net.file('a.yaml', config('192.0.2.10/24'));
    const copyFile = path.join(net.stateDir, `netns-${net.ns}.json.validated-config`);
    const apply = (...extra: string[]) => netcfg(['apply', '--netns', net.ns, '--state-dir', net.stateDir, '--etc-dir', `${net.dir}/etc`, ...extra, file]);
    const addresses = () => (net.json('addr', 'show', 'dev', 'eth0')[0]!.addr_info as Json[]).filter((a) => a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`);
    const first = await apply();
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stderr).toContain('machine type "join" is deprecated');
    expect(addresses()).toEqual(['192.0.2.10/24']);
    if (process.env.NETCFG_ENTRY === 'dist') {
      // the plain build has no build ID (src/util/build-id.ts): it keeps no copy and validates at every apply
      expect(fs.existsSync(copyFile)).toBe(false);
      fs.writeFileSync(file, config('192.0.2.300/24'));
      expect((await apply()).exitCode).toBe(2);
      return;
    }
    // the copy the daemon keeps too (daemon.test.ts): the config as validated, with its text
    expect((fs.statSync(copyFile).mode & 0o777).toString(8)).toBe('600');
    const kept = JSON.parse(fs.readFileSync(copyFile, 'utf8')) as { config: { machine: { network: { interfaces: Array<{ addresses: string[] }> } } } };
    expect(kept).toMatchObject({ text: config('192.0.2.10/24') });
    // the next apply of the same text uses the copy, not the file: shown with a copy whose config is not its
    // text's (netcfg never writes such a copy; the state directory is root's); its notes are printed as before
    kept.config.machine.network.interfaces[0]!.addresses = ['192.0.2.20/24'];
    fs.writeFileSync(copyFile, JSON.stringify(kept));
    const second = await apply();
    expect(second.exitCode, second.stderr).toBe(0);
    expect(second.stderr).toBe(first.stderr);
    expect(addresses()).toEqual(['192.0.2.20/24']);
    // a changed file is validated again: a bad one is refused with its position, nothing changed
    fs.writeFileSync(file, config('192.0.2.300/24'));
    const bad = await apply();
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/a\.yaml:6:\d+: error: machine\.network\.interfaces\[0\]\.addresses\[0\]/);
    expect(addresses()).toEqual(['192.0.2.20/24']);
    // a dry run reads the copy but never writes one; a real apply of a new text replaces it
    fs.writeFileSync(file, config('192.0.2.11/24'));
    expect((await apply('--dry-run')).exitCode).toBe(0);
    expect(JSON.parse(fs.readFileSync(copyFile, 'utf8'))).toMatchObject({ text: config('192.0.2.10/24') });
    expect((await apply()).exitCode).toBe(0);
    expect(addresses()).toEqual(['192.0.2.11/24']);
    expect(JSON.parse(fs.readFileSync(copyFile, 'utf8'))).toMatchObject({ text: config('192.0.2.11/24') });
  });

  it('removing config entries removes exactly what netcfg created; foreign objects survive', async () => {
    const net = createTestNet();
    net.ip('link', 'set', 'eth0', 'up');
    net.ip('addr', 'add', '192.0.2.99/24', 'dev', 'eth0'); // foreign, present before netcfg
    net.ip('route', 'add', '10.99.0.0/16', 'via', '192.0.2.1', 'metric', '7'); // foreign route
    const file = net.file('full.yaml', FULL);
    await applyJson(net, file);
    net.ip('-6', 'route', 'add', '2001:db8:99::/48', 'via', '2001:db8::1', 'dev', 'eth0'); // foreign, added between applies

    const reduced = FULL.replace('          - 192.0.2.11            # bare IP: /32\n', '').replace(
      '          - network: 10.20.0.0/16\n            gateway: 192.0.2.1\n            table: 1000\n',
      '',
    );
    const result = await applyJson(net, net.file('reduced.yaml', reduced));
    expect(result.changes.map((c) => `${c.action} ${c.kind} ${c.id}`).sort()).toEqual(['remove address eth0/192.0.2.11/32', 'remove route 1000/inet4/192.0.2.1/10.20.0.0/16/1024']);

    const addrs = (net.json('addr', 'show', 'eth0')[0]!.addr_info as Json[]).map((a) => `${a.local}/${a.prefixlen}`);
    expect(addrs).toContain('192.0.2.99/24');
    expect(addrs).toContain('192.0.2.10/24');
    expect(addrs).not.toContain('192.0.2.11/32');
    expect(route(net.json('-4', 'route', 'show', 'table', 'all'), '10.20.0.0/16', '1000')).toBeUndefined();
    expect(route(net.json('-4', 'route', 'show'), '10.99.0.0/16')).toMatchObject({ gateway: '192.0.2.1', metric: 7 });
    expect(route(net.json('-6', 'route', 'show'), '2001:db8:99::/48')).toBeDefined();

    // an empty config undoes everything netcfg did, and nothing else
    const empty = await applyJson(net, net.file('empty.yaml', 'version: v1alpha1\nmachine:\n  network: {}\n'));
    expect(empty.errors).toEqual([]);
    const left = (net.json('addr', 'show', 'eth0')[0]!.addr_info as Json[]).filter((a) => a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`);
    expect(left).toEqual(['192.0.2.99/24']);
    const v4 = net.json('-4', 'route', 'show', 'table', 'all');
    expect(v4.filter((r) => r.protocol === 'static')).toEqual([]); // netcfg's routes are all gone
    expect(route(v4, '10.99.0.0/16')).toMatchObject({ gateway: '192.0.2.1', metric: 7 }); // the foreign one is not
    expect(route(net.json('-6', 'route', 'show'), '2001:db8:99::/48')).toBeDefined();
    const [link] = net.json('link', 'show', 'eth0');
    expect(link).toMatchObject({ mtu: 1500 }); // MTU restored; the link stays up: it was up before netcfg
    expect(link!.flags).toContain('UP');
  });

  it('after a reboot, the records of an earlier boot claim nothing: an address someone added since is left alone', async () => {
    const run = async (reboot: boolean) => {
      const net = createTestNet();
      const withAddress = net.file('a.yaml', 'machine:\n  network:\n    interfaces:\n      - interface: eth0\n        addresses: [192.0.2.10/24, 192.0.2.50/24]\n');
      await applyJson(net, withAddress);
      const stateFile = path.join(net.stateDir, `netns-${net.ns}.json`);
      if (reboot) {
        // the same state file, as the next boot finds it (the kernel's objects went with the old boot;
        // 192.0.2.50/24, still there, now stands for one someone else added after the reboot)
        const data = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as Record<string, unknown>;
        expect(data.boot).toBe(fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
        fs.writeFileSync(stateFile, JSON.stringify({ ...data, boot: '00000000-0000-4000-8000-000000000000' }));
      }
      const result = await applyJson(net, net.file('b.yaml', 'machine:\n  network:\n    interfaces:\n      - interface: eth0\n        addresses: [192.0.2.10/24]\n'));
      const addrs = (net.json('addr', 'show', 'eth0')[0]!.addr_info as Json[]).map((a) => `${a.local}/${a.prefixlen}`);
      return { changes: result.changes.map((c) => `${c.action} ${c.kind} ${c.id}`), addrs, boot: (JSON.parse(fs.readFileSync(stateFile, 'utf8')) as Record<string, unknown>).boot };
    };
    // the same boot: 192.0.2.50/24 is netcfg's, and goes
    const sameBoot = await run(false);
    expect(sameBoot.changes).toContain('remove address eth0/192.0.2.50/24');
    expect(sameBoot.addrs).not.toContain('192.0.2.50/24');
    // after a reboot: not netcfg's any more
    const rebooted = await run(true);
    expect(rebooted.changes.filter((c) => c.startsWith('remove'))).toEqual([]);
    expect(rebooted.addrs).toEqual(expect.arrayContaining(['192.0.2.10/24', '192.0.2.50/24']));
    // and the file is this boot's again
    expect(rebooted.boot).toBe(fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
  });

  it('works through --netns and through ip netns exec, sharing state', async () => {
    const net = createTestNet();
    const file = net.file('a.yaml', 'machine:\n  network:\n    interfaces:\n      - interface: eth0\n        addresses: [192.0.2.10/24, 192.0.2.20/24]\n');
    const viaFlag = await netcfg(['apply', '--netns', net.ns, '--state-dir', net.stateDir, file]);
    expect(viaFlag.stdout).toContain('apply: 2 added, 2 changed, 0 removed');
    const smaller = net.file('b.yaml', 'machine:\n  network:\n    interfaces:\n      - interface: eth0\n        addresses: [192.0.2.10/24]\n');
    const viaExec = await netcfg(['apply', '--state-dir', net.stateDir, smaller], { netnsExec: net.ns });
    expect(viaExec.stderr).toBe('');
    expect(viaExec.stdout).toContain('- address eth0/192.0.2.20/24');
    expect(viaExec.stdout).toContain('apply: 0 added, 0 changed, 1 removed');
    const get = await netcfg(['get', 'addresses', '-o', 'json'], { netnsExec: net.ns });
    expect(get.stdout).toContain('"address": "192.0.2.10/24"');
    expect(get.stdout).not.toContain('192.0.2.20');
  });

  it('rejects bad values with exit 2, the YAML path and line, and no kernel change', async () => {
    const net = createTestNet();
    const before = net.dump();
    const bad = net.file(
      'bad.yaml',
      'machine:\n  network:\n    interfaces:\n      - interface: eth0\n        mtu: 9000\n        addresses: [10.0.0.300/24]\n        routes:\n          - network: 10.1.0.0/16\n            gateway: foo\n',
    );
    const r = await netcfg(['apply', '--netns', net.ns, '--state-dir', net.stateDir, bad]);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${bad}:6:21: error: machine.network.interfaces[0].addresses[0]: invalid address "10.0.0.300/24"`);
    expect(r.stderr).toContain(`${bad}:9:22: error: machine.network.interfaces[0].routes[0].gateway: invalid IP address "foo"`);
    expect(r.stderr).toContain('nothing was changed');
    expect(net.dump()).toEqual(before);
    const v = await netcfg(['validate', bad]);
    expect(v.exitCode).toBe(2);
  });

  it('shows the kernel explanation when a gateway is outside every local subnet, and applies the rest', async () => {
    const net = createTestNet();
    const file = net.file(
      'gw.yaml',
      'machine:\n  network:\n    interfaces:\n      - interface: eth0\n        addresses: [192.0.2.10/24]\n        routes:\n          - network: 10.1.0.0/16\n            gateway: 203.0.113.1\n          - network: 10.2.0.0/16\n            gateway: 192.0.2.1\n',
    );
    const r = await netcfg(['apply', '--netns', net.ns, '--state-dir', net.stateDir, file]);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain('error: add route 10.1.0.0/16 via 203.0.113.1 dev eth0 metric 1024: Nexthop has invalid gateway [ENETUNREACH]');
    expect(route(net.json('-4', 'route', 'show'), '10.2.0.0/16')).toMatchObject({ gateway: '192.0.2.1' });
    expect(route(net.json('-4', 'route', 'show'), '10.1.0.0/16')).toBeUndefined();
  });

  it('--dry-run prints the plan and touches nothing', async () => {
    const net = createTestNet();
    const before = net.dump();
    const file = net.file('full.yaml', FULL);
    const r = await netcfg(['apply', '--dry-run', '--netns', net.ns, '--state-dir', net.stateDir, file]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('~ link eth0: mtu 1500 → 1400, down → up');
    expect(r.stdout).toContain('+ address eth0/2001:db8::10/64');
    expect(r.stdout).toContain('+ route inet4/192.0.2.1/198.51.100.0/24/100: route 198.51.100.0/24 via 192.0.2.1 dev eth0 metric 100');
    expect(r.stdout).toContain('~ link lo: down → up');
    // the plan also lists lo's 127.0.0.1/8: in a real run the kernel adds it itself when lo comes up
    expect(r.stdout).toContain('+ address lo/127.0.0.1/8');
    expect(r.stdout).toContain('dry run: would apply 11 added, 2 changed, 0 removed; nothing was changed');
    expect(net.dump()).toEqual(before);
    const real = await applyJson(net, file);
    expect(real.summary.added).toBe(10);
  });

  it('reports a link that does not exist yet as pending and configures it on a later apply', async () => {
    const net = createTestNet();
    const file = net.file('late.yaml', 'machine:\n  network:\n    interfaces:\n      - interface: late0\n        mtu: 1300\n        addresses: [192.0.2.50/24]\n');
    const r = await applyJson(net, file);
    expect(r.pending).toEqual(['link late0 is not present; it is configured when it appears', 'address 192.0.2.50/24: link late0 is not present']);
    net.ip('link', 'add', 'late0', 'type', 'veth', 'peer', 'name', 'late1');
    const again = await applyJson(net, file);
    expect(again.summary).toMatchObject({ added: 1, changed: 1 });
    expect(net.json('link', 'show', 'late0')[0]).toMatchObject({ mtu: 1300 });
  });
});
