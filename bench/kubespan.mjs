#!/usr/bin/env node
// KubeSpan at scale.
//  1. Applying N peers (4 allowed IPs each, endpoint, PSK, keepalive) to a
//     WireGuard link: netcfg (read the device, diff, split WG_CMD_SET_DEVICE
//     messages) beside `wg setconf` with the same peers, each on a fresh link in
//     a fresh namespace; then netcfg's re-apply (read back, diff: no writes).
//  2. Recomputing for M cluster members after one member changed: peer specs
//     (allowed-IP algebra with overlap removal), the routed set, the nftables
//     ruleset, and the WireGuard diff against the device as it was.
//
//   flock /tmp/netcfg-heavy.lock node bench/kubespan.mjs [--vm] [peers=1000] [members=1024] [runs=3]
//   node bench/kubespan.mjs --compute      part 2 only, on this machine
//
// Needs root and a build (npm run build). Part 1 needs WireGuard in the kernel;
// with --vm (or when this kernel has none) the whole bench runs inside the
// real-kernel lane's VM (test/vm, qemu under TCG: slower than bare metal, so
// compare the two columns, not the absolute figures). Prints medians.
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flags = new Set(args.filter((a) => a.startsWith('--')));
const [PEERS = 1000, MEMBERS = 1024, RUNS = 3] = args.filter((a) => !a.startsWith('--')).map(Number);
const dist = (p) => import(path.join(root, 'dist', p));

function hasWireguard() {
  const ns = `ncwgprobe${process.pid}`;
  try {
    execFileSync('ip', ['netns', 'add', ns]);
    return spawnSync('ip', ['-n', ns, 'link', 'add', 'wg0', 'type', 'wireguard']).status === 0;
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
  }
}

/** Boots the lane's VM (test/vm/vm.ts, transpiled on the fly) and runs this bench in it. */
async function inVm() {
  const ts = (await import('typescript')).default;
  const source = fs.readFileSync(path.join(root, 'test/vm/vm.ts'), 'utf8');
  const out = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  // both beside their sources: vm.ts finds the checkout from its own location, and the guest sees only the checkout
  const vmFile = path.join(root, 'test/vm', `.vm-bench-${process.pid}.mjs`);
  const guest = path.join(root, 'bench', `.kubespan-guest-${process.pid}.sh`);
  fs.writeFileSync(vmFile, out);
  fs.writeFileSync(
    guest,
    `#!/bin/sh\nexport PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\ncd "${root}" || exit 99\nexec node bench/kubespan.mjs --guest ${PEERS} ${MEMBERS} ${RUNS}\n`,
    { mode: 0o755 },
  );
  try {
    const { runVm } = await import(vmFile);
    const run = await runVm({ script: guest, timeoutMs: 30 * 60_000 });
    process.stdout.write(run.output);
    if (run.exitCode !== 0) {
      process.stderr.write(run.console.slice(-3000));
      process.exit(1);
    }
  } finally {
    fs.rmSync(vmFile, { force: true });
    fs.rmSync(guest, { force: true });
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const fmt = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1)).padStart(9);

function privateKey(i) {
  const b = Buffer.alloc(32);
  b.writeUInt32BE(i + 1, 0);
  b.writeUInt32BE(0x62656e63, 28);
  b[0] &= 248;
  b[31] = (b[31] & 127) | 64;
  return b.toString('base64');
}

async function wireguardPart() {
  const { RtnlClient } = await dist('netlink/rtnetlink/client.js');
  const { wireguardDelta } = await dist('controllers/spec/link-kinds.js');
  const { publicKey } = await dist('net/wgkey.js');
  const psk = privateKey(999_999);
  const peers = Array.from({ length: PEERS }, (_, i) => ({
    publicKey: publicKey(privateKey(i)),
    presharedKey: psk,
    endpoint: `192.0.2.${(i % 250) + 1}:51820`,
    persistentKeepaliveIntervalMs: 25_000,
    allowedIPs: [`192.168.${i >> 8}.${i & 255}/32`, `10.${(i >> 8) + 1}.${i & 255}.0/24`, `fd7f:175a:b97c:5602::${(i + 1).toString(16)}/128`, `2001:db8:${i.toString(16)}::/48`],
  }));
  const want = { privateKey: privateKey(888_888), listenPort: 51820, firewallMark: 0x20, peers };
  let conf = `[Interface]\nPrivateKey = ${want.privateKey}\nListenPort = 51820\nFwMark = 0x20\n`;
  for (const p of peers) conf += `\n[Peer]\nPublicKey = ${p.publicKey}\nPresharedKey = ${psk}\nEndpoint = ${p.endpoint}\nPersistentKeepalive = 25\nAllowedIPs = ${p.allowedIPs.join(', ')}\n`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netcfg-bench-'));
  const confFile = path.join(dir, 'wg0.conf');
  fs.writeFileSync(confFile, conf, { mode: 0o600 });

  const fresh = () => {
    const ns = `ncbenchwg${process.pid}`;
    spawnSync('ip', ['netns', 'del', ns]);
    execFileSync('ip', ['netns', 'add', ns]);
    execFileSync('ip', ['-n', ns, 'link', 'add', 'wg0', 'type', 'wireguard']);
    return ns;
  };
  const count = (ns) => execFileSync('ip', ['netns', 'exec', ns, 'wg', 'show', 'wg0', 'peers'], { encoding: 'utf8', maxBuffer: 1 << 26 }).trim().split('\n').length;
  const r = { wg: [], netcfg: [], reapply: [], reapplyWrites: [], messages: [] };
  for (let run = 0; run < RUNS; run++) {
    let ns = fresh();
    try {
      let t0 = process.hrtime.bigint();
      execFileSync('ip', ['netns', 'exec', ns, 'wg', 'setconf', 'wg0', confFile]);
      r.wg.push(ms(t0));
      if (count(ns) !== PEERS) throw new Error('wg setconf did not set every peer');
    } finally {
      execFileSync('ip', ['netns', 'del', ns]);
    }
    ns = fresh();
    const client = RtnlClient.open({ netns: ns });
    try {
      const wg = client.wireguard();
      await wg.getDevice('wg0'); // family lookup and socket warm-up, not timed
      let t0 = process.hrtime.bigint();
      const delta = wireguardDelta(want, await wg.getDevice('wg0'));
      await wg.setDevice('wg0', delta.change);
      r.netcfg.push(ms(t0));
      r.messages.push(client.stats.writes);
      if (count(ns) !== PEERS) throw new Error('netcfg did not set every peer');
      const writes = client.stats.writes;
      t0 = process.hrtime.bigint();
      const again = wireguardDelta(want, await wg.getDevice('wg0'));
      if (again) await wg.setDevice('wg0', again.change);
      r.reapply.push(ms(t0));
      r.reapplyWrites.push(client.stats.writes - writes);
    } finally {
      client.close();
      execFileSync('ip', ['netns', 'del', ns]);
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(`WireGuard: ${PEERS} peers × 4 allowed IPs on a fresh link (median of ${RUNS}, ms)`);
  console.log(`  ${'wg setconf'.padEnd(44)}${fmt(median(r.wg))}`);
  console.log(`  ${`netcfg (read, diff, ${median(r.messages)} SET_DEVICE messages)`.padEnd(44)}${fmt(median(r.netcfg))}`);
  console.log(`  ${`netcfg re-apply (read, diff; ${median(r.reapplyWrites)} writes)`.padEnd(44)}${fmt(median(r.reapply))}`);
}

async function computePart() {
  const { peerSpecs } = await dist('kubespan/peers.js');
  const { routedSet } = await dist('kubespan/routed.js');
  const { kubespanRuleset } = await dist('nftables/kubespan.js');
  const { canonicalSpec } = await dist('nftables/render.js');
  const { wireguardDelta } = await dist('controllers/spec/link-kinds.js');
  const key = (i) => Buffer.alloc(32, 0).fill(i & 0xff, 0, 11).fill((i >> 8) & 0xff, 11, 22).fill(7, 22).toString('base64');
  // scattered addresses (a real cluster's do not collapse into a few prefixes)
  const octets = (i, salt) => [...crypto.createHash('sha256').update(`${salt}${i}`).digest().subarray(0, 16)];
  const v4 = (i, salt) => octets(i, salt).slice(0, 4).join('.');
  const v6 = (i, salt) => `2001:db8:${octets(i, salt).slice(4, 16).reduce((a, b, j) => a + (j % 2 ? b.toString(16).padStart(2, '0') : `:${b.toString(16)}`), '').slice(1)}`;
  const affiliate = (i, extra = []) => {
    const pod = octets(i, 'pod');
    return {
      id: `node${String(i).padStart(5, '0')}`,
      nodename: `node-${i}`,
      addresses: [`10.${pod[0]}.${pod[1]}.${pod[2]}`, v6(i, 'node'), ...extra],
      kubespan: {
        publicKey: key(i),
        address: `fd7f:175a:b97c:5602:${octets(i, 'ula').slice(0, 4).map((b) => b.toString(16)).join(':')}`,
        additionalAddresses: [`100.${64 + (pod[3] & 63)}.${pod[4]}.0/24`, `${v6(i, 'pods').split(':').slice(0, 4).join(':')}::/64`],
        excludeAdvertisedNetworks: [],
        endpoints: [`${v4(i, 'public')}:51820`, `[${v6(i, 'node')}]:51820`],
      },
    };
  };
  const members = Array.from({ length: MEMBERS }, (_, i) => affiliate(i));
  const local = members[0].id;
  const states = new Map();
  const wgOf = (peers) => ({ privateKey: key(65535), listenPort: 51820, firewallMark: 0x20, peers: peers.map((p) => ({ publicKey: p.publicKey, presharedKey: key(65534), endpoint: p.endpoints[0], persistentKeepaliveIntervalMs: 25_000, allowedIPs: p.allowedIPs })) });
  const before = peerSpecs(members, local).peers;
  const device = { privateKey: key(65535), publicKey: '', listenPort: 51820, firewallMark: 0x20, peers: wgOf(before).peers.map((p) => ({ ...p, persistentKeepalive: 25, allowedIPs: [...p.allowedIPs] })) };
  const t = { peers: [], routed: [], ruleset: [], diff: [], total: [] };
  let changedPeers = 0;
  let routedSize = 0;
  for (let run = 0; run < Math.max(RUNS, 15); run++) {
    // one member changed: a new address
    const changed = members.map((m, i) => (i === 517 ? affiliate(i, [`198.51.100.${run % 250}`]) : m));
    const t0 = process.hrtime.bigint();
    const { peers } = peerSpecs(changed, local);
    const t1 = process.hrtime.bigint();
    const routed = routedSet(peers, states, true);
    const t2 = process.hrtime.bigint();
    const table = kubespanRuleset({ mtu: 1420, routed });
    canonicalSpec(table);
    const t3 = process.hrtime.bigint();
    const delta = wireguardDelta(wgOf(peers), device);
    const t4 = process.hrtime.bigint();
    changedPeers = delta?.change.peers?.length ?? 0;
    routedSize = routed.prefixes().length;
    if (run >= 3) {
      t.peers.push(Number(t1 - t0) / 1e6);
      t.routed.push(Number(t2 - t1) / 1e6);
      t.ruleset.push(Number(t3 - t2) / 1e6);
      t.diff.push(Number(t4 - t3) / 1e6);
      t.total.push(Number(t4 - t0) / 1e6);
    }
  }
  console.log(`Recompute after one of ${MEMBERS} members changed (median of ${t.total.length} after warm-up, ms)`);
  console.log(`  ${`peer specs (${MEMBERS - 1} peers, overlap check)`.padEnd(44)}${fmt(median(t.peers))}`);
  console.log(`  ${`routed set (${routedSize} prefixes)`.padEnd(44)}${fmt(median(t.routed))}`);
  console.log(`  ${'nftables ruleset (build + canonical form)'.padEnd(44)}${fmt(median(t.ruleset))}`);
  console.log(`  ${`WireGuard diff (${changedPeers} peer changed)`.padEnd(44)}${fmt(median(t.diff))}`);
  console.log(`  ${'total'.padEnd(44)}${fmt(median(t.total))}`);
}

if (!fs.existsSync(path.join(root, 'dist/kubespan/peers.js'))) {
  console.error('bench/kubespan.mjs: no build; run npm run build first');
  process.exit(2);
}
if (flags.has('--compute')) {
  await computePart();
} else if (!flags.has('--guest') && (flags.has('--vm') || !hasWireguard())) {
  console.log(`(this kernel: ${os.release()}; running in the lane VM)`);
  await inVm();
} else {
  console.log(`kernel ${os.release()}, node ${process.version}, ${os.cpus().length} CPUs`);
  await wireguardPart();
  await computePart();
}
