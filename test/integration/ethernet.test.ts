// EthernetConfig on a real kernel: a veth with four queues in the test's
// namespace, its features and channel counts set through ethtool netlink and
// checked with the ethtool tool; as it is on a re-apply, put back as it was
// when the document goes, and an error (with nothing half done) for what the
// driver cannot do.
import { execFileSync } from 'node:child_process';
import { describe, expect, it, onTestFinished } from 'vitest';
import { applyJson, netcfg } from '../helpers/cli.js';
import { startDaemon, within } from '../helpers/daemon.js';
import { parseJsonStream } from '../helpers/json-stream.js';
import type { EthernetStatus } from '../../src/resources/network/types.js';
import { createTestNet, type TestNet } from '../helpers/netns.js';

const HOST = `version: v1alpha1
machine:
  network:
    interfaces:
      - interface: q0
        addresses: [192.0.2.20/24]
`;

const ETHERNET = `---
apiVersion: v1alpha1
kind: EthernetConfig
name: q0
features:
  rx-gro: true
  tx-checksum-ip-generic: false
channels:
  rx: 2
`;

function ethtool(net: TestNet, ...args: string[]): string {
  return execFileSync('ip', ['netns', 'exec', net.ns, 'ethtool', ...args], { encoding: 'utf8' });
}

/** ethtool -k's view: feature → on (the tool's own names: rx-gro is generic-receive-offload). */
function features(net: TestNet): Record<string, boolean> {
  return Object.fromEntries([...featureLines(net, 'q0')].map(([name, status]) => [name, status.startsWith('on')]));
}

function rxChannels(net: TestNet): number {
  const current = ethtool(net, '-l', 'q0').split('Current hardware settings:')[1] ?? '';
  return Number(/RX:\s+(\d+)/.exec(current)?.[1]);
}

/** ethtool -l's view by Talos' names: each kind the tool shows a number for, its maximum and its count. */
function channelsOf(net: TestNet, link: string): Record<string, number> {
  const [maxima = '', current = ''] = ethtool(net, '-l', link).split('Pre-set maximums:')[1]!.split('Current hardware settings:');
  const out: Record<string, number> = {};
  for (const [part, suffix] of [[maxima, '-max'], [current, '']] as const) {
    for (const m of part.matchAll(/^(RX|TX|Other|Combined):\s+(\d+)$/gm)) out[`${m[1]!.toLowerCase()}${suffix}`] = Number(m[2]);
  }
  return out;
}

function rxQueues(net: TestNet): string[] {
  return execFileSync('ip', ['netns', 'exec', net.ns, 'ls', '/sys/class/net/q0/queues'], { encoding: 'utf8' }).split(/\s+/).filter((q) => q.startsWith('rx-'));
}

/** q0 (or `name`): a veth with 4 queues each way (so it has channels to change), its peer in the router namespace. */
function multiQueueLink(net: TestNet, name = 'q0', peer = 'q1'): void {
  execFileSync('ip', ['-n', net.ns, 'link', 'add', name, 'numtxqueues', '4', 'numrxqueues', '4', 'type', 'veth', 'peer', 'name', peer, 'netns', net.router, 'numtxqueues', '4', 'numrxqueues', '4']);
  onTestFinished(() => {
    execFileSync('ip', ['-n', net.ns, 'link', 'del', name], { stdio: 'ignore' });
  });
}

describe('EthernetConfig', () => {
  it('sets features and channels, leaves them on a re-apply, and puts them back when the document goes', async () => {
    const net = createTestNet();
    multiQueueLink(net);
    const before = features(net);
    expect([before['generic-receive-offload'], before['tx-checksum-ip-generic'], rxChannels(net)]).toEqual([false, true, 4]);

    const applied = await applyJson(net, net.file('e.yaml', HOST + ETHERNET));
    expect(applied.changes.filter((c) => c.kind === 'ethernet')).toEqual([{ action: 'change', kind: 'ethernet', id: 'q0', detail: 'features rx-gro on, tx-checksum-ip-generic off; channels rx 2' }]);
    const after = features(net);
    expect([after['generic-receive-offload'], after['tx-checksum-ip-generic'], rxChannels(net)]).toEqual([true, false, 2]);
    // the kernel's own view of the receive queues in use
    expect(rxQueues(net)).toEqual(['rx-0', 'rx-1']);

    expect((await applyJson(net, net.file('e.yaml', HOST + ETHERNET))).changes).toEqual([]);

    const removed = await applyJson(net, net.file('host.yaml', HOST));
    expect(removed.changes.filter((c) => c.kind === 'ethernet').map((c) => c.detail)).toEqual(['put back features rx-gro off, tx-checksum-ip-generic on; channels rx 4']);
    const restored = features(net);
    expect([restored['generic-receive-offload'], restored['tx-checksum-ip-generic'], rxChannels(net)]).toEqual([false, true, 4]);
    expect(rxQueues(net)).toHaveLength(4);
  });

  it('fails on what the driver cannot do, and on a feature name the kernel does not know', async () => {
    const net = createTestNet();
    multiQueueLink(net);
    // veth has no ring parameters: rings come first (Talos' order), so nothing else is changed
    const rings = await netcfg(['apply', '--netns', net.ns, '--state-dir', net.stateDir, '--etc-dir', `${net.dir}/etc`, net.file('r.yaml', `${HOST}${ETHERNET}rings:\n  rx: 256\n`)]);
    expect(rings.exitCode).not.toBe(0);
    expect(rings.stderr + rings.stdout).toMatch(/read the ring sizes of q0: operation not supported/);
    expect(rxChannels(net)).toBe(4);
    expect(features(net)['generic-receive-offload']).toBe(false);

    const unknown = await netcfg(['apply', '--netns', net.ns, '--state-dir', net.stateDir, '--etc-dir', `${net.dir}/etc`, net.file('u.yaml', `${HOST}---\napiVersion: v1alpha1\nkind: EthernetConfig\nname: q0\nfeatures:\n  no-such-feature: true\n`)]);
    expect(unknown.exitCode).not.toBe(0);
    expect(unknown.stderr + unknown.stdout).toMatch(/no-such-feature.*bit name not found/);
  });
});

/** ethtool -k's lines, every one (the tool's grouped names too): name → "on", "off [fixed]"… */
function featureLines(net: TestNet, link: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of ethtool(net, '-k', link).split('\n')) {
    const m = /^\s*([a-z0-9_-]+): (.+)$/.exec(line);
    if (m) out.set(m[1]!, m[2]!.trim());
  }
  return out;
}

async function ethernetStatuses(args: string[]): Promise<Record<string, EthernetStatus>> {
  const r = await netcfg(['get', 'ethtool', '-o', 'json', ...args]);
  expect(r.exitCode, r.stderr).toBe(0);
  const list = parseJsonStream<{ metadata: { id: string }; spec: EthernetStatus }>(r.stdout);
  return Object.fromEntries(list.map((x) => [x.metadata.id, x.spec]));
}

describe('EthernetStatus (get ethtool)', () => {
  it('says what the ethtool tool says: port, speed, duplex, carrier and every feature; the daemon follows changes', async () => {
    const net = createTestNet();
    multiQueueLink(net);
    // w0: a link netcfg is not configured for, left down
    multiQueueLink(net, 'w0', 'w1');
    execFileSync('ip', ['-n', net.ns, 'link', 'set', 'q0', 'up']);
    execFileSync('ip', ['-n', net.router, 'link', 'set', 'q1', 'up']);
    const target = ['--netns', net.ns, '--state-dir', net.stateDir];
    const statuses = await ethernetStatuses(target);
    // a veth: what `ethtool q0` prints (Speed: 10000Mb/s, Duplex: Full, Port: Twisted Pair, Link detected: yes)
    const settings = ethtool(net, 'q0');
    expect(settings).toMatch(/Speed: 10000Mb\/s[\s\S]*Duplex: Full[\s\S]*Port: Twisted Pair[\s\S]*Link detected: yes/);
    expect(statuses.q0).toMatchObject({ port: 'TwistedPair', duplex: 'Full', speedMbit: 10000, linkState: true });
    // channels as `ethtool -l` shows them (veth: rx and tx, no other or combined); no Wake-on-LAN (veth has none)
    expect(channelsOf(net, 'q0')).toEqual({ 'rx-max': 4, 'tx-max': 4, rx: 4, tx: 4 });
    expect(statuses.q0!.channels).toEqual(channelsOf(net, 'q0'));
    expect(settings).not.toMatch(/Wake-on/);
    expect(statuses.q0!.wakeOnLAN).toBeUndefined();
    // loopback has no ethtool link info: no status
    expect(Object.keys(statuses)).not.toContain('lo');
    // every feature ethtool -k names the kernel's way has the same state, [fixed] and [requested …] included
    const tool = featureLines(net, 'q0');
    const ours = Object.entries(statuses.q0!.features ?? {});
    const shared = ours.filter(([name]) => tool.has(name));
    expect(shared.length).toBeGreaterThan(30);
    for (const [name, status] of shared) expect(status, name).toBe(tool.get(name));
    // the ones it does not show by name are its grouped ones (rx-gro is generic-receive-offload)
    expect(ours.filter(([name]) => !tool.has(name)).map(([name]) => name)).toEqual(expect.arrayContaining(['rx-gro']));

    // the daemon: its own EthernetConfig write, then someone else's ethtool -K, each seen
    const d = await startDaemon(net, net.file('c.yaml', `${HOST}---\napiVersion: v1alpha1\nkind: EthernetConfig\nname: q0\nfeatures:\n  tx-nocache-copy: true\n`));
    const fromDaemon = () => ethernetStatuses(d.args);
    await within(10_000, async () => (await fromDaemon()).q0?.features?.['tx-nocache-copy'] === 'on', 'the daemon reports its own feature change');
    expect(featureLines(net, 'q0').get('tx-nocache-copy')).toBe('on');
    ethtool(net, '-K', 'q0', 'rx-gro-list', 'on');
    await within(10_000, async () => (await fromDaemon()).q0?.features?.['rx-gro-list'] === 'on', 'the daemon reports a change made with ethtool -K');
    // a channel change of a link that is down makes no link event (a running veth is closed and opened again,
    // which makes one): only ethtool's own notification can tell the daemon
    expect((await fromDaemon()).w0?.channels).toEqual({ 'rx-max': 4, 'tx-max': 4, rx: 4, tx: 4 });
    ethtool(net, '-L', 'w0', 'rx', '3');
    expect(channelsOf(net, 'w0').rx).toBe(3);
    await within(10_000, async () => (await fromDaemon()).w0?.channels?.rx === 3, 'the daemon reports a change made with ethtool -L');
    // carrier gone (the peer down): seen too
    execFileSync('ip', ['-n', net.router, 'link', 'set', 'q1', 'down']);
    await within(10_000, async () => (await fromDaemon()).q0?.linkState === false, 'the daemon reports the lost carrier');
  });
});
