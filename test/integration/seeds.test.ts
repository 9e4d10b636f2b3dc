// Every example of the seeds' guides (test/fixtures/seeds) validates, and
// `netcfg get` shows the specs it should produce. Two examples are misprinted in
// the docs; their as-written versions fail with a message that points at the typo.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { netcfg } from '../helpers/cli.js';
import { parseJsonStream } from '../helpers/json-stream.js';
import { createTestNet, type TestNet } from '../helpers/netns.js';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/seeds');
const seed = (name: string) => path.join(dir, name);

interface Res {
  metadata: { namespace: string; id: string };
  spec: Record<string, unknown>;
}

/** Merged specs (namespace network) of a kind for a config, by ID. */
async function specs(net: TestNet, kind: string, file: string): Promise<Map<string, Record<string, unknown>>> {
  const r = await netcfg(['get', kind, '-o', 'json', '-c', file, '--netns', net.ns, '--state-dir', net.stateDir]);
  expect(r.exitCode, r.stderr).toBe(0);
  return new Map(parseJsonStream<Res>(r.stdout).filter((x) => x.metadata.namespace === 'network').map((x) => [x.metadata.id, x.spec]));
}

describe("the seeds' examples", () => {
  const valid = fs.readdirSync(dir).filter((f) => f.endsWith('.yaml') && !f.endsWith('-as-written.yaml'));

  it.each(valid)('%s validates', async (name) => {
    const r = await netcfg(['validate', seed(name)]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/: valid \(\d+ interfaces?\)$/);
  });

  it('has every guide example', () => {
    expect(valid.sort()).toEqual(
      [
        'bond-device-selectors.yaml',
        'device-selector.yaml',
        'dhcp.yaml',
        'discovery-service-disabled.yaml',
        'jumbo.yaml',
        'kubespan-advanced.yaml',
        'kubespan-new-cluster.yaml',
        'multiple-interfaces.yaml',
        'proxy.yaml',
        'single-nic-bus-path.yaml',
        'static-ip.yaml',
        'vip-single-nic-selector.yaml',
        'vip.yaml',
        'wireguard.yaml',
      ].sort(),
    );
  });

  it('the misprinted examples fail where the docs are wrong', async () => {
    const selector = await netcfg(['validate', seed('device-selector-as-written.yaml')]);
    expect(selector.exitCode).toBe(2);
    expect(selector.stderr).toContain(':8:9: error: machine.network.interfaces[0].address: unknown key "address"; did you mean "addresses"?');
    const wg = await netcfg(['validate', seed('wireguard-as-written.yaml')]);
    expect(wg.exitCode).toBe(2);
    expect(wg.stderr).toContain(':14:13: error: machine.network.interfaces[0].wireguard.peers: expected a list of peers, got a mapping');
  });

  it('static IP: address, default route, MTU and resolvers', async () => {
    const net = createTestNet();
    const file = seed('static-ip.yaml');
    expect((await specs(net, 'addressspecs', file)).get('eth0/192.168.1.100/24')).toMatchObject({ scope: 'global', flags: 'permanent', layer: 'configuration' });
    expect((await specs(net, 'routespecs', file)).get('inet4/192.168.1.1//1024')).toMatchObject({ dst: '', gateway: '192.168.1.1', outLinkName: 'eth0', protocol: 'static' });
    expect((await specs(net, 'linkspecs', file)).get('eth0')).toMatchObject({ up: true, mtu: 1500 });
    expect((await specs(net, 'resolvers', file)).get('resolvers')).toEqual({ dnsServers: ['8.8.8.8', '1.1.1.1'], searchDomains: [] });
  });

  it('DHCP, multiple interfaces and jumbo frames: operators and links', async () => {
    const net = createTestNet();
    expect([...(await specs(net, 'operatorspecs', seed('dhcp.yaml'))).keys()]).toEqual(['dhcp4/eth0']);
    const multi = seed('multiple-interfaces.yaml');
    expect([...(await specs(net, 'operatorspecs', multi)).keys()]).toEqual(['dhcp4/eth0']);
    expect((await specs(net, 'routespecs', multi)).get('inet4/10.0.1.1/10.0.0.0/16/1024')).toMatchObject({ outLinkName: 'eth1' });
    expect((await specs(net, 'linkspecs', seed('jumbo.yaml'))).get('eth0')).toMatchObject({ mtu: 9000 });
  });

  it('VIP on an interface and on a VLAN', async () => {
    const net = createTestNet();
    const file = seed('vip.yaml');
    const ops = await specs(net, 'operatorspecs', file);
    expect([...ops.keys()].sort()).toEqual(['dhcp4/eth0', 'dhcp4/eth0.100', 'vip/eth0.100/192.168.1.15', 'vip/eth0/192.168.0.15']);
    expect(ops.get('vip/eth0/192.168.0.15')).toMatchObject({ vip: { ip: '192.168.0.15', gratuitousARP: true }, requireUp: true });
    expect((await specs(net, 'linkspecs', file)).get('eth0.100')).toMatchObject({ logical: true, kind: 'vlan', parentName: 'eth0', vlan: { vlanID: 100, vlanProtocol: '802.1q' } });
  });

  it('bond with device selectors: members found by hardware address, in selector order', async () => {
    const net = createTestNet({ interfaces: 2 });
    const file = seed('bond-device-selectors.yaml');
    const none = await netcfg(['apply', file, '--dry-run', '--netns', net.ns, '--state-dir', net.stateDir]);
    expect(none.stdout + none.stderr).toContain("no link matches the bond's deviceSelectors");
    net.ip('link', 'set', 'eth1', 'address', '00:50:56:8e:8f:e4');
    net.ip('link', 'set', 'eth0', 'address', '00:50:57:9c:2c:2d');
    const links = await specs(net, 'linkspecs', file);
    expect(links.get('bond0')).toMatchObject({ logical: true, kind: 'bond', bondMaster: { mode: 'balance-rr' } });
    expect(links.get('eth1')).toMatchObject({ bondSlave: { masterName: 'bond0', slaveIndex: 0 } });
    expect(links.get('eth0')).toMatchObject({ bondSlave: { masterName: 'bond0', slaveIndex: 1 } });
  });

  it('device selector clones the block for each matching link', async () => {
    const net = createTestNet({ interfaces: 2 });
    net.ip('link', 'set', 'eth0', 'address', '00:00:5e:00:53:01');
    const file = net.file('sel.yaml', 'machine:\n  network:\n    interfaces:\n      - deviceSelector: { hardwareAddr: "00:00:5e:*" }\n        addresses: [192.0.2.10/24]\n        mtu: 1400\n');
    const onEth = async () => [...(await specs(net, 'addressspecs', file)).keys()].filter((k) => k.startsWith('eth')).sort();
    expect(await onEth()).toEqual(['eth0/192.0.2.10/24']);
    expect((await specs(net, 'linkspecs', file)).get('eth0')).toMatchObject({ mtu: 1400 });
    net.ip('link', 'set', 'eth1', 'address', '00:00:5e:00:53:02');
    expect(await onEth()).toEqual(['eth0/192.0.2.10/24', 'eth1/192.0.2.10/24']);
  });

  it('the WireGuard device (keys redacted)', async () => {
    const net = createTestNet();
    const wg = (await specs(net, 'linkspecs', seed('wireguard.yaml'))).get('wg0');
    expect(wg).toMatchObject({
      kind: 'wireguard',
      type: 'nohdr',
      mtu: 1500,
      wireguard: { privateKey: '[redacted]', listenPort: 51820, peers: [{ publicKey: 'ZjpyxP5yxWgP+IaG3jd/0D/jW7LrNmEVrK3OKrJqFz4=', endpoint: '209.202.254.14:8172', allowedIPs: ['192.168.88.0/24'] }] },
    });
    const yaml = await netcfg(['get', 'linkspecs', '-o', 'yaml', '-c', seed('wireguard.yaml'), '--netns', net.ns]);
    expect(yaml.stdout).not.toContain('sBQTS9YPZx7Lzd7Pr1vd');
  });

  it('proxy example: its nameservers', async () => {
    const net = createTestNet();
    expect((await specs(net, 'resolvers', seed('proxy.yaml'))).get('resolvers')).toEqual({ dnsServers: ['10.0.0.53', '10.0.0.54'], searchDomains: [] });
  });
});
