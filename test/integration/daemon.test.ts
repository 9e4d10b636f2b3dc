// The daemon in a test namespace: its control socket, apply/get/status through
// it, drift repair within a second, hot-plugged links, foreign objects left
// alone, --try with the daemon's own timer, and a clean SIGTERM.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { call, connect } from '../../src/daemon/client.js';
import { netcfg } from '../helpers/cli.js';
import { startDaemon, within } from '../helpers/daemon.js';
import { parseJsonStream } from '../helpers/json-stream.js';
import { createTestNet, type TestNet } from '../helpers/netns.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const config = (addr: string, more = '') => `machine:
  network:
    interfaces:
      - interface: eth0
        addresses: [${addr}]
        routes:
          - network: 0.0.0.0/0
            gateway: 192.0.2.1
          - network: 198.51.100.0/24
            gateway: 192.0.2.1
${more}`;

/** `netcfg get KIND --watch` against a daemon: what it has printed so far, and a stop (by its pid). */
async function watchGet(kind: string, args: string[]): Promise<{ readonly out: string; stop: () => void }> {
  const { spawn } = await import('node:child_process');
  const { BIN } = await import('../helpers/cli.js');
  const w = spawn(process.execPath, [BIN, 'get', kind, '--watch', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  w.stdout.on('data', (b: Buffer) => (out += b.toString()));
  return {
    get out() {
      return out;
    },
    stop: () => w.kill(),
  };
}

const globals = (net: TestNet, dev: string): string[] => {
  const info = net.json<Json[]>('addr', 'show', 'dev', dev)[0]?.addr_info as Json[] | undefined;
  return (info ?? []).filter((a) => a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`);
};
const routes = (net: TestNet): string[] => net.json<Json[]>('route', 'show').map((r) => `${r.dst} ${r.gateway ?? ''}`.trim());

describe('netcfg daemon', () => {
  it('serves a root-only control socket; apply, get and status go through it; SIGTERM stops it cleanly', async () => {
    const net = createTestNet();
    const d = await startDaemon(net, net.file('a.yaml', config('192.0.2.10/24')));
    const st = fs.statSync(d.socket);
    expect(st.isSocket()).toBe(true);
    expect((st.mode & 0o777).toString(8)).toBe('600');
    expect(st.uid).toBe(0);
    expect(globals(net, 'eth0')).toEqual(['192.0.2.10/24']);

    const status = await netcfg(['status', '-o', 'json', ...d.args]);
    expect(status.exitCode, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ daemon: { pid: d.process.pid, netns: net.ns }, status: { addressReady: true, connectivityReady: true }, ready: true });

    // apply hands the config to the daemon: the same report, the kernel changes
    const r = await netcfg(['apply', '-o', 'json', ...d.args, net.file('b.yaml', config('192.0.2.11/24'))]);
    expect(r.exitCode, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as Json;
    expect(report.changes.map((c: Json) => `${c.action} ${c.kind} ${c.id}`)).toEqual(expect.arrayContaining(['remove address eth0/192.0.2.10/24', 'add address eth0/192.0.2.11/24']));
    expect(globals(net, 'eth0')).toEqual(['192.0.2.11/24']);
    expect(d.log().some((l) => l.msg === 'kernel change' && l.id === 'eth0/192.0.2.11/24' && l.action === 'add')).toBe(true);
    const again = JSON.parse((await netcfg(['apply', '-o', 'json', ...d.args, net.file('b2.yaml', config('192.0.2.11/24'))])).stdout) as Json;
    expect(again.summary).toEqual({ added: 0, changed: 0, removed: 0, netlinkWrites: 0 });

    // invalid input: exit 2 with the position, the daemon untouched
    const bad = await netcfg(['apply', ...d.args, net.file('bad.yaml', config('192.0.2.300/24'))]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/bad\.yaml:5:\d+: error: machine\.network\.interfaces\[0\]\.addresses\[0\]/);
    expect(globals(net, 'eth0')).toEqual(['192.0.2.11/24']);
    // the daemon validates what it is handed: the messages and exit code are those of a run without a
    // daemon (a dry run in a fresh state directory, which validates the same way), file named as given;
    // warnings and notes come with the report
    const alone = ['--netns', net.ns, '--state-dir', fs.mkdtempSync(`${net.dir}/alone-`), '--etc-dir', net.dir];
    const unreadable = await netcfg(['apply', ...d.args, `${net.dir}/missing.yaml`]);
    expect(unreadable.exitCode).toBe(2);
    expect(unreadable.stderr).toBe((await netcfg(['apply', '--dry-run', ...alone, `${net.dir}/missing.yaml`])).stderr);
    expect(bad.stderr).toBe((await netcfg(['apply', '--dry-run', ...alone, net.file('bad.yaml', config('192.0.2.300/24'))])).stderr);
    const noted = net.file('noted.yaml', `machine:\n  type: join\n  kubelet: {}\n${config('192.0.2.11/24').replace(/^machine:\n/, '')}`);
    const withNotes = await netcfg(['apply', ...d.args, noted]);
    expect(withNotes.exitCode, withNotes.stderr).toBe(0);
    expect(withNotes.stderr).toContain('machine type "join" is deprecated');
    expect(withNotes.stderr).toBe((await netcfg(['apply', '--dry-run', ...alone, noted])).stderr);
    expect(JSON.parse((await netcfg(['apply', '-o', 'json', ...d.args, noted])).stdout)).not.toHaveProperty('configNotes');

    // get answers from the daemon's live statuses
    const got = await netcfg(['get', 'addresses', '-o', 'json', ...d.args]);
    expect(parseJsonStream<Json>(got.stdout).map((x) => x.metadata.id)).toContain('eth0/192.0.2.11/24');

    // a second daemon for the same namespace is refused
    const second = await netcfg(['daemon', ...d.args]);
    expect(second.exitCode).not.toBe(0);
    expect(second.stderr).toMatch(/already serves|another netcfg/);

    expect(await d.stop()).toBe(0);
    expect(fs.existsSync(d.socket)).toBe(false);
    expect(globals(net, 'eth0')).toEqual(['192.0.2.11/24']); // the network stays as configured
    // without a daemon, apply works in-process again
    const offline = await netcfg(['apply', '-o', 'json', ...d.args, net.file('c.yaml', config('192.0.2.12/24'))]);
    expect(offline.exitCode, offline.stderr).toBe(0);
    expect(globals(net, 'eth0')).toEqual(['192.0.2.12/24']);
  });

  it('repairs drift within a second: a deleted address and routes come back; foreign routes stay', async () => {
    const net = createTestNet();
    const d = await startDaemon(net, net.file('a.yaml', config('192.0.2.10/24')));
    net.ip('route', 'add', '203.0.113.0/24', 'via', '192.0.2.1');

    net.ip('addr', 'del', '192.0.2.10/24', 'dev', 'eth0');
    // the kernel drops the routes through that subnet with the address; all must come back
    const ms = await within(1000, () => globals(net, 'eth0').includes('192.0.2.10/24') && routes(net).includes('default 192.0.2.1') && routes(net).includes('198.51.100.0/24 192.0.2.1'), 'address and routes repaired');
    expect(ms).toBeLessThan(1000);

    net.ip('route', 'del', '198.51.100.0/24');
    await within(1000, () => routes(net).includes('198.51.100.0/24 192.0.2.1'), 'route repaired');

    net.ip('route', 'add', '203.0.113.0/24', 'via', '192.0.2.1');
    net.ip('addr', 'add', '192.0.2.99/24', 'dev', 'eth0');
    await new Promise((r) => setTimeout(r, 1500));
    expect(routes(net)).toContain('203.0.113.0/24 192.0.2.1');
    expect(globals(net, 'eth0')).toContain('192.0.2.99/24');
    const repairs = d.log().filter((l) => l.msg === 'kernel change' && l.action === 'add');
    expect(repairs.map((l) => l.id)).toEqual(expect.arrayContaining(['eth0/192.0.2.10/24']));
    expect(repairs.map((l) => String(l.id))).not.toContain('eth0/192.0.2.99/24');
  });

  it('repairs rule drift within a second through the rule statuses: a deleted rule comes back; a foreign one stays', async () => {
    const net = createTestNet();
    const rule = (prio: number) => net.json<Json[]>('-4', 'rule', 'show').filter((r) => r.priority === prio).map((r) => `${r.src}${r.srclen ? `/${r.srclen}` : ''} ${r.table} ${r.protocol ?? ''}`.trim());
    const file = net.file('r.yaml', `${config('192.0.2.10/24')}---\napiVersion: v1alpha1\nkind: RoutingRuleConfig\nname: "1000"\nsrc: 10.0.0.0/8\ntable: "100"\n`);
    const d = await startDaemon(net, file);
    await within(1000, () => rule(1000).includes('10.0.0.0/8 100 static'), 'rule applied');
    net.ip('rule', 'del', 'priority', '1000', 'from', '10.0.0.0/8', 'lookup', '100');
    const ms = await within(1000, () => rule(1000).includes('10.0.0.0/8 100 static'), 'rule repaired');
    expect(ms).toBeLessThan(1000);
    net.ip('rule', 'add', 'priority', '1000', 'from', '172.16.0.0/12', 'lookup', '50', 'proto', 'boot');
    await new Promise((r) => setTimeout(r, 1000));
    expect(rule(1000).sort()).toEqual(['10.0.0.0/8 100 static', '172.16.0.0/12 50 boot']);
    const repairs = d.log().filter((l) => l.msg === 'kernel change' && l.kind === 'rule');
    expect(repairs.map((l) => `${String(l.action)} ${String(l.id)}`)).toEqual(['add inet4/01000', 'add inet4/01000']);
    // the daemon's rule statuses (what the repair read) show both
    const got = parseJsonStream<{ metadata: { id: string }; spec: Json }>((await netcfg(['get', 'routingrules', '-o', 'json', ...d.args])).stdout);
    expect(got.filter((r) => r.spec.priority === 1000).map((r) => `${r.spec.src} ${r.spec.table}`).sort()).toEqual(['10.0.0.0/8 100', '172.16.0.0/12 50']);
  });

  it('a bulk apply through the daemon: every route in the kernel, and drift among them repaired within a second', async () => {
    const net = createTestNet();
    const d = await startDaemon(net, net.file('a.yaml', config('192.0.2.10/24')));
    const n = 3000;
    const dst = (i: number) => `10.${(i >> 8) & 255}.${i & 255}.0/24`;
    const bulk = Array.from({ length: n }, (_, i) => `          - network: ${dst(i)}\n            gateway: 192.0.2.1\n`).join('');
    const r = await netcfg(['apply', '-o', 'json', ...d.args, net.file('bulk.yaml', config('192.0.2.10/24') + bulk)]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as Json).summary).toMatchObject({ added: n, removed: 0 });
    // -o json lists every change
    expect((JSON.parse(r.stdout) as Json).changes).toHaveLength(n);
    const kernelRoutes = () => new Set(routes(net));
    expect([...kernelRoutes()].filter((x) => x.startsWith('10.')).length).toBe(n);
    // a deleted route among them comes back (the route statuses re-list them all, and wait out no one)
    net.ip('route', 'del', dst(1234));
    const ms = await within(1000, () => kernelRoutes().has(`${dst(1234)} 192.0.2.1`), 'route among 3000 repaired');
    expect(ms).toBeLessThan(1000);
    // asked for ten, the daemon lists ten changes and counts the others; a limit that is no count is refused
    const plainConfig = config('192.0.2.10/24');
    const asked = async (changesLimit: unknown) => {
      const socket = (await connect(d.socket))!;
      try {
        return await call<Json>(socket, { op: 'apply', file: 'a.yaml', text: plainConfig, dryRun: true, changesLimit } as Parameters<typeof call>[1]);
      } finally {
        socket.destroy();
      }
    };
    const ten = await asked(10);
    expect([ten.changes.length, ten.omittedChanges, ten.summary.removed]).toEqual([10, n - 10, n]);
    await expect(asked(-1)).rejects.toThrow(/changesLimit/);
    // an apply without its text is refused as a bad request
    const socket = (await connect(d.socket))!;
    await expect(call(socket, { op: 'apply', file: 'a.yaml', dryRun: true } as unknown as Parameters<typeof call>[1])).rejects.toThrow(/needs the file name and its text/);
    socket.destroy();
    // the text report prints a thousand changes and counts the rest
    const back = await netcfg(['apply', ...d.args, net.file('a.yaml', config('192.0.2.10/24'))]);
    expect(back.exitCode, back.stderr).toBe(0);
    const lines = back.stdout.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('- route ')).length).toBe(1000);
    expect(lines).toContain(`… and ${n - 1000} more changes (use -o json to see all)`);
    expect(lines.at(-1)).toBe(`apply: 0 added, 0 changed, ${n} removed (${n} netlink writes)`);
    expect([...kernelRoutes()].filter((x) => x.startsWith('10.')).length).toBe(0);
  });

  it('configures a link that appears after start (hot-plug), and reports it as pending until then', async () => {
    const net = createTestNet();
    const file = net.file('a.yaml', `${config('192.0.2.10/24')}      - interface: late0\n        addresses: [10.77.0.1/24]\n        mtu: 1400\n`);
    const d = await startDaemon(net, file);
    const plan = await netcfg(['apply', '--dry-run', ...d.args, file]);
    expect(plan.exitCode, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/^pending: .*late0/m);
    net.ip('link', 'add', 'late0', 'type', 'veth', 'peer', 'name', 'late1');
    await within(2000, () => globals(net, 'late0').includes('10.77.0.1/24'), 'late link configured');
    const link = net.json<Json[]>('link', 'show', 'late0')[0]!;
    expect(link.mtu).toBe(1400);
    expect(link.flags).toContain('UP');
  });

  it('apply --try through the daemon: rolled back by the daemon unless confirmed', async () => {
    const net = createTestNet();
    const d = await startDaemon(net, net.file('a.yaml', config('192.0.2.10/24')));
    const tried = await netcfg(['apply', '--try', '--timeout', '1s', ...d.args, net.file('b.yaml', config('192.0.2.20/24'))]);
    expect(tried.exitCode, tried.stderr).toBe(0);
    expect(tried.stdout).toMatch(/the daemon rolls it back/);
    expect(globals(net, 'eth0')).toEqual(['192.0.2.20/24']);
    await within(3000, () => globals(net, 'eth0').join() === '192.0.2.10/24', 'rolled back');

    await netcfg(['apply', '--try', '--timeout', '2s', ...d.args, net.file('c.yaml', config('192.0.2.30/24'))]);
    const confirm = await netcfg(['confirm', ...d.args]);
    expect(confirm.exitCode, confirm.stderr).toBe(0);
    await new Promise((r) => setTimeout(r, 2500));
    expect(globals(net, 'eth0')).toEqual(['192.0.2.30/24']);

    const rollback = await netcfg(['rollback', ...d.args]);
    expect(rollback.exitCode, rollback.stderr).toBe(0);
    expect(globals(net, 'eth0')).toEqual(['192.0.2.10/24']);
  });

  it('a restart on an unchanged config takes it from the validated copy; a changed one is validated again', async () => {
    const net = createTestNet();
    const file = net.file('a.yaml', config('192.0.2.10/24'));
    const copyFile = path.join(net.stateDir, `netns-${net.ns}.json.validated-config`);
    const first = await startDaemon(net, file);
    expect(globals(net, 'eth0')).toEqual(['192.0.2.10/24']);
    expect(await first.stop()).toBe(0);
    if (process.env.NETCFG_ENTRY === 'dist') {
      // the plain build has no build ID (src/util/build-id.ts): it keeps no copy and validates at every start
      expect(fs.existsSync(copyFile)).toBe(false);
      const again = await startDaemon(net, file);
      expect(again.log().some((l) => l.msg === 'config taken from its validated copy')).toBe(false);
      expect(globals(net, 'eth0')).toEqual(['192.0.2.10/24']);
      expect(fs.existsSync(copyFile)).toBe(false);
      return;
    }
    expect((fs.statSync(copyFile).mode & 0o777).toString(8)).toBe('600');
    const kept = JSON.parse(fs.readFileSync(copyFile, 'utf8')) as Json;
    expect(kept).toMatchObject({ text: fs.readFileSync(file, 'utf8'), hasMachineConfig: true });
    // the next start uses the copy, not the file: shown with a copy whose config is not its text's (netcfg
    // never writes such a copy; the state directory is root's)
    kept.config.machine.network.interfaces[0].addresses = ['192.0.2.20/24'];
    fs.writeFileSync(copyFile, JSON.stringify(kept));
    const second = await startDaemon(net, file);
    expect(second.log().some((l) => l.msg === 'config taken from its validated copy')).toBe(true);
    expect(globals(net, 'eth0')).toEqual(['192.0.2.20/24']);
    // an apply through the daemon of a text the copy holds takes it from there too (no validation)
    const same = await netcfg(['apply', '-o', 'json', ...second.args, file]);
    expect(same.exitCode, same.stderr).toBe(0);
    expect((JSON.parse(same.stdout) as Json).summary).toEqual({ added: 0, changed: 0, removed: 0, netlinkWrites: 0 });
    expect(globals(net, 'eth0')).toEqual(['192.0.2.20/24']);
    expect(await second.stop()).toBe(0);

    // a changed file is validated again, copy or not: a bad one is refused before anything starts
    fs.writeFileSync(file, config('192.0.2.300/24'));
    const bad = await netcfg(['daemon', '--netns', net.ns, '--state-dir', net.stateDir, '--etc-dir', path.join(net.dir, 'etc'), '-c', file]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/a\.yaml:5:\d+: error: machine\.network\.interfaces\[0\]\.addresses\[0\]/);
    expect(globals(net, 'eth0')).toEqual(['192.0.2.20/24']);
    fs.writeFileSync(file, config('192.0.2.11/24'));
    const third = await startDaemon(net, file);
    expect(third.log().some((l) => l.msg === 'config taken from its validated copy')).toBe(false);
    expect(globals(net, 'eth0')).toEqual(['192.0.2.11/24']);
    expect(JSON.parse(fs.readFileSync(copyFile, 'utf8'))).toMatchObject({ text: config('192.0.2.11/24') });
    // started without a config, the daemon takes the last applied one: validated, then kept in its turn
    const applied = await netcfg(['apply', ...third.args, net.file('b.yaml', config('192.0.2.12/24'))]);
    expect(applied.exitCode, applied.stderr).toBe(0);
    expect(await third.stop()).toBe(0);
    const fourth = await startDaemon(net);
    expect(fourth.log().some((l) => l.msg === 'config taken from its validated copy')).toBe(false);
    expect(globals(net, 'eth0')).toEqual(['192.0.2.12/24']);
    expect(await fourth.stop()).toBe(0);
    const fifth = await startDaemon(net);
    expect(fifth.log().some((l) => l.msg === 'config taken from its validated copy')).toBe(true);
    expect(globals(net, 'eth0')).toEqual(['192.0.2.12/24']);
  });

  it('get routespecs shows each configured route as its own layered spec, and --watch hears one added and one removed', async () => {
    const net = createTestNet();
    const d = await startDaemon(net, net.file('a.yaml', config('192.0.2.10/24')));
    const layered = async () =>
      parseJsonStream<{ metadata: { namespace: string; id: string; owner: string }; spec: Json }>((await netcfg(['get', 'routespecs', '-o', 'json', ...d.args])).stdout)
        .filter((r) => r.metadata.namespace === 'network-config')
        .map((r) => `${r.metadata.id} ${r.metadata.owner} ${r.spec.layer}`);
    expect(await layered()).toEqual(['configuration/inet4/192.0.2.1//1024 RouteConfigController configuration', 'configuration/inet4/192.0.2.1/198.51.100.0/24/1024 RouteConfigController configuration']);
    const w = await watchGet('routespecs', d.args);
    const out = () => w.out;
    try {
      await within(5000, () => out().includes('configuration/inet4/192.0.2.1/198.51.100.0/24/1024'), 'initial listing');
      const more = config('192.0.2.10/24').replace('          - network: 198.51.100.0/24', '          - network: 203.0.113.0/24');
      const r = await netcfg(['apply', ...d.args, net.file('b.yaml', more)]);
      expect(r.exitCode, r.stderr).toBe(0);
      await within(3000, () => /^\+\s.*network-config\s+RouteSpec\s+configuration\/inet4\/192\.0\.2\.1\/203\.0\.113\.0\/24\/1024/m.test(out()), 'created event');
      await within(3000, () => /^-\s.*network-config\s+RouteSpec\s+configuration\/inet4\/192\.0\.2\.1\/198\.51\.100\.0\/24\/1024/m.test(out()), 'destroyed event');
      // the default route did not change: no event for it after the listing
      expect(out().split('\n').filter((l) => /network-config\s+RouteSpec\s+configuration\/inet4\/192\.0\.2\.1\/\/1024/.test(l)).map((l) => l[0])).toEqual(['+']);
    } finally {
      w.stop();
    }
    expect(await layered()).toEqual(['configuration/inet4/192.0.2.1//1024 RouteConfigController configuration', 'configuration/inet4/192.0.2.1/203.0.113.0/24/1024 RouteConfigController configuration']);
  });

  it('get --watch streams changes as they happen', async () => {
    const net = createTestNet();
    const d = await startDaemon(net, net.file('a.yaml', config('192.0.2.10/24')));
    const w = await watchGet('addresses', d.args);
    try {
      await within(5000, () => w.out.includes('eth0/192.0.2.10/24'), 'initial listing');
      net.ip('addr', 'add', '192.0.2.55/24', 'dev', 'eth0');
      await within(3000, () => /^\+\s.*eth0\/192\.0\.2\.55\/24/m.test(w.out), 'created event');
      net.ip('addr', 'del', '192.0.2.55/24', 'dev', 'eth0');
      await within(3000, () => /^-\s.*eth0\/192\.0\.2\.55\/24/m.test(w.out), 'destroyed event');
      expect(w.out.split('\n')[0]).toMatch(/^\*\s+NODE\s+NAMESPACE\s+TYPE\s+ID\s+VERSION\s+ADDRESS\s+LINK/);
    } finally {
      w.stop();
    }
  });
});
