#!/usr/bin/env node
// Records what a real DHCP server (dnsmasq) sends, for the DHCP decoders' tests
// and the fuzzer's seeds: DHCPv4 OFFER and ACK as the client's packet socket
// gets them (IPv4 + UDP + payload), DHCPv6 ADVERTISE and REPLY (UDP payloads).
// Needs root, dnsmasq, tcpdump and busybox (udhcpc, the DHCPv4 client); works
// in throw-away network namespaces. Run after a build:
//   node scripts/record-dhcp-fixtures.mjs
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { native } from '../dist/native/index.js';
import { Dhcp6Client } from '../dist/operators/dhcp6/client.js';
import { duidLL } from '../dist/operators/dhcp6/duid.js';
import { MessageType, clientIdOption, elapsedTimeOption, encodeMessage, iaNaOption, oroOption } from '../dist/operators/dhcp6/message.js';

const out = path.join(path.dirname(fileURLToPath(import.meta.url)), '../test/fixtures');
const ns = `ncdhcp${process.pid}`;
const router = `${ns}r`;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ncdhcp-'));
const run = (...a) => execFileSync(a[0], a.slice(1), { encoding: 'utf8' });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function write(name, bytes) {
  fs.writeFileSync(path.join(out, `${name}.hex`), bytes.toString('hex').replace(/(.{64})/g, '$1\n') + '\n');
  console.log(`${name}: ${bytes.length} bytes`);
}

/** Ethernet frames of a pcap file (microsecond format, link type Ethernet). */
function frames(file) {
  const b = fs.readFileSync(file);
  if (b.readUInt32LE(0) !== 0xa1b2c3d4 || b.readUInt32LE(20) !== 1) throw new Error(`${file}: not an Ethernet pcap`);
  const list = [];
  for (let pos = 24; pos + 16 <= b.length; ) {
    const len = b.readUInt32LE(pos + 8);
    list.push(b.subarray(pos + 16, pos + 16 + len));
    pos += 16 + len;
  }
  return list;
}

run('ip', 'netns', 'add', ns);
run('ip', 'netns', 'add', router);
const children = [];
try {
  for (const n of [ns, router]) run('ip', 'netns', 'exec', n, 'sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0');
  run('ip', '-n', ns, 'link', 'add', 'eth0', 'address', '52:54:00:12:34:56', 'type', 'veth', 'peer', 'name', 'peer0', 'netns', router);
  run('ip', '-n', router, 'addr', 'add', '192.0.2.1/24', 'dev', 'peer0');
  run('ip', '-n', router, 'addr', 'add', '2001:db8::1/64', 'dev', 'peer0', 'nodad');
  run('ip', '-n', router, 'link', 'set', 'peer0', 'up');
  run('ip', '-n', ns, 'link', 'set', 'lo', 'up');
  run('ip', '-n', ns, 'link', 'set', 'eth0', 'up');
  fs.writeFileSync(
    path.join(dir, 'dnsmasq.conf'),
    [
      'port=0',
      'interface=peer0',
      'bind-interfaces',
      `dhcp-leasefile=${path.join(dir, 'leases')}`,
      `pid-file=${path.join(dir, 'pid')}`,
      'dhcp-range=192.0.2.100,192.0.2.150,255.255.255.0,1h',
      'dhcp-range=2001:db8::100,2001:db8::1ff,64,1h',
      'dhcp-host=52:54:00:12:34:56,192.0.2.123,node-1',
      'domain=corp.example.com',
      'dhcp-option-force=option:router,192.0.2.1',
      'dhcp-option-force=option:dns-server,192.0.2.53,192.0.2.54',
      'dhcp-option-force=option:domain-search,corp.example.com,example.com',
      'dhcp-option-force=option:ntp-server,192.0.2.123',
      'dhcp-option-force=option:mtu,1450',
      'dhcp-option-force=option:classless-static-route,10.0.0.0/8,192.0.2.254,0.0.0.0/0,192.0.2.1',
      'dhcp-option=option6:dns-server,[2001:db8::53]',
      'dhcp-option=option6:domain-search,corp.example.com,example.com',
      'dhcp-option=option6:ntp-server,[2001:db8::123]',
      '',
    ].join('\n'),
  );
  run('ip', 'netns', 'exec', router, 'dnsmasq', '-C', path.join(dir, 'dnsmasq.conf'));
  const pcap = path.join(dir, 'dhcp.pcap');
  const tcpdump = spawn('ip', ['netns', 'exec', ns, 'tcpdump', '-i', 'eth0', '--immediate-mode', '-U', '-w', pcap, 'udp and (port 67 or port 68 or port 546 or port 547)'], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(tcpdump);
  let tcpdumpSaid = '';
  await new Promise((resolve) => tcpdump.stderr.on('data', (d) => ((tcpdumpSaid += String(d)), tcpdumpSaid.includes('listening on') && resolve())));

  // DHCPv4: busybox udhcpc runs DORA once
  run('ip', 'netns', 'exec', ns, 'busybox', 'udhcpc', '-i', 'eth0', '-f', '-q', '-n', '-t', '3', '-s', '/bin/true', '-O', 'staticroutes', '-O', 'search', '-O', 'ntpsrv', '-O', 'mtu', '-O', 'domain');

  // DHCPv6: netcfg's own client over a UDP socket on the link-local address (ADVERTISE, then REQUEST/REPLY)
  const ll = JSON.parse(run('ip', '-j', '-n', ns, '-6', 'addr', 'show', 'dev', 'eth0', 'scope', 'link'))[0].addr_info[0].local;
  const index = Number(run('ip', 'netns', 'exec', ns, 'cat', '/sys/class/net/eth0/ifindex').trim());
  let handler;
  const socket = new (native().DatagramSocket)({ kind: 'udp6', netns: `/run/netns/${ns}`, ifindex: index, device: 'eth0', address: ll, port: 546 }, (err, data, from) => {
    if (!err && data) handler?.(data, from.address);
  });
  const lease = await new Promise((resolve, reject) => {
    const client = new Dhcp6Client({
      linkName: 'eth0',
      hardwareAddr: '52:54:00:12:34:56',
      transport: {
        send: async (payload) => void socket.send(payload, { address: 'ff02::1:2', port: 547 }),
        listen: (h) => ((handler = h), () => (handler = undefined)),
      },
      onLease: (l) => {
        client.stop();
        resolve(l);
      },
    });
    client.start();
    setTimeout(() => reject(new Error('no DHCPv6 lease within 20 s')), 20_000).unref();
  });
  console.log(`DHCPv6 lease ${lease.address} (rapid commit: a REPLY to the SOLICIT)`);
  // a SOLICIT without Rapid Commit gets an ADVERTISE
  const advertised = new Promise((resolve) => (handler = (payload) => payload[0] === MessageType.Advertise && resolve()));
  const solicit = encodeMessage({
    type: MessageType.Solicit,
    transactionId: 0x123456,
    options: [clientIdOption(duidLL(Buffer.from('525400123456', 'hex'))), iaNaOption({ iaid: 0x00123456, t1: 0, t2: 0, addresses: [] }), oroOption([23, 24, 56]), elapsedTimeOption(0)],
  });
  socket.send(solicit, { address: 'ff02::1:2', port: 547 });
  await advertised;
  socket.close();
  await sleep(500);
  tcpdump.kill('SIGINT');
  await new Promise((r) => tcpdump.on('exit', r));

  const got = { 2: [], 5: [], v6: new Map() };
  for (const f of frames(pcap)) {
    const etherType = f.readUInt16BE(12);
    const ip = f.subarray(14);
    if (etherType === 0x0800) {
      const ihl = (ip[0] & 0x0f) * 4;
      const total = ip.readUInt16BE(2);
      const packet = ip.subarray(0, total);
      const udp = packet.subarray(ihl);
      if (udp.readUInt16BE(0) !== 67) continue;
      const payload = udp.subarray(8);
      // option 53 (message type): the first option dnsmasq writes
      for (let pos = 240; pos + 2 < payload.length; pos += 2 + payload[pos + 1]) {
        if (payload[pos] === 53) {
          got[payload[pos + 2]]?.push(Buffer.from(packet));
          break;
        }
      }
    } else if (etherType === 0x86dd) {
      const udp = ip.subarray(40, 40 + ip.readUInt16BE(4));
      if (udp.readUInt16BE(0) !== 547) continue;
      const payload = Buffer.from(udp.subarray(8));
      got.v6.set(payload[0], payload);
    }
  }
  if (!got[2][0] || !got[5][0] || !got.v6.get(2) || !got.v6.get(7)) throw new Error(`missing OFFER, ACK, ADVERTISE or REPLY in the capture; tcpdump said: ${tcpdumpSaid}`);
  write('dhcp4-offer-ip', got[2][0]);
  write('dhcp4-ack-ip', got[5][0]);
  write('dhcp6-advertise', got.v6.get(2));
  write('dhcp6-reply', got.v6.get(7));
} finally {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  try {
    process.kill(Number(fs.readFileSync(path.join(dir, 'pid'), 'utf8').trim()), 'SIGTERM');
  } catch {
    // not started
  }
  for (const n of [ns, router]) {
    try {
      run('ip', 'netns', 'del', n);
    } catch {
      // gone
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
}
