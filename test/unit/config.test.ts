import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigInvalidError, formatIssue, type ConfigIssue } from '../../src/config/issues.js';

function issues(yaml: string): string[] {
  try {
    parseConfig('c.yaml', yaml);
  } catch (err) {
    if (err instanceof ConfigInvalidError) return err.issues.map((i: ConfigIssue) => formatIssue('c.yaml', i));
    throw err;
  }
  return [];
}

describe('config loading', () => {
  it('accepts a Talos config with sections netcfg does not read', () => {
    const { config, notes } = parseConfig(
      'c.yaml',
      `version: v1alpha1
debug: false
persist: true
machine:
  type: controlplane
  token: abc.def
  install: {disk: /dev/sda}
  network:
    interfaces:
      - interface: eth0
        addresses: [192.0.2.10/24, "2001:db8::1"]
        mtu: 1500
        routes:
          - {network: 0.0.0.0/0, gateway: 192.0.2.1}
cluster:
  controlPlane: {endpoint: https://192.0.2.10:6443}
`,
    );
    expect(config.machine?.network?.interfaces?.[0]?.addresses).toEqual(['192.0.2.10/24', '2001:db8::1']);
    expect(notes.map((n) => formatIssue('c.yaml', n))).toEqual(['c.yaml: info: sections netcfg does not use (ignored): machine.token, machine.install, cluster.controlPlane']);
  });

  it('reads cluster.network’s pod and service subnets (the firewall uses them) and ignores its other keys', () => {
    const { config, notes } = parseConfig('c.yaml', 'cluster:\n  network:\n    dnsDomain: cluster.local\n    cni: {name: none}\n    podSubnets: [10.244.0.0/16]\n    serviceSubnets: [10.96.0.0/12]\n');
    expect(config.cluster?.network).toMatchObject({ podSubnets: ['10.244.0.0/16'], serviceSubnets: ['10.96.0.0/12'] });
    expect(notes).toEqual([]);
    expect(issues('cluster:\n  network:\n    podSubnets: [10.244.0.0]\n')).toEqual(['c.yaml:3:18: error: cluster.network.podSubnets[0]: invalid pod subnet "10.244.0.0": expected CIDR form, e.g. 10.0.0.0/8 or 2001:db8::/32']);
  });

  it('reports every error at once with file:line:col and the YAML path', () => {
    expect(
      issues(`machine:
  network:
    interfaces:
      - interface: eth0
        addresses: [10.0.0.300/24]
        routes:
          - network: 10.1.0.0/16
            gateway: foo
          - metric: 10
      - interface: eth1
        mtu: 10
        adresses: []
`),
    ).toEqual([
      'c.yaml:5:21: error: machine.network.interfaces[0].addresses[0]: invalid address "10.0.0.300/24": expected an IP address or CIDR, e.g. 192.0.2.10/24 or 2001:db8::10/64',
      'c.yaml:8:22: error: machine.network.interfaces[0].routes[0].gateway: invalid IP address "foo": expected a gateway IP address',
      'c.yaml:9:13: error: machine.network.interfaces[0].routes[1]: a route needs a network, a gateway, or both',
      'c.yaml:11:14: error: machine.network.interfaces[1].mtu: expected an MTU: 0 (leave as is) or 68 to 65536, got 10 (a number)',
      'c.yaml:12:9: error: machine.network.interfaces[1].adresses: unknown key "adresses"; did you mean "addresses"?',
    ]);
  });

  it('explains a network with host bits and mixed families', () => {
    expect(
      issues(`machine:
  network:
    interfaces:
      - interface: eth0
        routes:
          - {network: 10.1.2.3/16, gateway: 10.0.0.1}
          - {network: "2001:db8::/32", gateway: 10.0.0.1}
          - {network: 10.2.0.0/16, table: 0}
`),
    ).toEqual([
      'c.yaml:6:23: error: machine.network.interfaces[0].routes[0].network: network "10.1.2.3/16" has host bits set: expected 10.1.0.0/16',
      'c.yaml:7:49: error: machine.network.interfaces[0].routes[1].gateway: gateway is IPv4 but network is IPv6',
      'c.yaml:8:43: error: machine.network.interfaces[0].routes[2].table: expected a routing table: a number from 1 to 4294967295 or main, local, default, got 0 (a number)',
    ]);
  });

  it('reports YAML syntax errors with a position', () => {
    expect(issues('machine:\n  network: [\n')).toEqual(['c.yaml:3:1: error: (document): YAML syntax error: unexpected end of the stream within a flow collection']);
    expect(issues('machine:\n  network: {}\n  network: {}\n')[0]).toMatch(/^c\.yaml:3:3: error: \(document\): YAML syntax error: duplicated mapping key/);
  });

  it('rejects interface names the kernel would refuse', () => {
    expect(issues('machine: {network: {interfaces: [{interface: averyveryverylongname}]}}')[0]).toMatch(/longer than 15 bytes/);
  });

  it('notes nothing about KubeSpan, DHCP or a VIP, which the daemon runs', () => {
    const { notes } = parseConfig(
      'c.yaml',
      'machine:\n  type: controlplane\n  network:\n    hostname: h\n    kubespan: {enabled: true}\n    interfaces:\n      - interface: eth0\n        dhcp: true\n        vip: {ip: 192.0.2.5}\n        vlans: [{vlanId: 5, dhcp: true, vip: {ip: 198.51.100.5}}]\ncluster:\n  discovery: {enabled: true}\n  id: c\n  secret: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n',
    );
    expect(notes.map((n) => formatIssue('c.yaml', n))).toEqual([]);
  });

  it('selector fields (driver, busPath, pciID, globs) are applied: no note for them', () => {
    const text = 'machine:\n  network:\n    interfaces:\n      - deviceSelector: {driver: virtio_net, hardwareAddr: "00:00:*"}\n        mtu: 1400\n      - interface: bond0\n        bond:\n          mode: active-backup\n          deviceSelectors: [{hardwareAddr: "00:50:*"}, {busPath: "0000:00:05.0", pciID: "1AF4:*"}]\n';
    const { config, notes } = parseConfig('c.yaml', text);
    expect(notes).toEqual([]);
    expect(config.machine?.network?.interfaces?.[1]?.bond?.deviceSelectors?.[1]).toEqual({ busPath: '0000:00:05.0', pciID: '1AF4:*' });
  });
});
