// The discovery client against netcfg's own server on loopback (no namespaces):
// snapshot then deltas, updates, a clean leave, a restarted (empty) server
// refilled by the clients, and an aborted watch ("lost update") reconnected.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, expect, it } from 'vitest';
import { clusterKey } from '../../src/discovery/crypto.js';
import { normalizeEndpoint } from '../../src/discovery/endpoint-url.js';
import { DiscoveryServer } from '../../src/discovery-server/server.js';
import { pino } from 'pino';
import { silentLogger } from '../../src/log.js';
import { DiscoveryClient } from '../../src/operators/discovery/client.js';
import { affiliateToPb } from '../../src/operators/discovery/convert.js';
import type { AffiliateSpec } from '../../src/resources/cluster/types.js';
import { within } from '../helpers/daemon.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function server(port = 0): Promise<DiscoveryServer> {
  const s = await DiscoveryServer.start({ addr: `127.0.0.1:${port}`, snapshotIntervalMs: 60_000, gcIntervalMs: 60_000, rateLimit: false, trustXRealIP: true, trustXForwardedFor: true, log: silentLogger() });
  cleanups.push(() => s.stop());
  return s;
}

const SECRET = Buffer.alloc(32, 7).toString('base64');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netcfg-dclient-'));
// after the last test (a cleanup pushed here ran after the first, and later tests made the directory again)
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
let n = 0;

function client(port: number, id: string, hostname: string): { c: DiscoveryClient; changes: () => number; logs: string[] } {
  let changes = 0;
  const logs: string[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => logs.push((JSON.parse(line) as { msg: string }).msg) });
  const c = new DiscoveryClient({
    name: 'test',
    index: n++,
    target: normalizeEndpoint(`http://127.0.0.1:${port}/`),
    clusterId: 'unit-cluster',
    key: clusterKey(SECRET),
    affiliateId: id,
    clientVersion: 'v0.1.0',
    ttlMs: 60_000,
    netnsPath: undefined,
    proxy: { httpsProxy: '', httpProxy: '', noProxy: '' },
    extraCAs: '',
    bridgeDir: dir,
    log,
    onChange: () => changes++,
  });
  const spec: AffiliateSpec = { nodeId: id, addresses: ['192.0.2.1'], hostname, nodename: hostname, operatingSystem: 'netcfg (v0.1.0)', machineType: 'worker' };
  const pb = affiliateToPb(spec);
  c.setLocalData(pb.affiliate, pb.endpoints);
  c.start();
  cleanups.push(() => c.stop({ leave: false }));
  return { c, changes: () => changes, logs };
}

const hostnames = (c: DiscoveryClient) => [...c.affiliates().values()].map((a) => a.hostname).sort();

it('sees the others, their changes and their leaving; skips itself; learns its public IP', async () => {
  const s = await server();
  const port = s.address().port;
  const a = client(port, 'node-a', 'a');
  const b = client(port, 'node-b', 'b');
  await within(5000, () => hostnames(a.c).join() === 'b' && hostnames(b.c).join() === 'a', 'a and b see each other');
  expect(a.c.publicIP()).toBe('127.0.0.1');
  const pb = affiliateToPb({ nodeId: 'node-b', addresses: ['192.0.2.2'], hostname: 'b2', nodename: 'b2', operatingSystem: '', machineType: 'controlplane' });
  b.c.setLocalData(pb.affiliate, pb.endpoints);
  await within(3000, () => hostnames(a.c).join() === 'b2', 'a sees b change');
  await b.c.stop({ leave: true });
  await within(3000, () => hostnames(a.c).length === 0, 'a sees b leave');
  expect(s.state.cluster('unit-cluster').affiliates.size).toBe(1);
});

it('refills a restarted, empty server and reconnects an aborted watch to a fresh snapshot', async () => {
  let s = await server();
  const port = s.address().port;
  const a = client(port, 'node-a', 'a');
  const b = client(port, 'node-b', 'b');
  await within(5000, () => hostnames(a.c).join() === 'b' && hostnames(b.c).join() === 'a', 'a and b see each other');
  await s.stop();
  cleanups.pop();
  s = await server(port);
  // registering and watching again are separate calls: wait for both, else the watch below may not be there yet
  await within(10_000, () => s.state.cluster('unit-cluster').affiliates.size === 2 && s.state.cluster('unit-cluster').subscribers.size === 2, 'both re-registered and watching');
  // a's new watch may have begun before b registered again: b then reaches it as a change, a moment later
  await within(3000, () => hostnames(a.c).join() === 'b', 'a sees b again');
  // the server drops a's watch as it would a watcher that cannot keep up
  const cluster = s.state.cluster('unit-cluster');
  const before = cluster.subscribers.size;
  expect(before).toBe(2);
  const victim = [...cluster.subscribers][0]!;
  cluster.subscribers.delete(victim);
  victim.lost();
  await within(10_000, () => cluster.subscribers.size === 2, 'the watch is back');
  expect([...a.logs, ...b.logs].some((m) => m === 'discovery watch failed: reconnecting')).toBe(true);
  const pb = affiliateToPb({ nodeId: 'node-b', addresses: [], hostname: 'b3', nodename: 'b3', operatingSystem: '', machineType: 'worker' });
  b.c.setLocalData(pb.affiliate, pb.endpoints);
  await within(3000, () => hostnames(a.c).join() === 'b3', 'changes flow again');
});
