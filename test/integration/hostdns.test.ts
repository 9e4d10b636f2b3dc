// Host DNS (ResolverConfig hostDNS, Talos' local caching resolver) run by the
// daemon in the namespace it configures, against real upstream servers: unbound
// in the router namespace, one instance per protocol (plain DNS on 192.0.2.1,
// DNS over TLS on 192.0.2.2, DNS over HTTPS on 192.0.2.3), each saying who it
// is in a TXT record. Checked the way a user checks: kdig against 127.0.0.53,
// resolv.conf, `netcfg get hostdns`, and the queries unbound logged.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { call, connect } from '../../src/daemon/client.js';
import type { Resource } from '../../src/resources/resource.js';
import type { HostDNSStatus } from '../../src/resources/network/types.js';
import { netcfg } from '../helpers/cli.js';
import { startDaemon, within, type TestDaemon } from '../helpers/daemon.js';
import { createTestNet, type TestNet } from '../helpers/netns.js';
import { caBundleFiles } from '../helpers/machine-files.js';
import { tinyproxy } from '../helpers/tinyproxy.js';

const DO53 = '192.0.2.1';
const DOT = '192.0.2.2';
const DOH = '192.0.2.3';

/** A test CA and a certificate for dns.test, in the router's directory. */
function pki(dir: string): { ca: string; cert: string; key: string } {
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=netcfg test CA');
  run('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'dns.key', '-out', 'dns.csr', '-subj', '/CN=dns.test');
  fs.writeFileSync(path.join(dir, 'ext.cnf'), 'subjectAltName=DNS:dns.test\n');
  run('x509', '-req', '-in', 'dns.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'dns.pem', '-days', '1', '-extfile', 'ext.cnf');
  return { ca: fs.readFileSync(path.join(dir, 'ca.pem'), 'utf8'), cert: path.join(dir, 'dns.pem'), key: path.join(dir, 'dns.key') };
}

interface Unbound {
  /** The queries it logged ("www.test. A IN"), in order, once its log has been read (after `heard()`). */
  queries(): string[];
  /** Lets the event loop read what unbound logged meanwhile (kdig runs synchronously). */
  heard(): Promise<void>;
  stop(): Promise<void>;
}

/** unbound in the router namespace on `address`, speaking `protocol`, answering for test. (stopped by pid). */
async function unbound(net: TestNet, address: string, protocol: 'Do53' | 'DoT' | 'DoH', tls: { cert: string; key: string }, who: string = protocol): Promise<Unbound> {
  const port = protocol === 'Do53' ? 53 : protocol === 'DoT' ? 853 : 443;
  const conf = net.file(
    `unbound-${protocol}-${address}.conf`,
    [
      'server:',
      `  interface: ${address}@${port}`,
      ...(protocol === 'DoT' ? [`  tls-port: ${port}`] : protocol === 'DoH' ? [`  https-port: ${port}`] : []),
      ...(protocol === 'Do53' ? [] : [`  tls-service-key: ${tls.key}`, `  tls-service-pem: ${tls.cert}`]),
      '  access-control: 0.0.0.0/0 allow',
      '  username: ""',
      '  chroot: ""',
      `  directory: "${net.dir}"`,
      '  pidfile: ""',
      '  use-syslog: no',
      '  verbosity: 1',
      '  log-queries: yes',
      '  module-config: "iterator"',
      '  num-threads: 1',
      '  local-zone: "test." static',
      '  local-data: "www.test. 300 IN A 198.51.100.7"',
      '  local-data: "www.test. 300 IN AAAA 2001:db8::7"',
      `  local-data: "who.test. 300 IN TXT ${who}"`,
      // more than a 512-byte UDP answer holds: the asker must come back over TCP
      ...Array.from({ length: 40 }, (_, i) => `  local-data: "big.test. 300 IN TXT \\"${'x'.repeat(40)}${i}\\""`),
      '',
    ].join('\n'),
  );
  const child = spawn('ip', ['netns', 'exec', net.router, 'unbound', '-d', '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  let exited = false;
  const gone = new Promise<void>((resolve) => child.on('exit', () => ((exited = true), resolve())));
  const stop = async () => {
    if (!exited) child.kill('SIGKILL');
    await gone;
  };
  onTestFinished(stop);
  await within(10_000, () => out.includes('start of service') || exited, `unbound (${protocol}) started`);
  if (exited) throw new Error(`unbound (${protocol}) exited:\n${out}`);
  return { queries: () => [...out.matchAll(/info: \S+ (\S+ \S+ IN)$/gm)].map((m) => m[1]!), heard: () => new Promise((r) => setTimeout(r, 300)), stop };
}

/** The router's end of the link, with the three servers' addresses. */
function router(net: TestNet): void {
  for (const a of [DOT, DOH]) execFileSync('ip', ['-n', net.router, 'addr', 'add', `${a}/24`, 'dev', 'peer0']);
}

/** kdig from the test namespace; `args` are kdig's. Returns its output. */
function kdig(net: TestNet, ...args: string[]): string {
  return execFileSync('ip', ['netns', 'exec', net.ns, 'kdig', '+timeout=3', '+retry=0', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

async function status(d: TestDaemon): Promise<HostDNSStatus | undefined> {
  const s = await connect(d.socket);
  if (!s) throw new Error('no daemon');
  try {
    const list = await call<Resource<HostDNSStatus>[]>(s, { op: 'get', namespaces: ['network'], type: 'HostDNSStatus' });
    return list[0]?.spec;
  } finally {
    s.end();
  }
}

const host = (extra = '') => `version: v1alpha1
machine:
  network:
    hostname: node-1
    interfaces:
      - interface: eth0
        addresses: [192.0.2.10/24]
${extra}`;

const resolver = (nameservers: string) => `---
apiVersion: v1alpha1
kind: ResolverConfig
nameservers:
${nameservers}
hostDNS:
  enabled: true
searchDomains:
  domains: [example.org]
`;


const txt = (out: string) => out.trim().replace(/"/g, '');

describe('host DNS', () => {
  it('answers on 127.0.0.53 over UDP and TCP from the static hosts, the cache and a plain-DNS upstream; resolv.conf names it', async () => {
    const net = createTestNet();
    router(net);
    const keys = pki(net.dir);
    const plain = await unbound(net, DO53, 'Do53', keys);
    const config =
      host(`    extraHostEntries:
      - ip: 10.5.0.2
        aliases: [db.internal]
`) +
      resolver(`  - address: ${DO53}`) +
      `---
apiVersion: v1alpha1
kind: StaticHostConfig
name: 2001:db8::2
hostnames: [db.internal]
`;
    const d = await startDaemon(net, net.file('c.yaml', config));
    await within(10_000, async () => (await status(d))?.listening.includes('127.0.0.53') === true, 'host DNS listening');
    expect(await status(d)).toEqual({ listening: ['127.0.0.53'], upstreams: [DO53], down: [], error: '' });
    const resolvConf = path.join(net.dir, 'etc', 'resolv.conf');
    await within(5_000, () => fs.existsSync(resolvConf) && fs.readFileSync(resolvConf, 'utf8').startsWith('nameserver 127.0.0.53'), 'resolv.conf names host DNS');
    expect(fs.readFileSync(resolvConf, 'utf8')).toBe('nameserver 127.0.0.53\n\nsearch example.org\n');

    // forwarded, over UDP and TCP
    expect(kdig(net, '@127.0.0.53', 'www.test', 'A', '+short').trim()).toBe('198.51.100.7');
    expect(kdig(net, '@127.0.0.53', '+tcp', 'www.test', 'AAAA', '+short').trim()).toBe('2001:db8::7');
    expect(txt(kdig(net, '@127.0.0.53', 'who.test', 'TXT', '+short'))).toBe('Do53');
    // cached: asked again, unbound hears nothing more, and the TTL has not grown
    await plain.heard();
    expect(plain.queries().filter((q) => q === 'www.test. A IN').length).toBe(1);
    const again = kdig(net, '@127.0.0.53', 'www.test', 'A', '+noall', '+answer');
    expect(again).toMatch(/^www\.test\.\s+(\d+)\s+IN\s+A\s+198\.51\.100\.7$/m);
    expect(Number(/^www\.test\.\s+(\d+)/m.exec(again)![1])).toBeLessThanOrEqual(300);
    await plain.heard();
    expect(plain.queries().filter((q) => q === 'www.test. A IN').length).toBe(1);
    // garbage does not stop it: a short message, a response, random bytes; it still answers
    execFileSync('ip', ['netns', 'exec', net.ns, process.execPath, '-e', `const s = require('node:dgram').createSocket('udp4');
const msgs = [Buffer.from([1, 2, 3]), Buffer.from('8001818000010000000000000377777704746573740000010001', 'hex'), require('node:crypto').randomBytes(200)];
let n = 0; for (const m of msgs) s.send(m, 53, '127.0.0.53', () => { if (++n === msgs.length) s.close(); });`]);
    expect(kdig(net, '@127.0.0.53', 'www.test', 'A', '+short').trim()).toBe('198.51.100.7');
    // a name nobody has: NXDOMAIN, as the upstream said
    expect(kdig(net, '@127.0.0.53', 'nope.test', 'A')).toMatch(/status: NXDOMAIN/);
    // a large answer: truncated over UDP (kdig retries over TCP by itself unless told not to), whole over TCP
    expect(kdig(net, '@127.0.0.53', '+ignore', '+bufsize=0', 'big.test', 'TXT')).toMatch(/Flags: qr(?: \w+)* tc/);
    expect(kdig(net, '@127.0.0.53', '+tcp', 'big.test', 'TXT', '+short').trim().split('\n')).toHaveLength(40);

    // the static hosts: both files' entries, answered here with the authoritative flag; upstream never asked
    const a = kdig(net, '@127.0.0.53', 'DB.internal', 'A');
    expect(a).toMatch(/Flags: qr aa rd ra/);
    expect(a).toMatch(/^db\.internal\.\s+10\s+IN\s+A\s+10\.5\.0\.2$/im);
    expect(kdig(net, '@127.0.0.53', 'db.internal', 'AAAA', '+short').trim()).toBe('2001:db8::2');
    // the node's own name, with its address
    expect(kdig(net, '@127.0.0.53', 'node-1', 'A', '+short').trim()).toBe('192.0.2.10');
    await plain.heard();
    expect(plain.queries().some((q) => q.includes('internal') || q.includes('node-1'))).toBe(false);

    // the table view
    const r = await netcfg(['get', 'hostdns', ...d.args]);
    expect(r.stdout).toMatch(/LISTENING\s+UPSTREAMS\s+DOWN\s+ERROR/);
    expect(r.stdout).toMatch(/HostDNSStatus\s+hostdns\s+\d+\s+\["127\.0\.0\.53"\]\s+\["192\.0\.2\.1"\]\s+\[\]\s*$/m);

    // host DNS switched off: the listener goes, and resolv.conf names the resolver itself again
    const off = net.file('off.yaml', config.replace('hostDNS:\n  enabled: true\n', ''));
    const applied = await netcfg(['apply', ...d.args, off]);
    expect(applied.exitCode, applied.stderr).toBe(0);
    await within(5_000, async () => (await status(d)) === undefined, 'no host DNS status');
    expect(fs.readFileSync(resolvConf, 'utf8')).toBe(`nameserver ${DO53}\n\nsearch example.org\n`);
    expect(() => kdig(net, '@127.0.0.53', 'www.test', 'A')).toThrow();
  }, 60_000);

  it('forwardKubeDNSToHost: the service addresses go on lo, one per pod-subnet family, and host DNS answers there too', async () => {
    const net = createTestNet();
    const keys = pki(net.dir);
    await unbound(net, DO53, 'Do53', keys);
    const cluster = `cluster:
  network:
    podSubnets: [10.244.0.0/16, fd00:10:244::/56]
`;
    const forwarding = resolver(`  - address: ${DO53}`).replace('  enabled: true\n', '  enabled: true\n  forwardKubeDNSToHost: true\n');
    const d = await startDaemon(net, net.file('c.yaml', host() + cluster + forwarding));
    const service = ['127.0.0.53', '169.254.116.108', 'fd54:616c:6f73:0:204f:5320:444e:531'];
    await within(10_000, async () => (await status(d))?.listening.length === 3, 'host DNS on three addresses');
    expect((await status(d))?.listening.sort()).toEqual([...service].sort());
    const lo = net.json<Array<{ addr_info: Array<{ local: string; prefixlen: number; scope: string }> }>>('addr', 'show', 'lo')[0]!.addr_info;
    expect(lo.filter((a) => a.local !== '127.0.0.1' && a.local !== '::1').map((a) => `${a.local}/${a.prefixlen} ${a.scope}`).sort()).toEqual(['169.254.116.108/32 host', 'fd54:616c:6f73:0:204f:5320:444e:531/128 global']);
    // nothing left to do: the daemon's plan for the same config changes nothing (resolv.conf stays on host DNS)
    const again = await netcfg(['apply', '--dry-run', ...d.args, net.file('same.yaml', host() + cluster + forwarding)]);
    expect(again.stdout, again.stderr).toMatch(/would apply 0 added, 0 changed, 0 removed/);
    for (const at of service) expect(kdig(net, `@${at}`, 'www.test', 'A', '+short').trim(), at).toBe('198.51.100.7');

    // off again: the addresses go, host DNS stays on 127.0.0.53
    const applied = await netcfg(['apply', ...d.args, net.file('plain.yaml', host() + cluster + resolver(`  - address: ${DO53}`))]);
    expect(applied.exitCode, applied.stderr).toBe(0);
    await within(5_000, async () => (await status(d))?.listening.length === 1, 'host DNS on 127.0.0.53 only');
    expect(net.ip('addr', 'show', 'lo')).not.toMatch(/169\.254\.116\.108|fd54:/);
    expect(kdig(net, '@127.0.0.53', 'www.test', 'A', '+short').trim()).toBe('198.51.100.7');
  }, 60_000);

  it('forwardKubeDNSToHost behind a block-mode firewall: pods (KubeNetworkConfig subnets) reach host DNS, others do not', async () => {
    const net = createTestNet();
    const keys = pki(net.dir);
    await unbound(net, DO53, 'Do53', keys);
    // a "pod" in the router namespace: 10.244.0.5, which reaches host DNS' service address through the host's eth0
    const POD = '10.244.0.5';
    execFileSync('ip', ['-n', net.router, 'addr', 'add', `${POD}/32`, 'dev', 'peer0']);
    execFileSync('ip', ['-n', net.router, 'route', 'add', '169.254.116.108/32', 'via', '192.0.2.10']);
    const config = `version: v1alpha1
machine:
  network:
    interfaces:
      - interface: eth0
        addresses: [192.0.2.10/24]
        routes:
          - network: 10.244.0.0/16
            gateway: 192.0.2.1
---
apiVersion: v1alpha1
kind: KubeNetworkConfig
podSubnets: [10.244.0.0/16]
serviceSubnets: [10.96.0.0/12]
---
apiVersion: v1alpha1
kind: NetworkDefaultActionConfig
ingress: block
${resolver(`  - address: ${DO53}`).replace('  enabled: true\n', '  enabled: true\n  forwardKubeDNSToHost: true\n')}`;
    const d = await startDaemon(net, net.file('c.yaml', config));
    await within(10_000, async () => (await status(d))?.listening.includes('169.254.116.108') === true, 'host DNS on the service address');
    const ask = (source: string, ...args: string[]) =>
      execFileSync('ip', ['netns', 'exec', net.router, 'kdig', '+timeout=2', '+retry=0', '-b', source, '@169.254.116.108', ...args, 'www.test', 'A', '+short'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    expect(ask(POD)).toBe('198.51.100.7');
    expect(ask(POD, '+tcp')).toBe('198.51.100.7');
    // the router's own address is no pod: the firewall drops its question
    expect(() => ask('192.0.2.1')).toThrow();
    const table = execFileSync('ip', ['netns', 'exec', net.ns, 'nft', 'list', 'table', 'inet', 'netcfg_firewall'], { encoding: 'utf8' });
    expect(table).toMatch(/set kubernetes_v4 \{[^}]*elements = \{ 10\.96\.0\.0\/12, 10\.244\.0\.0\/16 \}/s);
    expect(table).toMatch(/set host_dns_v4 \{[^}]*elements = \{ 169\.254\.116\.108 \}/s);
  }, 60_000);

  it('asks DoT first, then DoH when DoT is gone, trusting the CA that machine.files appends; an untrusted server gets nothing', async () => {
    const net = createTestNet();
    router(net);
    const keys = pki(net.dir);
    const dot = await unbound(net, DOT, 'DoT', keys);
    const doh = await unbound(net, DOH, 'DoH', keys);
    const nameservers = `  - address: ${DOT}
    protocol: DoT
    tlsServerName: dns.test
  - address: ${DOH}
    protocol: DoH
    tlsServerName: dns.test`;
    const file = net.file('c.yaml', host(caBundleFiles(keys.ca)) + resolver(nameservers));
    const d = await startDaemon(net, file);
    await within(10_000, async () => (await status(d))?.listening.includes('127.0.0.53') === true, 'host DNS listening');
    expect((await status(d))?.upstreams).toEqual([`${DOT} (DoT dns.test)`, `${DOH} (DoH dns.test)`]);
    // resolv.conf has no use for DoT or DoH servers: it names host DNS
    expect(fs.readFileSync(path.join(net.dir, 'etc', 'resolv.conf'), 'utf8')).toBe('nameserver 127.0.0.53\n\nsearch example.org\n');

    expect(txt(kdig(net, '@127.0.0.53', 'who.test', 'TXT', '+short'))).toBe('DoT');
    await dot.heard();
    expect(dot.queries()).toContain('who.test. TXT IN');
    expect(kdig(net, '@127.0.0.53', 'www.test', 'A', '+short').trim()).toBe('198.51.100.7');

    // DoT gone: the next question goes on to DoH
    await dot.stop();
    expect(kdig(net, '@127.0.0.53', 'www.test', 'AAAA', '+short').trim()).toBe('2001:db8::7');
    await doh.heard();
    expect(doh.queries()).toContain('www.test. AAAA IN');

    // without the CA, neither server is trusted: SERVFAIL, and DoH never saw the question
    const untrusted = net.file('untrusted.yaml', host() + resolver(nameservers));
    await doh.heard();
    const before = doh.queries().length;
    const r = await netcfg(['apply', ...d.args, untrusted]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(kdig(net, '@127.0.0.53', 'untrusted.test', 'A')).toMatch(/status: SERVFAIL/);
    await doh.heard();
    expect(doh.queries().length).toBe(before);
  }, 60_000);

  it('a nameserver that stops answering is asked last until it answers a health check: one slow question, not one per question', async () => {
    const net = createTestNet();
    const keys = pki(net.dir);
    // the first nameserver: an address of the router with nothing listening (its port-unreachable errors
    // do not reach an unconnected socket), so a question to it waits out its 2 s
    const FIRST = '192.0.2.9';
    execFileSync('ip', ['-n', net.router, 'addr', 'add', `${FIRST}/24`, 'dev', 'peer0']);
    const second = await unbound(net, DO53, 'Do53', keys, 'second');
    const d = await startDaemon(net, net.file('c.yaml', host() + resolver(`  - address: ${FIRST}\n  - address: ${DO53}`)));
    await within(10_000, async () => (await status(d))?.listening.includes('127.0.0.53') === true, 'host DNS listening');
    const timedAsk = (name: string) => {
      const t0 = Date.now();
      const answer = txt(kdig(net, '@127.0.0.53', name, 'TXT', '+short'));
      return { answer, ms: Date.now() - t0 };
    };

    // the first question waits for the first server, then the second answers
    const first = timedAsk('who.test');
    expect(first.answer).toBe('second');
    expect(first.ms).toBeGreaterThanOrEqual(1900);
    // within a second of health checks the first is down, said once in the log
    await within(3_000, () => d.log().some((l) => l.msg === 'host DNS: upstream not answering; asked last until it answers a health check' && l.upstream === FIRST), 'the first upstream marked down');
    // and `netcfg get hostdns` says so
    await within(3_000, async () => (await status(d))?.down.includes(FIRST) === true, 'HostDNSStatus names the first upstream down');
    expect((await status(d))?.upstreams).toEqual([FIRST, DO53]);
    const table = await netcfg(['get', 'hostdns', ...d.args]);
    expect(table.stdout).toMatch(/HostDNSStatus\s+hostdns\s+\d+\s+\["127\.0\.0\.53"\]\s+\["192\.0\.2\.9","192\.0\.2\.1"\]\s+\["192\.0\.2\.9"\]\s*$/m);
    // so other questions (new names: none cached) go straight to the second
    for (const name of ['a.test', 'b.test', 'c.test']) {
      const t0 = Date.now();
      expect(kdig(net, '@127.0.0.53', name, 'A')).toMatch(/status: NXDOMAIN/);
      expect(Date.now() - t0).toBeLessThan(1000);
    }
    await second.heard();
    expect(second.queries()).toEqual(expect.arrayContaining(['a.test. A IN', 'b.test. A IN', 'c.test. A IN']));

    // the first server comes up: a health check sees it, and it is asked first again
    const back = await unbound(net, FIRST, 'Do53', keys, 'first');
    await within(3_000, () => d.log().some((l) => l.msg === 'host DNS: upstream answers again; asked in its place' && l.upstream === FIRST), 'the first upstream up again');
    await within(3_000, async () => (await status(d))?.down.length === 0, 'HostDNSStatus names none down');
    expect(kdig(net, '@127.0.0.53', 'd.test', 'A')).toMatch(/status: NXDOMAIN/);
    await back.heard();
    expect(back.queries()).toContain('d.test. A IN');
    expect(second.queries()).not.toContain('d.test. A IN');
  }, 60_000);

  it('DoH goes through https_proxy (machine.env): a CONNECT to <tlsServerName>:443 that the proxy resolves', async () => {
    const net = createTestNet();
    const keys = pki(net.dir);
    // the DoH server on an address the host has no route to: only the proxy reaches it
    const BEHIND = '198.18.0.3';
    execFileSync('ip', ['-n', net.router, 'addr', 'add', `${BEHIND}/32`, 'dev', 'peer0']);
    // the proxy reaches it inside the router namespace: through that namespace's loopback
    execFileSync('ip', ['-n', net.router, 'link', 'set', 'lo', 'up']);
    const doh = await unbound(net, BEHIND, 'DoH', keys);
    // tinyproxy on 192.0.2.1:8888, knowing dns.test from a hosts file of its own (the host's address too: tinyproxy
    // looks its clients up, and the machine's DNS is out of the namespace's reach)
    const proxy = await tinyproxy(net, { logLevel: 'Connect', connectPorts: [443], hosts: `127.0.0.1 localhost\n${BEHIND} dns.test\n192.0.2.10 node-1\n` });

    const env = (vars: string) => `  env:\n${vars}`;
    const nameservers = `  - address: ${BEHIND}
    protocol: DoH
    tlsServerName: dns.test`;
    const viaProxy = host(caBundleFiles(keys.ca) + env('    https_proxy: http://192.0.2.1:8888\n')) + resolver(nameservers);
    const d = await startDaemon(net, net.file('c.yaml', viaProxy));
    await within(10_000, async () => (await status(d))?.listening.includes('127.0.0.53') === true, 'host DNS listening');
    expect(txt(kdig(net, '@127.0.0.53', 'who.test', 'TXT', '+short'))).toBe('DoH');
    // (kdig ran synchronously: the proxy's log is read once the event loop turns)
    await within(3_000, () => /CONNECT dns\.test:443/.test(proxy.output()), 'tinyproxy logged a CONNECT to dns.test:443');

    // no_proxy names the server: DoH dials its address directly, which the host cannot reach
    const direct = host(caBundleFiles(keys.ca) + env('    https_proxy: http://192.0.2.1:8888\n    no_proxy: dns.test\n')) + resolver(nameservers);
    const r = await netcfg(['apply', ...d.args, net.file('direct.yaml', direct)]);
    expect(r.exitCode, r.stderr).toBe(0);
    await doh.heard();
    const before = doh.queries().length;
    expect(kdig(net, '@127.0.0.53', 'other.test', 'A')).toMatch(/status: SERVFAIL/);
    await doh.heard();
    expect(doh.queries().length).toBe(before);
  }, 60_000);
});
