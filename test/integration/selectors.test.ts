// Device selectors and link names on a real kernel, in test namespaces (veth
// links): glob/AND/no-match behaviour, config that names links by alias or
// altname, hardware facts with and without a sysfs for the namespace.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyJson, netcfg } from '../helpers/cli.js';
import { parseJsonStream } from '../helpers/json-stream.js';
import { createTestNet, type TestNet } from '../helpers/netns.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Three veths eth0..eth2 with chosen MACs: two under 02:00:00:00:01:, one under 02:00:00:00:02:. */
function threeLinks(): TestNet {
  const net = createTestNet({ interfaces: 2 });
  net.ip('link', 'add', 'eth2', 'type', 'veth', 'peer', 'name', 'peer2');
  net.ip('link', 'set', 'eth0', 'address', '02:00:00:00:01:01');
  net.ip('link', 'set', 'eth1', 'address', '02:00:00:00:01:02');
  net.ip('link', 'set', 'eth2', 'address', '02:00:00:00:02:01');
  return net;
}

const mtus = (net: TestNet) => Object.fromEntries(net.json('link', 'show').map((l) => [l.ifname as string, l.mtu as number]));
const globals = (net: TestNet, name: string): string[] =>
  (net.json<Json[]>('addr', 'show', name)[0]!.addr_info as Json[]).filter((a) => a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`);

async function getLinks(net: TestNet, extra: string[] = []): Promise<Map<string, Json>> {
  const r = await netcfg(['get', 'links', '-o', 'json', '--netns', net.ns, ...extra]);
  expect(r.exitCode, r.stderr).toBe(0);
  return new Map(parseJsonStream<Json>(r.stdout).map((x) => [x.metadata.id as string, x.spec as Json]));
}

describe('device selectors on veth links', () => {
  it('globs match anywhere and ANDed fields must all match; a multi-match clones the block', async () => {
    const net = threeLinks();
    const file = net.file(
      'sel.yaml',
      `machine:
  network:
    interfaces:
      - deviceSelector: {hardwareAddr: "02:00:00:00:01:*", driver: "ve*"}
        mtu: 1400
      - deviceSelector: {hardwareAddr: "*:02:01", driver: veth}
        addresses: [192.0.2.21/24]
`,
    );
    const r = await applyJson(net, file);
    expect(r.errors).toEqual([]);
    expect(r.pending).toEqual([]);
    expect(mtus(net)).toMatchObject({ eth0: 1400, eth1: 1400, eth2: 1500 });
    expect(globals(net, 'eth2')).toEqual(['192.0.2.21/24']);
    expect(globals(net, 'eth0')).toEqual([]);
    const again = await applyJson(net, file);
    expect(again.summary.netlinkWrites).toBe(0);
  });

  it('no match (one ANDed field fails, case differs, not physical): nothing is changed, the block waits with a warning', async () => {
    const net = threeLinks();
    net.ip('link', 'set', 'lo', 'up'); // the default layer's only change
    const before = net.dump();
    const file = net.file(
      'none.yaml',
      `machine:
  network:
    interfaces:
      - deviceSelector: {hardwareAddr: "02:00:00:00:01:*", driver: virtio_net}
        mtu: 1400
      - deviceSelector: {hardwareAddr: "02:00:00:00:01:0*", physical: true}
        mtu: 1400
      - deviceSelector: {driver: VETH}
        mtu: 1400
`,
    );
    const r = await netcfg(['apply', '--netns', net.ns, '--state-dir', net.stateDir, '--etc-dir', `${net.dir}/etc`, file]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('pending: interfaces[0]: no link matches deviceSelector hardwareAddr=02:00:00:00:01:* driver=virtio_net');
    expect(r.stdout).toContain('pending: interfaces[1]: no link matches deviceSelector hardwareAddr=02:00:00:00:01:0* physical=true');
    expect(r.stdout).toContain('pending: interfaces[2]: no link matches deviceSelector driver=VETH');
    expect(r.stderr).toContain('device selector matches no link');
    expect(net.dump()).toBe(before);
  });
});

describe('links named by alias or altname', () => {
  it('addresses, routes and MTU resolve through altnames and aliases; undone through them too (VLANs: test/kernel/names.kernel.ts)', async () => {
    const net = createTestNet({ interfaces: 2 });
    net.ip('link', 'property', 'add', 'dev', 'eth0', 'altname', 'upl-altname');
    net.ip('link', 'set', 'eth1', 'alias', 'wan');
    net.ip('link', 'set', 'lo', 'up');
    const before = net.dump();
    const file = net.file(
      'names.yaml',
      `machine:
  network:
    interfaces:
      - interface: upl-altname
        addresses: [192.0.2.10/24]
        routes: [{network: 203.0.113.0/24, gateway: 192.0.2.1}]
      - interface: wan
        mtu: 1400
`,
    );
    const r = await applyJson(net, file);
    expect(r.errors).toEqual([]);
    expect(r.pending).toEqual([]);
    expect(globals(net, 'eth0')).toEqual(['192.0.2.10/24']);
    expect(net.json('route', 'show', '203.0.113.0/24')).toMatchObject([{ dev: 'eth0', gateway: '192.0.2.1' }]);
    expect(mtus(net)).toMatchObject({ eth1: 1400 });

    const again = await applyJson(net, file);
    expect(again.changes).toEqual([]);
    expect(again.summary.netlinkWrites).toBe(0);

    await applyJson(net, net.file('empty.yaml', 'machine: {}\n'));
    expect(net.dump()).toBe(before);
  });

  it('`get links` shows the alias and altnames (yaml), and the driver, its version, speed, port and duplex as ethtool says', async () => {
    const net = createTestNet();
    net.ip('link', 'property', 'add', 'dev', 'eth0', 'altname', 'first-alt', 'altname', 'second-alt');
    net.ip('link', 'set', 'eth0', 'alias', 'uplink');
    const links = await getLinks(net);
    expect(links.get('eth0')).toMatchObject({ alias: 'uplink', altNames: ['first-alt', 'second-alt'], driver: 'veth', busPath: '', pciID: '', physical: false });
    // what the ethtool tool prints for the same link (a veth: 10000Mb/s, Full, Twisted Pair; its driver version)
    const tool = (...args: string[]) => execFileSync('ip', ['netns', 'exec', net.ns, 'ethtool', ...args], { encoding: 'utf8' });
    const settings = tool('eth0');
    const info = tool('-i', 'eth0');
    const field = (text: string, name: string) => new RegExp(`^\\s*${name}: ?(.*)$`, 'm').exec(text)?.[1]?.trim();
    expect(field(settings, 'Speed')).toBe(`${links.get('eth0')!.speedMbit}Mb/s`);
    expect(field(settings, 'Duplex')).toBe(links.get('eth0')!.duplex);
    expect(field(settings, 'Port')?.replace(/ /g, '')).toBe(links.get('eth0')!.port);
    expect(links.get('eth0')).toMatchObject({ speedMbit: 10000, duplex: 'Full', port: 'TwistedPair' });
    expect(links.get('eth0')!.driverVersion).toBe(field(info, 'version'));
    expect(links.get('eth0')!.driverVersion).not.toBe('');
    expect(links.get('eth0')!.firmwareVersion).toBe(field(info, 'firmware-version') ?? '');
    // loopback has no link settings
    expect(links.get('lo')).not.toHaveProperty('speedMbit');
    expect(links.get('lo')).not.toHaveProperty('port');
    const yaml = await netcfg(['get', 'links', '-o', 'yaml', '--netns', net.ns]);
    expect(yaml.stdout).toMatch(/altNames:\n\s+- first-alt\n\s+- second-alt/);
  });
});

describe('hardware facts and the namespace rule', () => {
  /** A sysfs tree in which `name` (with the kernel's ifindex) is a virtio NIC at 0000:00:05.0. */
  function fakeSysfs(net: TestNet, name: string): string {
    const root = path.join(net.dir, 'sys');
    const pci = path.join(root, 'devices/pci0000:00/0000:00:05.0');
    const virtio = path.join(pci, 'virtio1');
    const dev = path.join(virtio, 'net', name);
    const ifindex = String(net.json('link', 'show', name)[0]!.ifindex);
    fs.mkdirSync(dev, { recursive: true });
    fs.mkdirSync(path.join(root, 'bus/pci'), { recursive: true });
    fs.mkdirSync(path.join(root, 'bus/virtio'), { recursive: true });
    fs.mkdirSync(path.join(root, 'class/net'), { recursive: true });
    fs.writeFileSync(path.join(root, 'devices/pci0000:00/uevent'), '');
    fs.writeFileSync(path.join(pci, 'uevent'), 'DRIVER=virtio-pci\nPCI_ID=1AF4:1000\nPCI_SLOT_NAME=0000:00:05.0\n');
    fs.symlinkSync('../../../bus/pci', path.join(pci, 'subsystem'));
    fs.writeFileSync(path.join(virtio, 'uevent'), 'DRIVER=virtio_net\n');
    fs.symlinkSync('../../../../bus/virtio', path.join(virtio, 'subsystem'));
    for (const [f, v] of [['type', '1'], ['ifindex', ifindex], ['iflink', ifindex], ['address', '52:54:00:12:34:05'], ['addr_assign_type', '0'], ['name_assign_type', '1']]) {
      fs.writeFileSync(path.join(dev, f!), `${v}\n`);
    }
    fs.symlinkSync('../../../virtio1', path.join(dev, 'device'));
    fs.symlinkSync(path.relative(path.join(root, 'class/net'), dev), path.join(root, 'class/net', name));
    return root;
  }

  it('--netns without --sysfs-root: no sysfs facts; with it: driver, pciID and busPath from that tree (and a veth is still never renamed)', async () => {
    const net = createTestNet();
    const root = fakeSysfs(net, 'eth0');
    expect((await getLinks(net)).get('eth0')).toMatchObject({ driver: 'veth', pciID: '', busPath: '' });
    expect((await getLinks(net, ['--sysfs-root', root])).get('eth0')).toMatchObject({ driver: 'virtio_net', pciID: '1AF4:1000', busPath: '0000:00:05.0' });

    const file = net.file('pci.yaml', 'machine:\n  network:\n    interfaces:\n      - deviceSelector: {pciID: "1AF4:*", busPath: "0000:00:05.0"}\n        mtu: 1400\n');
    const without = await applyJson(net, file, 0, ['--dry-run']);
    expect(without.pending.join('\n')).toContain('no link matches deviceSelector');
    const withRoot = await applyJson(net, file, 0, ['--sysfs-root', root]);
    expect(withRoot.errors).toEqual([]);
    // eth0 is a veth (it has a link kind): the tree's "kernel-assigned name" does not make netcfg rename it
    expect(withRoot.changes.filter((c) => c.detail?.includes('rename'))).toEqual([]);
    expect(withRoot.changes.find((c) => c.kind === 'link' && c.id === 'eth0')?.detail).toContain('mtu 1500 → 1400');
    expect(mtus(net)).toMatchObject({ eth0: 1400 });
  });

  it('`ip netns exec` (no --netns): the namespace has its own /sys, which is read (veths: no device)', async () => {
    const net = createTestNet();
    const r = await netcfg(['get', 'links', '-o', 'json', '--log-level', 'debug'], { netnsExec: net.ns });
    expect(r.exitCode, r.stderr).toBe(0);
    const eth0 = parseJsonStream<Json>(r.stdout).find((x) => x.metadata.id === 'eth0');
    expect(eth0?.spec).toMatchObject({ driver: 'veth', physical: false });
    expect(r.stderr).not.toContain('sysfs shows another link');
  });
});
