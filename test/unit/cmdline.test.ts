import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emptyCmdline, parseCmdline, splitCmdline, vlanLinkName } from '../../src/config/cmdline.js';
import type { CmdlineNetwork } from '../../src/config/cmdline.js';

const empty = emptyCmdline;

function net(patch: Partial<CmdlineNetwork>): CmdlineNetwork {
  return { ...empty(), ...patch };
}

const LINKS = ['lo', 'eth2', 'eth0', 'enp3s0'];

describe('splitCmdline', () => {
  it.each<[string, string, string[]]>([
    ['empty', '', []],
    ['whitespace only', '  \t\n ', []],
    ['spaces, tabs, newlines', 'a  b\tc\nd=1 ', ['a', 'b', 'c', 'd=1']],
    ['quoted value', 'foo="a b" bar', ['foo=a b', 'bar']],
    ['whole argument quoted', '"ip=a b" x', ['ip=a b', 'x']],
    ['quotes inside a value are kept', 'a=b"c d"e f', ['a=b"c d"e', 'f']],
    ['unterminated quote runs to the end', 'a="b c d', ['a=b c d']],
    ['empty quoted value', 'a="" b', ['a=', 'b']],
    ['leading and trailing space', '  quiet  ip=dhcp  ', ['quiet', 'ip=dhcp']],
  ])('%s', (_name, text, expected) => {
    expect(splitCmdline(text)).toEqual(expected);
  });
});

describe('ip=', () => {
  it.each<[string, string, CmdlineNetwork]>([
    [
      'all ten fields',
      'ip=192.0.2.10:192.0.2.1:192.0.2.1:255.255.255.0:node1.example.com:eth1:off:192.0.2.53:192.0.2.54:192.0.2.123',
      net({
        hostname: { hostname: 'node1', domainname: 'example.com' },
        addresses: [{ linkName: 'eth1', address: '192.0.2.10/24', family: 'inet4' }],
        routes: [{ linkName: 'eth1', family: 'inet4', dst: '', gateway: '192.0.2.1', metric: 1024 }],
        resolvers: ['192.0.2.53', '192.0.2.54'],
        timeServers: ['192.0.2.123'],
        configuredLinks: ['eth1'],
      }),
    ],
    [
      'IPv6 in brackets, prefix-length netmask, canonical text',
      'ip=[2001:DB8:0:0::A]:[2001:db8::b]:[fe80::1]:64:master1:eth0::[2001:4860:4860::8888]:[2001:4860:4860::8844]:[2606:4700:f1::1]',
      net({
        hostname: { hostname: 'master1', domainname: '' },
        addresses: [{ linkName: 'eth0', address: '2001:db8::a/64', family: 'inet6' }],
        routes: [{ linkName: 'eth0', family: 'inet6', dst: '', gateway: 'fe80::1', metric: 1024 }],
        resolvers: ['2001:4860:4860::8888', '2001:4860:4860::8844'],
        timeServers: ['2606:4700:f1::1'],
        configuredLinks: ['eth0'],
      }),
    ],
    [
      'IPv6 netmask in address form',
      'ip=[2a03:1:2::12]::[2a03:1:2::11]:[ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff8]::eth0:off',
      net({
        addresses: [{ linkName: 'eth0', address: '2a03:1:2::12/125', family: 'inet6' }],
        routes: [{ linkName: 'eth0', family: 'inet6', dst: '', gateway: '2a03:1:2::11', metric: 1024 }],
        configuredLinks: ['eth0'],
      }),
    ],
    [
      'dotted netmask /28',
      'ip=10.105.155.21::10.105.155.30:255.255.255.240:pve1:eth0:off',
      net({
        hostname: { hostname: 'pve1', domainname: '' },
        addresses: [{ linkName: 'eth0', address: '10.105.155.21/28', family: 'inet4' }],
        routes: [{ linkName: 'eth0', family: 'inet4', dst: '', gateway: '10.105.155.30', metric: 1024 }],
        configuredLinks: ['eth0'],
      }),
    ],
    [
      'prefix-length netmask 24',
      'ip=172.20.0.2::172.20.0.1:24::eth1',
      net({
        addresses: [{ linkName: 'eth1', address: '172.20.0.2/24', family: 'inet4' }],
        routes: [{ linkName: 'eth1', family: 'inet4', dst: '', gateway: '172.20.0.1', metric: 1024 }],
        configuredLinks: ['eth1'],
      }),
    ],
    [
      'empty fields; no netmask gives /32, so the gateway is off-link',
      'ip=172.20.0.2::172.20.0.1:::eth1:::::',
      net({
        addresses: [{ linkName: 'eth1', address: '172.20.0.2/32', family: 'inet4' }],
        routes: [
          { linkName: 'eth1', family: 'inet4', dst: '', gateway: '172.20.0.1', metric: 1024 },
          { linkName: 'eth1', family: 'inet4', dst: '172.20.0.1/32', gateway: '', metric: 1024 },
        ],
        configuredLinks: ['eth1'],
      }),
    ],
    [
      'IPv6 without netmask gives /128',
      'ip=[2001:db8::5]:::::eth0',
      net({
        addresses: [{ linkName: 'eth0', address: '2001:db8::5/128', family: 'inet6' }],
        configuredLinks: ['eth0'],
      }),
    ],
    [
      'no device: first non-loopback link by name',
      'ip=172.20.0.2::172.20.0.1:24',
      net({
        addresses: [{ linkName: 'enp3s0', address: '172.20.0.2/24', family: 'inet4' }],
        routes: [{ linkName: 'enp3s0', family: 'inet4', dst: '', gateway: '172.20.0.1', metric: 1024 }],
        configuredLinks: ['enp3s0'],
      }),
    ],
    ['ip=dhcp alone is ignored', 'ip=dhcp', empty()],
    ['ip=<dev>:dhcp', 'ip=eth1:dhcp', net({ dhcp4: ['eth1'], configuredLinks: ['eth1'] })],
    ['ip=:dhcp uses the default link', 'ip=:dhcp', net({ dhcp4: ['enp3s0'], configuredLinks: ['enp3s0'] })],
    ['autoconf dhcp', 'ip=:::::eth4:dhcp', net({ dhcp4: ['eth4'], configuredLinks: ['eth4'] })],
    ['autoconf off', 'ip=:::::eth4:off', net({ configuredLinks: ['eth4'] })],
    ['autoconf none', 'ip=:::::eth4:none', net({ configuredLinks: ['eth4'] })],
    ['autoconf static', 'ip=:::::eth4:static', net({ configuredLinks: ['eth4'] })],
    ['autoconf on is static, as in Talos', 'ip=:::::eth4:on', net({ configuredLinks: ['eth4'] })],
    [
      'static address with autoconf dhcp keeps both',
      'ip=192.0.2.7:::24::eth0:dhcp',
      net({
        addresses: [{ linkName: 'eth0', address: '192.0.2.7/24', family: 'inet4' }],
        dhcp4: ['eth0'],
        configuredLinks: ['eth0'],
      }),
    ],
    [
      'hostname FQDN split at the first dot',
      'ip=::::node1.dc1.example.com:eth0',
      net({ hostname: { hostname: 'node1', domainname: 'dc1.example.com' }, configuredLinks: ['eth0'] }),
    ],
    [
      'dns and ntp only',
      'ip=:::::eth0::1.1.1.1:[2606:4700:4700::1111]:192.0.2.123',
      net({ resolvers: ['1.1.1.1', '2606:4700:4700::1111'], timeServers: ['192.0.2.123'], configuredLinks: ['eth0'] }),
    ],
    [
      'gateway outside the prefix adds a link-scope /32 route',
      'ip=10.0.0.5::10.0.1.1:255.255.255.0::eth0',
      net({
        addresses: [{ linkName: 'eth0', address: '10.0.0.5/24', family: 'inet4' }],
        routes: [
          { linkName: 'eth0', family: 'inet4', dst: '', gateway: '10.0.1.1', metric: 1024 },
          { linkName: 'eth0', family: 'inet4', dst: '10.0.1.1/32', gateway: '', metric: 1024 },
        ],
        configuredLinks: ['eth0'],
      }),
    ],
    [
      'gateway without an address is off-link too',
      'ip=::10.0.1.1:::eth0',
      net({
        routes: [
          { linkName: 'eth0', family: 'inet4', dst: '', gateway: '10.0.1.1', metric: 1024 },
          { linkName: 'eth0', family: 'inet4', dst: '10.0.1.1/32', gateway: '', metric: 1024 },
        ],
        configuredLinks: ['eth0'],
      }),
    ],
    [
      'IPv6 gateway outside the prefix: no /128 route (as in Talos)',
      'ip=[2001:db8::5]::[2001:db9::1]:64::eth0',
      net({
        addresses: [{ linkName: 'eth0', address: '2001:db8::5/64', family: 'inet6' }],
        routes: [{ linkName: 'eth0', family: 'inet6', dst: '', gateway: '2001:db9::1', metric: 1024 }],
        configuredLinks: ['eth0'],
      }),
    ],
    [
      'several ip= in order: metric 1024 + position, first hostname, DNS without duplicates',
      'ip=172.20.0.2::172.20.0.1:255.255.255.0:first:eth1::10.0.0.1:10.0.0.2 ip=eth3:dhcp ip=dhcp ip=192.0.2.9::192.0.2.1:24:second:eth4::10.0.0.2:10.0.0.3:10.0.0.1',
      net({
        hostname: { hostname: 'first', domainname: '' },
        addresses: [
          { linkName: 'eth1', address: '172.20.0.2/24', family: 'inet4' },
          { linkName: 'eth4', address: '192.0.2.9/24', family: 'inet4' },
        ],
        routes: [
          { linkName: 'eth1', family: 'inet4', dst: '', gateway: '172.20.0.1', metric: 1024 },
          { linkName: 'eth4', family: 'inet4', dst: '', gateway: '192.0.2.1', metric: 1026 },
        ],
        dhcp4: ['eth3'],
        resolvers: ['10.0.0.1', '10.0.0.2', '10.0.0.3'],
        timeServers: ['10.0.0.1'],
        configuredLinks: ['eth1', 'eth3', 'eth4'],
      }),
    ],
    [
      'quoted ip= value',
      'ip="192.0.2.10::192.0.2.1:24::eth0"',
      net({
        addresses: [{ linkName: 'eth0', address: '192.0.2.10/24', family: 'inet4' }],
        routes: [{ linkName: 'eth0', family: 'inet4', dst: '', gateway: '192.0.2.1', metric: 1024 }],
        configuredLinks: ['eth0'],
      }),
    ],
  ])('%s', (_name, text, expected) => {
    expect(parseCmdline(text, LINKS)).toEqual(expected);
  });

  it('no device and no non-loopback link is an error', () => {
    expect(parseCmdline('ip=192.0.2.10:::24', ['lo'])).toEqual(
      net({ errors: [{ arg: 'ip=192.0.2.10:::24', message: 'no device given and no non-loopback link is known' }] }),
    );
  });
});

describe('bond=', () => {
  it.each<[string, string, CmdlineNetwork['bonds']]>([
    ['defaults', 'bond=bond0', [{ name: 'bond0', slaves: ['eth0', 'eth1'], options: {} }]],
    ['empty fields give the defaults', 'bond=bond1:::', [{ name: 'bond1', slaves: ['eth0', 'eth1'], options: {} }]],
    ['slaves', 'bond=bond0:eth3,eth4', [{ name: 'bond0', slaves: ['eth3', 'eth4'], options: {} }]],
    [
      'options with mode',
      'bond=bond0:eth3,eth4:mode=balance-rr,miimon=100',
      [{ name: 'bond0', slaves: ['eth3', 'eth4'], mode: 'balance-rr', options: { mode: 'balance-rr', miimon: '100' } }],
    ],
    [
      'options without mode',
      'bond=bond0:eth3:lacp_rate=fast,arp_ip_target=192.0.2.1;192.0.2.2',
      [{ name: 'bond0', slaves: ['eth3'], options: { lacp_rate: 'fast', arp_ip_target: '192.0.2.1;192.0.2.2' } }],
    ],
    [
      'slaves, options and mtu',
      'bond=bond1:eth3,eth4:mode=802.3ad,xmit_hash_policy=layer2+3:1450',
      [
        {
          name: 'bond1',
          slaves: ['eth3', 'eth4'],
          mode: '802.3ad',
          options: { mode: '802.3ad', xmit_hash_policy: 'layer2+3' },
          mtu: 1450,
        },
      ],
    ],
    ['mtu with default slaves', 'bond=bond0:::9000', [{ name: 'bond0', slaves: ['eth0', 'eth1'], options: {}, mtu: 9000 }]],
  ])('%s', (_name, text, bonds) => {
    expect(parseCmdline(text, LINKS)).toEqual(net({ bonds }));
  });
});

describe('vlan=', () => {
  it.each<[string, string, CmdlineNetwork['vlans']]>([
    ['<dev>.<vid>', 'vlan=eth1.169:eth1', [{ name: 'eth1.169', parent: 'eth1', vlanId: 169 }]],
    ['vlan<vid> with leading zeros', 'vlan=vlan0008:eth1', [{ name: 'eth1.8', parent: 'eth1', vlanId: 8 }]],
    ['any name is renamed <parent>.<vid>', 'vlan=storage.5:eth1', [{ name: 'eth1.5', parent: 'eth1', vlanId: 5 }]],
    ['highest vid', 'vlan=vlan4094:eth0', [{ name: 'eth0.4094', parent: 'eth0', vlanId: 4094 }]],
    ['long parent name is shortened with a hash', 'vlan=vlan42:enp0s20f0u1u2', [{ name: 'enp0bdfcf3.42', parent: 'enp0s20f0u1u2', vlanId: 42 }]],
  ])('%s', (_name, text, vlans) => {
    expect(parseCmdline(text, LINKS)).toEqual(net({ vlans }));
  });

  it('vlan= with ip= on the VLAN link', () => {
    expect(parseCmdline('vlan=eth1.169:eth1 ip=172.20.0.2::172.20.0.1:255.255.255.0::eth1.169:::::', LINKS)).toEqual(
      net({
        vlans: [{ name: 'eth1.169', parent: 'eth1', vlanId: 169 }],
        addresses: [{ linkName: 'eth1.169', address: '172.20.0.2/24', family: 'inet4' }],
        routes: [{ linkName: 'eth1.169', family: 'inet4', dst: '', gateway: '172.20.0.1', metric: 1024 }],
        configuredLinks: ['eth1.169'],
      }),
    );
  });

  it('vlanLinkName keeps short names readable', () => {
    expect(vlanLinkName('eth0', 100)).toBe('eth0.100');
    expect(vlanLinkName('enp0s31f6x', 4094)).toBe('enp0s31f6x.4094'); // 10 + 5 = 15 bytes still fits
  });
});

describe('hostname, ignore, net.ifnames', () => {
  it.each<[string, string, CmdlineNetwork]>([
    ['talos.hostname', 'talos.hostname=master2', net({ hostname: { hostname: 'master2', domainname: '' } })],
    ['talos.hostname FQDN', 'talos.hostname=w1.k8s.example.org', net({ hostname: { hostname: 'w1', domainname: 'k8s.example.org' } })],
    [
      'talos.hostname wins over ip= (ip= first)',
      'ip=::::master1:eth1 talos.hostname=master2.lan',
      net({ hostname: { hostname: 'master2', domainname: 'lan' }, configuredLinks: ['eth1'] }),
    ],
    [
      'talos.hostname wins over ip= (ip= last)',
      'talos.hostname=master2 ip=::::master1.example.com:eth1',
      net({ hostname: { hostname: 'master2', domainname: '' }, configuredLinks: ['eth1'] }),
    ],
    [
      'ignore is repeatable, duplicates dropped',
      'talos.network.interface.ignore=eth2 talos.network.interface.ignore=eth3 talos.network.interface.ignore=eth2',
      net({ ignoredInterfaces: ['eth2', 'eth3'] }),
    ],
    ['net.ifnames=0', 'net.ifnames=0', net({ predictableNames: false })],
    ['net.ifnames=1', 'net.ifnames=1', empty()],
    ['last net.ifnames wins', 'net.ifnames=0 net.ifnames=1', empty()],
    ['unknown arguments are ignored', 'console=ttyS0 quiet talos.platform=metal ip6=foo init_on_alloc=1', empty()],
  ])('%s', (_name, text, expected) => {
    const got = parseCmdline(text, LINKS);
    expect(got).toEqual(expected);
    // toEqual ignores undefined properties; check that the flag is really absent or false
    expect(got.predictableNames).toBe(expected.predictableNames);
  });
});

describe('malformed arguments', () => {
  const long64 = 'x'.repeat(64);
  it.each<[string, string]>([
    ['ip=192.0.2.300:::24::eth0', 'invalid client IP "192.0.2.300"'],
    ['ip=xyz:', 'invalid client IP "xyz"'],
    ['ip=0.0.0.0:::24::eth0', 'client IP "0.0.0.0" is not a unicast address'],
    ['ip=192.0.2.10::nope:24::eth0', 'invalid gateway IP "nope"'],
    ['ip=192.0.2.10::192.0.2.1:255.0.255.0::eth0', 'netmask "255.0.255.0" is not contiguous'],
    ['ip=192.0.2.10:::33::eth0', 'netmask /33 is longer than 32 bits'],
    ['ip=192.0.2.10:::255.255.0::eth0', 'invalid netmask "255.255.0"'],
    ['ip=192.0.2.10:::[ffff::]::eth0', 'netmask "ffff::" does not match the address family of the client IP'],
    ['ip=[2001:db8::1:::::eth0', 'unbalanced "["'],
    ['ip=192.0.2.10:::24::eth0::8.8.8', 'invalid DNS server IP (field 8) "8.8.8"'],
    ['ip=192.0.2.10:::24::eth0::::ntp.example.com', 'invalid NTP server IP "ntp.example.com"'],
    [`ip=::::${long64}:eth0`, `invalid hostname "${long64}": it must be 1 to 63 characters`],
    ['ip=:::::averyveryverylongname:dhcp', 'device name "averyveryverylongname" is longer than 15 bytes'],
    ['bond=:eth0,eth1', 'empty bond name'],
    ['bond=bond0:eth0,,eth1', 'empty bond slave name'],
    ['bond=bond0:eth0,eth1::abc', 'invalid bond MTU "abc": expected an integer from 68 to 65535'],
    ['bond=bond0:eth0,eth1::70000', 'invalid bond MTU "70000": expected an integer from 68 to 65535'],
    ['bond=bond0:eth1,eth2:mod=balance-rr', 'unknown bond option "mod"'],
    ['bond=bond0:eth1:miimon', 'bond option "miimon" is not key=value'],
    ['bond=bond0:eth1:miimon=fast', 'invalid bond option miimon="fast": expected an integer from 0 to 4294967295'],
    [
      'bond=bond0:eth1:mode=fast',
      'invalid bond option mode="fast": expected one of balance-rr, active-backup, balance-xor, broadcast, 802.3ad, balance-tlb, balance-alb',
    ],
    ['vlan=eth1.0:eth1', 'VLAN ID 0 is out of range 1..4094'],
    ['vlan=eth1.4095:eth1', 'VLAN ID 4095 is out of range 1..4094'],
    ['vlan=vlan4096:eth1', 'VLAN ID 4096 is out of range 1..4094'],
    ['vlan=eth1.x:eth1', 'invalid VLAN ID "x" in "eth1.x"'],
    ['vlan=eth1.5', 'expected vlan=<name>:<phydev>'],
    ['vlan=foo:eth1', 'VLAN name "foo" is neither <name>.<vid> nor vlan<vid>'],
    ['vlan=eth1.5:', 'empty VLAN parent device'],
    ['talos.hostname=', 'invalid hostname "": it must be 1 to 63 characters'],
    ['talos.hostname=.example.com', 'invalid hostname "": it must be 1 to 63 characters'],
    ['talos.network.interface.ignore=', 'empty link name'],
    ['net.ifnames=maybe', 'invalid boolean "maybe"'],
  ])('%s', (arg, message) => {
    // reported, not thrown; the argument contributes nothing
    expect(parseCmdline(arg, LINKS)).toEqual(net({ errors: [{ arg, message }] }));
  });

  it('a bad argument does not stop the others', () => {
    const text = 'ip=eth1:dhcp vlan=eth1.9999:eth1 bond=bond0 ip=bad:::24::eth2 talos.hostname=node1';
    expect(parseCmdline(text, LINKS)).toEqual(
      net({
        hostname: { hostname: 'node1', domainname: '' },
        dhcp4: ['eth1'],
        configuredLinks: ['eth1'],
        bonds: [{ name: 'bond0', slaves: ['eth0', 'eth1'], options: {} }],
        errors: [
          { arg: 'vlan=eth1.9999:eth1', message: 'VLAN ID 9999 is out of range 1..4094' },
          { arg: 'ip=bad:::24::eth2', message: 'invalid client IP "bad"' },
        ],
      }),
    );
  });

  it('a failed ip= does not take a metric slot', () => {
    const got = parseCmdline('ip=bad ip=192.0.2.5::192.0.2.1:24::eth0', LINKS);
    expect(got.routes).toEqual([{ linkName: 'eth0', family: 'inet4', dst: '', gateway: '192.0.2.1', metric: 1024 }]);
    expect(got.errors).toEqual([{ arg: 'ip=bad', message: 'invalid client IP "bad"' }]);
  });

  it('only the first bond=, vlan= and talos.hostname= are used (as in Talos)', () => {
    const text = 'bond=bond0 bond=bond1 vlan=vlan5:eth0 vlan=vlan6:eth0 talos.hostname=a talos.hostname=b';
    expect(parseCmdline(text, LINKS)).toEqual(
      net({
        hostname: { hostname: 'a', domainname: '' },
        bonds: [{ name: 'bond0', slaves: ['eth0', 'eth1'], options: {} }],
        vlans: [{ name: 'eth0.5', parent: 'eth0', vlanId: 5 }],
        errors: [
          { arg: 'bond=bond1', message: 'ignored: only the first bond= argument is used' },
          { arg: 'vlan=vlan6:eth0', message: 'ignored: only the first vlan= argument is used' },
          { arg: 'talos.hostname=b', message: 'ignored: only the first talos.hostname= argument is used' },
        ],
      }),
    );
  });

  it('never throws, whatever the input', () => {
    const piece = fc.constantFrom('ip=', 'bond=', 'vlan=', 'talos.hostname=', 'net.ifnames=', ':', '[', ']', '"', ' ', ',', '=', '.', '1', '255', 'eth0', 'dhcp', '::', '/');
    fc.assert(
      fc.property(fc.array(fc.oneof(piece, fc.string()), { maxLength: 30 }), (parts) => {
        const got = parseCmdline(parts.join(''), LINKS);
        expect(Array.isArray(got.errors)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
