// Hostname (in a UTS namespace of the test's own), resolv.conf/hosts under a
// test --etc-dir, and safe apply (--try, confirm, rollback), on a real kernel.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, applyJson, netcfg } from '../helpers/cli.js';
import { createTestNet, type TestNet } from '../helpers/netns.js';

/** Runs a shell script inside a new UTS namespace (hostname changes stay there). */
function inUts(script: string): string {
  return execFileSync('unshare', ['--uts', 'sh', '-ec', script], { encoding: 'utf8', env: { ...process.env, NETCFG: `${process.execPath} ${BIN}` } });
}

function addrs(net: TestNet, link = 'eth0'): string[] {
  return ((net.json('addr', 'show', link)[0]?.addr_info ?? []) as Array<{ local: string; prefixlen: number; scope: string }>).filter((a) => a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`);
}

async function until(what: string, check: () => boolean, timeoutMs = 15000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('hostname, resolv.conf and hosts', () => {
  it('sets the hostname and domain in its UTS namespace, writes the files, and restores all of it when removed', () => {
    const net = createTestNet();
    const etc = path.join(net.dir, 'etc');
    fs.mkdirSync(etc);
    fs.writeFileSync(path.join(etc, 'resolv.conf'), 'nameserver 9.9.9.9\n');
    const withNames = net.file(
      'a.yaml',
      `machine:
  network:
    hostname: node1.example.org
    nameservers: [10.0.0.53, 2001:db8::53]
    extraHostEntries:
      - {ip: 192.0.2.5, aliases: [db]}
    interfaces:
      - interface: eth0
        addresses: [192.0.2.10/24]
`,
    );
    const without = net.file('b.yaml', 'machine:\n  network:\n    interfaces:\n      - interface: eth0\n        addresses: [192.0.2.10/24]\n');
    // the hostname of another network namespace is set only in the UTS namespace given with --uts
    const args = `--netns ${net.ns} --state-dir ${net.stateDir} --etc-dir ${etc} --uts /proc/$$/ns/uts`;
    const before = os.hostname();
    const out = inUts(`$NETCFG apply ${args} ${withNames}; hostname; cat /proc/sys/kernel/domainname; $NETCFG apply ${args} ${without}; hostname; cat /proc/sys/kernel/domainname`);
    expect(out).toContain(`~ hostname hostname: ${before} → node1.example.org`);
    expect(out).toContain(`~ file ${etc}/resolv.conf: -nameserver 9.9.9.9, +nameserver 10.0.0.53, +nameserver 2001:db8::53, +search example.org`);
    expect(out).toContain(`+ file ${etc}/hosts`);
    const lines = out.split('\n');
    const firstHostname = lines.findIndex((l) => l === 'node1');
    expect(firstHostname).toBeGreaterThan(0);
    expect(lines[firstHostname + 1]).toBe('example.org');
    // removed from the config: the names and the files go back to what they were
    expect(out).toContain(`- hostname hostname: restore ${before}`);
    expect(lines.at(-3)).toBe(before);
    expect(fs.readFileSync(path.join(etc, 'resolv.conf'), 'utf8')).toBe('nameserver 9.9.9.9\n');
    expect(fs.existsSync(path.join(etc, 'hosts'))).toBe(false);
    expect(os.hostname()).toBe(before); // the test's own UTS namespace was never touched
  });

  it('writes resolv.conf and hosts with the expected content', () => {
    const net = createTestNet();
    const etc = path.join(net.dir, 'etc');
    const file = net.file(
      'c.yaml',
      `machine:
  network:
    hostname: node1.example.org
    searchDomains: [corp.example.org]
    extraHostEntries:
      - {ip: 192.0.2.5, aliases: [db]}
      - {ip: 10.0.0.7, aliases: [registry]}
      - {ip: 192.0.2.5, aliases: [db.example.org]}
    interfaces:
      - interface: eth0
        addresses: [192.0.2.10/24]
`,
    );
    inUts(`$NETCFG apply --netns ${net.ns} --state-dir ${net.stateDir} --etc-dir ${etc} --uts /proc/$$/ns/uts ${file}`);
    expect(fs.readFileSync(path.join(etc, 'resolv.conf'), 'utf8')).toBe('nameserver 1.1.1.1\nnameserver 8.8.8.8\n\nsearch corp.example.org\n');
    expect(fs.readFileSync(path.join(etc, 'hosts'), 'utf8')).toBe(
      '127.0.0.1  localhost\n192.0.2.10 node1.example.org node1\n::1        localhost ip6-localhost ip6-loopback\nff02::1    ip6-allnodes\nff02::2    ip6-allrouters\n10.0.0.7   registry\n192.0.2.5  db db.example.org\n',
    );
    expect((fs.statSync(path.join(etc, 'hosts')).mode & 0o777).toString(8)).toBe('644');
  });

  it('leaves /etc files alone when the config says nothing about names or DNS', async () => {
    const net = createTestNet();
    const etc = path.join(net.dir, 'etc');
    fs.mkdirSync(etc);
    fs.writeFileSync(path.join(etc, 'resolv.conf'), 'nameserver 9.9.9.9\n');
    const r = await applyJson(net, net.file('d.yaml', 'machine:\n  network:\n    interfaces: [{interface: eth0}]\n'), 0, ['--etc-dir', etc]);
    expect(r.changes.filter((c) => c.kind === 'file')).toEqual([]);
    expect(fs.readFileSync(path.join(etc, 'resolv.conf'), 'utf8')).toBe('nameserver 9.9.9.9\n');
    expect(fs.existsSync(path.join(etc, 'hosts'))).toBe(false);
  });

  it('never renames the machine while configuring another network namespace without --uts', async () => {
    const net = createTestNet();
    const before = os.hostname();
    const r = await applyJson(net, net.file('e.yaml', 'machine:\n  network:\n    hostname: renamed-by-test\n'), 0, ['--etc-dir', path.join(net.dir, 'etc')]);
    expect(r.pending.join('\n')).toMatch(/hostname renamed-by-test: not applied: .*pass --uts/);
    expect(os.hostname()).toBe(before);
    // nor through ip netns exec (the process is in the namespace, the UTS namespace is the machine's)
    const viaExec = await netcfg(['apply', '--state-dir', net.stateDir, '--etc-dir', path.join(net.dir, 'etc'), '-o', 'json', net.file('e.yaml', 'machine:\n  network:\n    hostname: renamed-by-test\n')], { netnsExec: net.ns });
    expect(viaExec.stdout).toMatch(/not applied/);
    expect(os.hostname()).toBe(before);
  });
});

describe('safe apply', () => {
  const A = 'machine:\n  network:\n    interfaces:\n      - interface: eth0\n        addresses: [192.0.2.10/24]\n';
  const B = 'machine:\n  network:\n    interfaces:\n      - interface: eth0\n        mtu: 1400\n        addresses: [192.0.2.20/24]\n        routes: [{network: 10.9.0.0/16, gateway: 192.0.2.1}]\n';

  it('rolls back to the previous config when a try is not confirmed in time', async () => {
    const net = createTestNet();
    await applyJson(net, net.file('a.yaml', A));
    const before = net.dump();
    const tried = await netcfg(['apply', '--try', '--timeout', '2s', '--netns', net.ns, '--state-dir', net.stateDir, net.file('b.yaml', B)]);
    expect(tried.exitCode, tried.stderr).toBe(0);
    expect(tried.stdout).toMatch(/try: run `netcfg confirm` within 2s/);
    expect(addrs(net)).toEqual(['192.0.2.20/24']);
    expect(net.json('link', 'show', 'eth0')[0]).toMatchObject({ mtu: 1400 });
    await until('the rollback', () => !fs.existsSync(path.join(net.stateDir, `netns-${net.ns}.json.try`)));
    expect(addrs(net)).toEqual(['192.0.2.10/24']);
    expect(net.dump()).toEqual(before); // the kernel is exactly as it was under A
    const log = fs.readFileSync(path.join(net.stateDir, `netns-${net.ns}.try.log`), 'utf8');
    expect(log).toContain('rollback: the tried config was not confirmed in time');
    expect(log).toContain('- address eth0/192.0.2.20/24');
  });

  it('keeps the tried config when confirmed, and `netcfg rollback` restores the previous one on demand', async () => {
    const net = createTestNet();
    await applyJson(net, net.file('a.yaml', A));
    const underA = net.dump();
    // long enough for two more CLI runs on a loaded machine; the deadline passing unconfirmed is the test above
    const tried = Date.now();
    await netcfg(['apply', '--try', '--timeout', '5s', '--netns', net.ns, '--state-dir', net.stateDir, net.file('b.yaml', B)]);
    const again = await netcfg(['apply', '--netns', net.ns, '--state-dir', net.stateDir, net.file('a.yaml', A)]);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toContain('waiting for confirmation');
    const confirmed = await netcfg(['confirm', '--netns', net.ns, '--state-dir', net.stateDir]);
    expect(confirmed.exitCode, confirmed.stderr).toBe(0);
    // past the deadline: the confirmed config stays
    await new Promise((r) => setTimeout(r, Math.max(0, tried + 5500 - Date.now())));
    expect(addrs(net)).toEqual(['192.0.2.20/24']);
    const underB = net.dump();
    const rolled = await netcfg(['rollback', '--netns', net.ns, '--state-dir', net.stateDir]);
    expect(rolled.exitCode, rolled.stderr).toBe(0);
    expect(rolled.stdout).toContain('rollback: restoring the previous config');
    expect(net.dump()).toEqual(underA);
    // rolling back again goes forward to B: previous and applied swapped
    await netcfg(['rollback', '--netns', net.ns, '--state-dir', net.stateDir]);
    expect(net.dump()).toEqual(underB);
  });

  it('rollback with no previous config undoes everything netcfg did', async () => {
    const net = createTestNet();
    const pristine = net.dump();
    await applyJson(net, net.file('b.yaml', B));
    const r = await netcfg(['rollback', '--netns', net.ns, '--state-dir', net.stateDir]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('undoing everything netcfg applied');
    // lo is down again; the kernel added 127.0.0.1/8 itself when lo came up, and keeps it (netcfg did not create it)
    const [lo] = net.json('addr', 'show', 'lo');
    expect(lo!.flags).not.toContain('UP');
    expect((lo!.addr_info as Array<{ local: string }>).map((a) => a.local)).toEqual(['127.0.0.1']);
    net.ip('addr', 'flush', 'dev', 'lo');
    expect(net.dump()).toEqual(pristine);
  });
});
