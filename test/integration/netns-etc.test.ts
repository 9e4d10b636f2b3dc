// Namespace safety: netcfg run on a named network namespace (under
// `ip netns exec NAME`, or with --netns NAME) writes resolv.conf and hosts to
// /etc/netns/NAME, never to the machine's /etc, and never renames the machine;
// in an unnamed namespace it writes no files at all. Each test compares the
// machine's own files and hostname byte for byte before and after.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { BIN, netcfg } from '../helpers/cli.js';
import { startDaemon, within } from '../helpers/daemon.js';
import { startDnsmasq } from '../helpers/dnsmasq.js';
import { createTestNet, type TestNet } from '../helpers/netns.js';
import { hostChanges, hostSnapshot } from '../host-snapshot.js';

const CONFIG = `machine:
  network:
    hostname: node7.example.org
    nameservers: [192.0.2.53, 2001:db8::53]
    searchDomains: [corp.example.org]
    extraHostEntries:
      - {ip: 192.0.2.5, aliases: [db, db.corp.example.org]}
    interfaces:
      - interface: eth0
        addresses: [192.0.2.10/24]
`;
const RESOLV = 'nameserver 192.0.2.53\nnameserver 2001:db8::53\n\nsearch corp.example.org\n';
const HOSTS =
  '127.0.0.1  localhost\n192.0.2.10 node7.example.org node7\n::1        localhost ip6-localhost ip6-loopback\nff02::1    ip6-allnodes\nff02::2    ip6-allrouters\n192.0.2.5  db db.corp.example.org\n';
const NO_NAMES = 'machine:\n  network:\n    interfaces:\n      - interface: eth0\n        addresses: [192.0.2.10/24]\n';

/** /etc/netns/NAME for the test's namespace, removed (with /etc/netns if the test made it) when the test ends. */
function netnsEtc(net: TestNet): string {
  const hadParent = fs.existsSync('/etc/netns');
  const dir = path.join('/etc/netns', net.ns);
  onTestFinished(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    if (!hadParent) {
      try {
        fs.rmdirSync('/etc/netns');
      } catch {
        // someone else's namespace files are there (or it is gone already)
      }
    }
  });
  return dir;
}

/** The machine's own resolv.conf, hosts, hostname and domain name: compared at the end of the test. */
function guardHost(): void {
  const before = hostSnapshot({ netns: false });
  onTestFinished(() => {
    expect(hostChanges(before, hostSnapshot({ netns: false }))).toEqual([]);
  });
}

const inNetns = (ns: string, ...cmd: string[]) => execFileSync('ip', ['netns', 'exec', ns, ...cmd], { encoding: 'utf8' });

/** A process started in the namespace before netcfg runs: it copies /etc/resolv.conf (as it sees it) every 50 ms. */
function watcher(net: TestNet): { seen(): string; stop(): void } {
  const out = path.join(net.dir, 'seen');
  const child: ChildProcess = spawn('ip', ['netns', 'exec', net.ns, 'sh', '-c', `while :; do cat /etc/resolv.conf > ${out}.tmp; mv ${out}.tmp ${out}; sleep 0.05; done`], { stdio: 'ignore' });
  const stop = () => {
    if (child.exitCode === null && child.pid) {
      try {
        process.kill(child.pid, 'SIGKILL'); // the sh itself: ip netns exec execs it, same pid
      } catch {
        // gone
      }
    }
  };
  onTestFinished(stop);
  return { seen: () => (fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : ''), stop };
}

describe('namespace safety: /etc/netns/NAME, never the machine /etc', () => {
  it('under `ip netns exec NAME`, apply writes /etc/netns/NAME/{resolv.conf,hosts}, which later `ip netns exec` processes see; the machine files and hostname stay byte-identical', async () => {
    guardHost();
    const net = createTestNet();
    const etc = netnsEtc(net);
    expect(fs.existsSync(etc)).toBe(false);
    const r = await netcfg(['apply', '--state-dir', net.stateDir, '-o', 'json', net.file('c.yaml', CONFIG)], { netnsExec: net.ns });
    expect(r.exitCode, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { changes: Array<{ kind: string; id: string }>; pending: string[] };
    expect(report.changes.filter((c) => c.kind === 'file').map((c) => c.id).sort()).toEqual([`${etc}/hosts`, `${etc}/resolv.conf`]);
    // the hostname of a namespace lives in a UTS namespace netcfg was not given: reported, not applied
    expect(report.pending.join('\n')).toMatch(/hostname node7\.example\.org: not applied: .*network namespace .*pass --uts/);
    expect((fs.statSync(etc).mode & 0o777).toString(8)).toBe('755');
    expect(fs.readFileSync(path.join(etc, 'resolv.conf'), 'utf8')).toBe(RESOLV);
    expect(fs.readFileSync(path.join(etc, 'hosts'), 'utf8')).toBe(HOSTS);
    expect(inNetns(net.ns, 'cat', '/etc/resolv.conf')).toBe(RESOLV);
    expect(inNetns(net.ns, 'cat', '/etc/hosts')).toBe(HOSTS);

    // names leave the config: the files go, and so does the directory netcfg made
    const again = await netcfg(['apply', '--state-dir', net.stateDir, '-o', 'json', net.file('d.yaml', NO_NAMES)], { netnsExec: net.ns });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(fs.existsSync(etc)).toBe(false);
  });

  it('with /etc/netns/NAME/resolv.conf already there (bind-mounted over /etc by ip netns exec), it is rewritten in place: processes already running in the namespace see the change, and the original comes back', async () => {
    guardHost();
    const net = createTestNet();
    const etc = netnsEtc(net);
    fs.mkdirSync(etc, { recursive: true });
    fs.writeFileSync(path.join(etc, 'resolv.conf'), 'nameserver 203.0.113.99\n');
    const running = watcher(net);
    await within(5000, () => running.seen() === 'nameserver 203.0.113.99\n', 'the running process sees the original file');

    const r = await netcfg(['apply', '--state-dir', net.stateDir, net.file('c.yaml', CONFIG)], { netnsExec: net.ns });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(`~ file ${etc}/resolv.conf`);
    expect(fs.readFileSync(path.join(etc, 'resolv.conf'), 'utf8')).toBe(RESOLV);
    expect(fs.readFileSync(path.join(etc, 'hosts'), 'utf8')).toBe(HOSTS);
    await within(5000, () => running.seen() === RESOLV, 'the process started before the apply sees the new resolv.conf');
    expect(inNetns(net.ns, 'cat', '/etc/resolv.conf')).toBe(RESOLV);

    const back = await netcfg(['apply', '--state-dir', net.stateDir, net.file('d.yaml', NO_NAMES)], { netnsExec: net.ns });
    expect(back.exitCode, back.stderr).toBe(0);
    expect(fs.readFileSync(path.join(etc, 'resolv.conf'), 'utf8')).toBe('nameserver 203.0.113.99\n');
    expect(fs.existsSync(path.join(etc, 'hosts'))).toBe(false);
    await within(5000, () => running.seen() === 'nameserver 203.0.113.99\n', 'the running process sees the original again');
    running.stop();
  });

  it('with --netns NAME (no --etc-dir) the files go to /etc/netns/NAME too', async () => {
    guardHost();
    const net = createTestNet();
    const etc = netnsEtc(net);
    const r = await netcfg(['apply', '--netns', net.ns, '--state-dir', net.stateDir, net.file('c.yaml', CONFIG)]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(fs.readFileSync(path.join(etc, 'resolv.conf'), 'utf8')).toBe(RESOLV);
    expect(inNetns(net.ns, 'cat', '/etc/hosts')).toBe(HOSTS);
  });

  it('the daemon under `ip netns exec NAME`: DNS servers from a DHCP lease (dnsmasq) go to /etc/netns/NAME/resolv.conf, and stay there after SIGTERM; the machine files never change', async () => {
    guardHost();
    const net = createTestNet();
    const etc = netnsEtc(net);
    startDnsmasq(net, ['dhcp-range=192.0.2.100,192.0.2.150,255.255.255.0,2m', 'dhcp-option=option:dns-server,192.0.2.53,192.0.2.54', 'dhcp-option=option:domain-search,example.test']);
    const d = await startDaemon(net, net.file('dhcp.yaml', 'machine:\n  network:\n    interfaces:\n      - interface: eth0\n        dhcp: true\n'), [], { via: 'netns-exec' });
    const want = 'nameserver 192.0.2.53\nnameserver 192.0.2.54\n\nsearch example.test\n';
    await within(20_000, () => fs.existsSync(path.join(etc, 'resolv.conf')) && fs.readFileSync(path.join(etc, 'resolv.conf'), 'utf8') === want, 'resolv.conf from the lease');
    expect(inNetns(net.ns, 'cat', '/etc/resolv.conf')).toBe(want);
    expect(await d.stop()).toBe(0);
    expect(fs.readFileSync(path.join(etc, 'resolv.conf'), 'utf8')).toBe(want);
  });

  it('in an unnamed network namespace (unshare -n) no file is written without --etc-dir, no hostname is set, and it says so once', async () => {
    guardHost();
    const net = createTestNet(); // only for its directory
    const config = net.file('u.yaml', 'machine:\n  network:\n    hostname: unnamed-test\n    nameservers: [192.0.2.53]\n    extraHostEntries: [{ip: 192.0.2.5, aliases: [db]}]\n');
    // Even if netcfg got this wrong, the machine is safe: the run has a mount and
    // UTS namespace of its own, with scratch copies bound over /etc/resolv.conf and
    // /etc/hosts; those copies and that hostname are what is checked.
    const resolv = net.file('scratch-resolv.conf', fs.readFileSync('/etc/resolv.conf', 'utf8'));
    const hosts = net.file('scratch-hosts', fs.readFileSync('/etc/hosts', 'utf8'));
    const before = [fs.readFileSync(resolv, 'utf8'), fs.readFileSync(hosts, 'utf8')];
    const script = [
      'mount --make-rprivate /',
      `mount --bind ${resolv} /etc/resolv.conf`,
      `mount --bind ${hosts} /etc/hosts`,
      'hostname netcfg-uts-before',
      `${process.execPath} ${BIN} apply --state-dir ${net.stateDir} -o json ${config} 2>&1; echo "exit=$?"`,
      'echo "hostname=$(hostname)"',
    ].join(' && ');
    const r = execFileSync('unshare', ['--net', '--mount', '--uts', 'sh', '-c', script], { encoding: 'utf8' });
    expect(r).toContain('exit=0');
    expect(r).toContain('hostname=netcfg-uts-before');
    expect([fs.readFileSync(resolv, 'utf8'), fs.readFileSync(hosts, 'utf8')]).toEqual(before);
    expect(r.match(/resolv\.conf and hosts are not written: netcfg works on an unnamed network namespace/g)).toHaveLength(1);
    expect(r).toMatch(/hostname unnamed-test: not applied: netcfg is configuring an unnamed network namespace/);
    // its records are its own, never the machine's ("host") state
    expect(fs.readdirSync(net.stateDir).filter((f) => f.endsWith('.json'))).toEqual([expect.stringMatching(/^netns-inode-\d+\.json$/)]);
  });
});
