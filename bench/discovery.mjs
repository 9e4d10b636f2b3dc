#!/usr/bin/env node
// Fan-out of `netcfg discovery-server`: one server, 1024 affiliates of one
// cluster (the per-cluster limit), each with its own gRPC connection and Watch
// stream, spread over a few worker processes. Then, round after round, one
// affiliate updates its data and the time until every one of the 1024 watchers
// has received it is measured (send → last receipt, clocks shared: one machine).
// Prints p50/p99/max of that time (target p99 ≤ 1 s), and the server's RSS and
// CPU at that load. The reference service (siderolabs/discovery-service, Go,
// BSL) is not packaged anywhere this project can install from, so there is no
// side-by-side peer: the figures are compared with the target.
//   node bench/discovery.mjs [--affiliates 1024] [--rounds 200] [--workers 2] [--gap-ms 50]
// Needs a build (npm run build). Listens on 127.0.0.1 only; stops everything it
// started on exit, on failure and on Ctrl-C.
import { fork, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLUSTER = 'bench-cluster-2NKXIw9IRQbM7s7iS0CAmKLnWYKkCxLqTSNjeVyfRrg=';
const MAGIC = Buffer.from('BENCHRND');
const now = () => performance.timeOrigin + performance.now();

if (process.env.NETCFG_BENCH_WORKER) await worker();
else await main();

// ------------------------------------------------------------------ worker

/** Runs `count` affiliates starting at `first`: registers them, opens their watches, answers the coordinator. */
async function worker() {
  const { Client, credentials, Metadata } = await import('@grpc/grpc-js');
  const { ClusterService } = await import(pathToFileURL(path.join(root, 'dist/discovery/service.js')).href);
  const { port, first, count, total } = JSON.parse(process.env.NETCFG_BENCH_WORKER);
  const clients = [];
  const md = (i) => {
    const m = new Metadata();
    m.set('x-real-ip', `127.1.${i >> 8}.${i & 255}`); // one client IP per node, as in a real cluster
    return m;
  };
  const unary = (c, m, req, i) => new Promise((resolve, reject) => c.makeUnaryRequest(m.path, m.requestSerialize, m.responseDeserialize, req, md(i), { deadline: Date.now() + 30_000 }, (e, r) => (e ? reject(e) : resolve(r))));
  const update = (i, data) =>
    unary(clients[i - first], ClusterService.AffiliateUpdate, { clusterId: CLUSTER, affiliateId: `affiliate-${i}`, affiliateData: data, affiliateEndpoints: [crypto.randomBytes(16), crypto.randomBytes(16)], ttl: { seconds: 1800 } }, i);
  const blob = (round) => {
    const b = crypto.randomBytes(220); // about the size of a real affiliate's ciphertext
    MAGIC.copy(b, 0);
    b.writeUInt32BE(round, MAGIC.length);
    return b;
  };
  for (let i = first; i < first + count; i++) clients.push(new Client(`127.0.0.1:${port}`, credentials.createInsecure(), { 'grpc.enable_http_proxy': 0 }));
  for (let i = first; i < first + count; i += 32) await Promise.all(Array.from({ length: Math.min(32, first + count - i) }, (_, k) => update(i + k, blob(0))));
  process.send({ type: 'registered' });

  // watches: raw messages (no decoding on the watcher side), the round read from the blob
  const lastSeen = new Int32Array(count).fill(-1);
  const received = new Map(); // round -> { n, last }
  let snapshots = 0;
  const m = ClusterService.Watch;
  for (let k = 0; k < count; k++) {
    const s = clients[k].makeServerStreamRequest(m.path, m.requestSerialize, (b) => b, { clusterId: CLUSTER }, md(first + k), {});
    let firstMessage = true;
    s.on('data', (buf) => {
      const t = now();
      if (firstMessage) {
        firstMessage = false;
        if (++snapshots === count) process.send({ type: 'watching' });
        return;
      }
      const at = buf.indexOf(MAGIC);
      if (at < 0) return;
      const round = buf.readUInt32BE(at + MAGIC.length);
      if (round <= lastSeen[k]) return;
      lastSeen[k] = round;
      const r = received.get(round) ?? { n: 0, last: 0 };
      r.n++;
      r.last = Math.max(r.last, t);
      received.set(round, r);
      if (r.n === count) {
        process.send({ type: 'round', round, last: r.last });
        received.delete(round);
      }
    });
    s.on('error', (e) => process.send({ type: 'error', message: `watch ${first + k}: ${e.details ?? e.message}` }));
  }
  process.on('message', async (msg) => {
    if (msg.type === 'update') {
      const sent = now();
      await update(msg.affiliate, blob(msg.round));
      process.send({ type: 'sent', round: msg.round, sent });
    }
    if (msg.type === 'exit') {
      for (const c of clients) c.close();
      process.exit(0);
    }
  });
  void total;
}

// ------------------------------------------------------------- coordinator

async function main() {
  const { values: o } = parseArgs({
    options: {
      affiliates: { type: 'string', default: '1024' },
      rounds: { type: 'string', default: '200' },
      workers: { type: 'string', default: '2' },
      'gap-ms': { type: 'string', default: '50' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (o.help) {
    console.log('usage: node bench/discovery.mjs [--affiliates 1024] [--rounds 200] [--workers 2] [--gap-ms 50]   (after npm run build)');
    return;
  }
  const AFFILIATES = Number(o.affiliates);
  const ROUNDS = Number(o.rounds);
  const WORKERS = Number(o.workers);
  const GAP = Number(o['gap-ms']);
  for (const [k, v] of Object.entries({ AFFILIATES, ROUNDS, WORKERS })) if (!Number.isInteger(v) || v < 1) throw new Error(`--${k.toLowerCase()} wants a positive integer`);
  if (AFFILIATES > 1024) throw new Error('a cluster holds at most 1024 affiliates');

  const children = new Set();
  const cleanup = () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  };
  process.on('exit', cleanup);
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

  const port = await freePort();
  const server = spawn(process.execPath, [path.join(root, 'bin/netcfg.js'), 'discovery-server', '--addr', `127.0.0.1:${port}`, '--log-level', 'warn'], { stdio: ['ignore', 'inherit', 'inherit'] });
  children.add(server);
  await waitForPort(port);
  const cpu = () => {
    const f = fs.readFileSync(`/proc/${server.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, seconds (USER_HZ 100)
  };
  const rss = () => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${server.pid}/status`, 'utf8'))[1]) / 1024;
  const idleRss = rss();

  const per = Math.ceil(AFFILIATES / WORKERS);
  const workers = [];
  const events = [];
  let wake;
  const onMessage = (w) => (msg) => {
    if (msg.type === 'error') {
      console.error(`bench: ${msg.message}`);
      process.exit(1);
    }
    events.push({ ...msg, worker: w });
    wake?.();
  };
  const waitFor = async (pred) => {
    for (;;) {
      const i = events.findIndex(pred);
      if (i >= 0) return events.splice(i, 1)[0];
      await new Promise((r) => {
        wake = r;
        setTimeout(r, 60_000).unref();
      });
    }
  };
  const t0 = now();
  const cpu0 = cpu();
  for (let w = 0; w < WORKERS; w++) {
    const first = w * per;
    const count = Math.min(per, AFFILIATES - first);
    if (count <= 0) break;
    const child = fork(fileURLToPath(import.meta.url), [], { env: { ...process.env, NETCFG_BENCH_WORKER: JSON.stringify({ port, first, count, total: AFFILIATES }) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.add(child);
    child.on('message', onMessage(w));
    workers.push({ child, first, count });
  }
  for (const w of workers) await waitFor((e) => e.type === 'registered' && e.worker === workers.indexOf(w));
  const registered = now();
  for (const w of workers) await waitFor((e) => e.type === 'watching' && e.worker === workers.indexOf(w));
  const watching = now();
  const setupCpu = cpu() - cpu0;
  const loadedRss = rss();

  // rounds: one affiliate (a different one each time) updates; every watcher must see it
  const latencies = [];
  const cpu1 = cpu();
  const roundsStart = now();
  let peakRss = loadedRss;
  for (let round = 1; round <= ROUNDS; round++) {
    const affiliate = (round * 7919) % AFFILIATES;
    const owner = workers.findIndex((w) => affiliate >= w.first && affiliate < w.first + w.count);
    workers[owner].child.send({ type: 'update', affiliate, round });
    const sent = await waitFor((e) => e.type === 'sent' && e.round === round);
    let last = 0;
    for (let w = 0; w < workers.length; w++) last = Math.max(last, (await waitFor((e) => e.type === 'round' && e.round === round && e.worker === w)).last);
    latencies.push(last - sent.sent);
    if (round % 20 === 0) peakRss = Math.max(peakRss, rss());
    if (GAP > 0) await new Promise((r) => setTimeout(r, GAP));
  }
  const roundsWall = (now() - roundsStart) / 1000;
  const roundsCpu = cpu() - cpu1;
  for (const w of workers) w.child.send({ type: 'exit' });
  server.kill('SIGTERM');

  latencies.sort((a, b) => a - b);
  const q = (p) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)];
  const ms = (x) => `${x.toFixed(1)} ms`;
  console.log(`discovery-server fan-out: ${AFFILIATES} affiliates of one cluster, each with its own connection and Watch (${workers.length} worker processes), ${ROUNDS} rounds`);
  console.log(`  setup: ${AFFILIATES} AffiliateUpdate in ${((registered - t0) / 1000).toFixed(2)} s, ${AFFILIATES} watches (snapshot of ${AFFILIATES}) in ${((watching - registered) / 1000).toFixed(2)} s; server CPU ${setupCpu.toFixed(2)} s`);
  console.log(`  one update → all ${AFFILIATES} watchers: p50 ${ms(q(50))}  p99 ${ms(q(99))}  max ${ms(latencies.at(-1))}   (target p99 ≤ 1000 ms: ${q(99) <= 1000 ? 'met' : 'NOT met'})`);
  console.log(`  server RSS: ${idleRss.toFixed(1)} MiB idle, ${loadedRss.toFixed(1)} MiB with ${AFFILIATES} affiliates and watches, ${peakRss.toFixed(1)} MiB peak during the rounds`);
  console.log(`  server CPU during the rounds: ${roundsCpu.toFixed(2)} s over ${roundsWall.toFixed(1)} s (${((100 * roundsCpu) / roundsWall).toFixed(1)} % of a core; ${((1000 * roundsCpu) / ROUNDS).toFixed(1)} ms per update fanned out to ${AFFILIATES})`);
  console.log('  reference peer: siderolabs/discovery-service (Go, BSL) is not installable here; no side-by-side figure');
  await new Promise((r) => server.once('exit', r));
  process.exit(0);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error('the discovery server did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
}
