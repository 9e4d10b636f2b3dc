#!/usr/bin/env node
// Records raw netlink bytes from the kernel for the codec unit tests and the
// fuzzer's seeds. Needs root; works in a throw-away network namespace. Run
// after a build:
//   node scripts/record-fixtures.mjs [--only NAME,NAME…]
// Fixtures of link kinds this kernel lacks (bond, vlan, dummy, wireguard) are
// skipped with a note: record those in the real-kernel VM (test/vm) with
// scripts/record-fixtures-vm.sh as the VM's script (runVm({ script, keepResults: true })), then
// copy them from the results directory (--out DIR writes there instead).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeTransport } from '../dist/netlink/transport.js';
import { NetlinkConnection } from '../dist/netlink/connection.js';
import { NETLINK_ROUTE } from '../dist/netlink/constants.js';
import { dumpLinksRequest } from '../dist/netlink/rtnetlink/link.js';
import { dumpAddressesRequest } from '../dist/netlink/rtnetlink/address.js';
import { dumpRoutesRequest, addRouteRequest } from '../dist/netlink/rtnetlink/route.js';
import { NETLINK_GENERIC } from '../dist/netlink/constants.js';
import { GenlClient } from '../dist/netlink/genetlink.js';
import { WireguardClient } from '../dist/netlink/wireguard.js';
import { RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_IFADDR, RTNLGRP_IPV6_ROUTE, RTNLGRP_LINK } from '../dist/netlink/rtnetlink/constants.js';

const onlyArg = process.argv.indexOf('--only');
const only = onlyArg >= 0 ? new Set((process.argv[onlyArg + 1] ?? '').split(',')) : undefined;
const wanted = (name) => only === undefined || only.has(name);

const outArg = process.argv.indexOf('--out');
const out = outArg >= 0 ? path.resolve(process.argv[outArg + 1] ?? '.') : path.join(path.dirname(fileURLToPath(import.meta.url)), '../test/fixtures');
const ns = `ncrec${process.pid}`;
const ip = (...a) => execFileSync('ip', ['-n', ns, ...a]);
execFileSync('ip', ['netns', 'add', ns]);
try {
  ip('link', 'set', 'lo', 'up');
  ip('link', 'add', 'veth0', 'address', '02:00:00:00:00:01', 'type', 'veth', 'peer', 'name', 'veth1', 'address', '02:00:00:00:00:02');
  ip('link', 'set', 'veth0', 'mtu', '1450', 'up');
  ip('link', 'set', 'veth0', 'alias', 'uplink');
  ip('link', 'property', 'add', 'dev', 'veth0', 'altname', 'enx020000000001');
  ip('addr', 'add', '192.0.2.10/24', 'dev', 'veth0');
  ip('addr', 'add', '2001:db8::10/64', 'dev', 'veth0', 'nodad');
  ip('route', 'add', '198.51.100.0/24', 'via', '192.0.2.1', 'dev', 'veth0', 'metric', '100', 'mtu', '1400', 'proto', 'static', 'table', '1000');
  ip('-6', 'route', 'add', '2001:db8:ffff::/48', 'via', '2001:db8::1', 'dev', 'veth0', 'proto', 'static');

  const transport = new NativeTransport(NETLINK_ROUTE, { netns: ns });
  const conn = new NetlinkConnection(transport);
  const received = [];
  const inner = transport.onData;
  transport.onData = (err, data) => {
    if (data) received.push(Buffer.from(data));
    inner(err, data);
  };
  const write = (name, bytes) => {
    fs.writeFileSync(path.join(out, `${name}.hex`), bytes.toString('hex').replace(/(.{64})/g, '$1\n') + '\n');
    console.log(`${name}: ${bytes.length} bytes`);
  };
  const capture = async (name, fn, sink = received) => {
    if (!wanted(name)) return;
    sink.length = 0;
    await fn();
    write(name, Buffer.concat(sink));
  };
  /** A connection of `protocol` whose received bytes are kept. */
  const recording = (protocol) => {
    const t = new NativeTransport(protocol, { netns: ns });
    const connection = new NetlinkConnection(t);
    const got = [];
    const deliver = t.onData;
    t.onData = (err, data) => {
      if (data) got.push(Buffer.from(data));
      deliver(err, data);
    };
    return { connection, got };
  };
  const canAdd = (...args) => {
    try {
      ip('link', 'add', ...args);
      return true;
    } catch {
      return false;
    }
  };
  await capture('links-dump', () => conn.dump(dumpLinksRequest()));
  await capture('addresses-dump', () => conn.dump(dumpAddressesRequest()));
  await capture('routes-table-1000-dump', () => conn.dump(dumpRoutesRequest({ table: 1000 })));
  await capture('routes-ipv6-main-dump', () => conn.dump(dumpRoutesRequest({ family: 'inet6', table: 254 })));
  await capture('error-invalid-gateway', () =>
    conn.exec(
      addRouteRequest({ family: 'inet4', dst: '10.9.0.0', dstLen: 16, gateway: '203.0.113.9', table: 254, priority: 1024, protocol: 4, scope: 0, type: 1, label: 'route 10.9.0.0/16 via 203.0.113.9' }),
    ).catch(() => {}),
  );

  // Multicast events as the daemon's watcher hears them: links, addresses, routes.
  await capture('events-rtnl', async () => {
    const events = recording(NETLINK_ROUTE);
    const watcher = events.connection;
    watcher.subscribe([RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR, RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE]);
    ip('addr', 'add', '198.51.100.10/24', 'dev', 'veth0');
    ip('route', 'add', '203.0.113.0/24', 'via', '198.51.100.1', 'dev', 'veth0', 'table', '1000');
    ip('-6', 'route', 'add', '2001:db8:eeee::/48', 'dev', 'veth0', 'metric', '7');
    ip('link', 'set', 'veth0', 'mtu', '1400');
    ip('route', 'del', '203.0.113.0/24', 'table', '1000');
    ip('addr', 'del', '198.51.100.10/24', 'dev', 'veth0');
    await new Promise((r) => setTimeout(r, 300));
    watcher.close();
    received.length = 0;
    received.push(...events.got);
  });

  // Generic netlink: the nlctrl family itself (id, version, ops, multicast groups).
  await capture('genl-nlctrl-family', async () => {
    const genl = recording(NETLINK_GENERIC);
    const client = new GenlClient(genl.connection);
    await client.family('nlctrl');
    client.close();
    received.length = 0;
    received.push(...genl.got);
  });

  // A bridge (IFLA_INFO_DATA) with a port (IFLA_INFO_SLAVE_KIND/DATA).
  await capture('links-bridge-dump', async () => {
    ip('link', 'add', 'br0', 'type', 'bridge');
    ip('link', 'set', 'veth1', 'master', 'br0');
    await conn.dump(dumpLinksRequest());
  });

  // Link kinds from modules: bond (with a port), vlan, dummy, wireguard.
  if (wanted('links-kinds-dump')) {
    const kinds = [
      ['bond0', 'type', 'bond', 'mode', '802.3ad', 'miimon', '100', 'lacp_rate', 'fast'],
      ['vlan100', 'link', 'veth0', 'type', 'vlan', 'id', '100', 'protocol', '802.1ad'],
      ['dummy0', 'type', 'dummy'],
      ['wg0', 'type', 'wireguard'],
    ];
    const missing = kinds.filter((k) => !canAdd(...k)).map((k) => k[0]);
    if (missing.length > 0) console.log(`links-kinds-dump: skipped (this kernel cannot add ${missing.join(', ')})`);
    else {
      ip('link', 'set', 'veth1', 'nomaster');
      ip('link', 'set', 'veth1', 'master', 'bond0');
      await capture('links-kinds-dump', () => conn.dump(dumpLinksRequest()));
    }
  }

  // A WireGuard device with peers (endpoints of both families, allowed IPs), as the kernel dumps it.
  if (wanted('wg-device-dump')) {
    if (!canAdd('wg1', 'type', 'wireguard')) console.log('wg-device-dump: skipped (no wireguard in this kernel)');
    else {
      const key = (n) => Buffer.alloc(32, n).toString('base64');
      const dir = fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'ncrec-'));
      fs.writeFileSync(path.join(dir, 'key'), key(1));
      fs.writeFileSync(path.join(dir, 'psk'), key(9));
      // the private key is a constant of this script, not a secret
      ip('link', 'set', 'wg1', 'up');
      execFileSync('ip', ['netns', 'exec', ns, 'wg', 'set', 'wg1', 'private-key', path.join(dir, 'key'), 'listen-port', '51820', 'fwmark', '0x42',
        'peer', key(2), 'endpoint', '192.0.2.7:51820', 'allowed-ips', '10.10.0.0/24,10.20.0.1/32', 'persistent-keepalive', '25',
        'peer', key(3), 'endpoint', '[2001:db8::7]:51821', 'allowed-ips', '2001:db8:10::/64', 'preshared-key', path.join(dir, 'psk')]);
      fs.rmSync(dir, { recursive: true });
      const genl = recording(NETLINK_GENERIC);
      const wg = new WireguardClient(new GenlClient(genl.connection));
      await wg.genl.family('wireguard');
      genl.got.length = 0;
      await wg.getDevice('wg1');
      write('wg-device-dump', Buffer.concat(genl.got));
      wg.close();
    }
  }

  conn.close();
} finally {
  execFileSync('ip', ['netns', 'del', ns]);
}
