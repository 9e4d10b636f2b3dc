// Property tests for the two parsers that read untrusted input: the machine
// config loader (YAML text → config or ConfigInvalidError, never anything
// else) and the netlink decoders (bytes → messages or NetlinkDecodeError,
// never anything else), plus an attribute encode/decode round trip.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigInvalidError, formatIssue } from '../../src/config/issues.js';
import { parseConfig } from '../../src/config/load.js';
import { AttrReader, NlWriter } from '../../src/netlink/codec.js';
import { NLMSG_DONE, NLMSG_ERROR } from '../../src/netlink/constants.js';
import { NetlinkDecodeError } from '../../src/netlink/errors.js';
import { parseDonePayload, parseErrorPayload, parseMessages } from '../../src/netlink/message.js';
import { decodeAddress } from '../../src/netlink/rtnetlink/address.js';
import {
  IFLA_IFNAME,
  IFLA_INFO_DATA,
  IFLA_INFO_KIND,
  IFLA_LINKINFO,
  RTM_DELADDR,
  RTM_DELLINK,
  RTM_DELROUTE,
  RTM_NEWADDR,
  RTM_NEWLINK,
  RTM_NEWROUTE,
} from '../../src/netlink/rtnetlink/constants.js';
import { decodeLink } from '../../src/netlink/rtnetlink/link.js';
import { decodeRoute } from '../../src/netlink/rtnetlink/route.js';
import '../../src/netlink/rtnetlink/drivers/index.js';
import { fixture } from '../helpers/fixtures.js';

const RUNS = 400;
const TIMEOUT = 60_000;
/** One parse of a small input taking longer than this is a bug (catastrophic backtracking, quadratic walks). */
const SLOW_MS = 2_000;

// ---------------------------------------------------------------------------
// config loader

/** parseConfig must return, or throw a ConfigInvalidError whose issues are all well formed. */
function checkLoader(text: string): void {
  const started = performance.now();
  let thrown: unknown;
  let returned = false;
  try {
    const loaded = parseConfig('p.yaml', text);
    returned = true;
    expect(typeof loaded.config).toBe('object');
    for (const note of loaded.notes) checkIssue(note, text);
  } catch (err) {
    thrown = err;
  }
  const elapsed = performance.now() - started;
  if (!returned) {
    if (!(thrown instanceof ConfigInvalidError)) {
      const e = thrown as Error;
      throw new Error(`parseConfig threw ${e?.name ?? typeof thrown} instead of ConfigInvalidError: ${e?.message ?? String(thrown)}\n${e?.stack ?? ''}`);
    }
    expect(thrown.issues.length, 'a ConfigInvalidError without issues').toBeGreaterThan(0);
    expect(thrown.issues.some((i) => i.severity === 'error'), 'a ConfigInvalidError without an error').toBe(true);
    for (const issue of thrown.issues) checkIssue(issue, text);
  }
  expect(elapsed, 'parseConfig took too long').toBeLessThan(SLOW_MS);
}

function checkIssue(issue: ConfigInvalidError['issues'][number], text: string): void {
  expect(['error', 'warning', 'info']).toContain(issue.severity);
  expect(typeof issue.message).toBe('string');
  expect(issue.message.trim(), `empty message at ${JSON.stringify(issue.path)}`).not.toBe('');
  expect(issue.message, 'a message that leaks "undefined"/"[object Object]"').not.toMatch(/\[object Object\]|\bundefined\b/);
  expect(Array.isArray(issue.path)).toBe(true);
  for (const part of issue.path) expect(['string', 'number']).toContain(typeof part);
  if (issue.line !== undefined) {
    expect(Number.isInteger(issue.line) && issue.line >= 1, `line ${issue.line}`).toBe(true);
    expect(issue.line, 'line beyond the end of the text').toBeLessThanOrEqual(text.split(/\r\n|\r|\n/).length + 1);
    expect(Number.isInteger(issue.col) && (issue.col ?? 0) >= 1, `col ${issue.col}`).toBe(true);
  }
  expect(() => formatIssue('p.yaml', issue)).not.toThrow();
}

/** Every key the schema knows, so random mappings reach deep into it. */
const SCHEMA_KEYS = [
  'version', 'debug', 'persist', 'machine', 'cluster', 'type', 'env', 'network', 'token', 'install', 'id', 'secret',
  'discovery', 'enabled', 'registries', 'service', 'kubernetes', 'disabled', 'endpoint', 'hostname', 'interfaces',
  'nameservers', 'searchDomains', 'disableSearchDomain', 'extraHostEntries', 'ip', 'aliases', 'kubespan', 'mtu',
  'filters', 'endpoints', 'excludeAdvertisedNetworks', 'advertiseKubernetesNetworks', 'interface', 'deviceSelector',
  'busPath', 'hardwareAddr', 'permanentAddr', 'pciID', 'driver', 'physical', 'addresses', 'cidr', 'routes', 'network',
  'gateway', 'source', 'metric', 'table', 'bond', 'deviceSelectors', 'arpIPTarget', 'mode', 'xmitHashPolicy', 'lacpRate',
  'adActorSystem', 'arpValidate', 'primary', 'failOverMac', 'miimon', 'updelay', 'downdelay', 'arpInterval',
  'packetsPerSlave', 'tlbDynamicLb', 'adActorSysPrio', 'adUserPortKey', 'bridge', 'stp', 'vlan', 'vlanFiltering',
  'bridgePort', 'master', 'vlans', 'vlanId', 'dhcp', 'ignore', 'dummy', 'dhcpOptions', 'routeMetric', 'ipv4', 'ipv6',
  'duidv6', 'wireguard', 'privateKey', 'listenPort', 'firewallMark', 'peers', 'publicKey', 'persistentKeepaliveInterval',
  'allowedIPs', 'vip', 'equinixMetal', 'hcloud', 'apiToken', 'kind',
];

const SAMPLE_STRINGS = [
  '', 'eth0', 'bond0', 'br0', 'v1alpha1', 'controlplane', 'worker', 'init', '802.3ad', 'active-backup', 'fast', 'layer3+4',
  '192.0.2.10/24', '192.0.2.1', '10.0.0.0/8', '0.0.0.0/0', '2001:db8::1/64', '::', '10.0.0.300/24', 'foo', '25s', '1m30s',
  'SEGvDJMLOEQXpBVOPDNcn4ZKUqqv3r0nJXDA/9FgrmE=', '198.51.100.7:51820', '[2001:db8::1]:51820', 'https://discovery.talos.dev/',
  'main', 'local', '52:54:00:*', 'true', 'yes', '~', 'null', '!10.0.0.0/8',
];

const keyArb = fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...SCHEMA_KEYS) }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) });

const scalarArb = fc.oneof(
  fc.boolean(),
  fc.constant(null),
  fc.integer({ min: -2, max: 70_000 }),
  fc.integer(),
  fc.double(),
  fc.constantFrom(...SAMPLE_STRINGS),
  fc.string({ maxLength: 24 }),
);

const { value: valueArb } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalarArb,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(keyArb, tie('value'), { maxKeys: 5 }),
  ),
}));

/** A device: mostly schema keys with random values. */
const deviceArb = fc.oneof({ weight: 4, arbitrary: fc.dictionary(keyArb, valueArb, { maxKeys: 7 }) }, { weight: 1, arbitrary: valueArb });

/** A config shaped like a machine config, with random contents at every level. */
const shapedConfigArb = fc.record(
  {
    version: fc.oneof(fc.constant('v1alpha1'), valueArb),
    machine: fc.oneof(
      { weight: 5, arbitrary: fc.record(
        {
          type: fc.oneof(fc.constantFrom('controlplane', 'worker', 'init', 'join'), valueArb),
          network: fc.oneof(
            { weight: 5, arbitrary: fc.record(
              {
                hostname: valueArb,
                interfaces: fc.oneof({ weight: 5, arbitrary: fc.array(deviceArb, { maxLength: 4 }) }, { weight: 1, arbitrary: valueArb }),
                nameservers: valueArb,
                kubespan: valueArb,
                extraHostEntries: valueArb,
              },
              { requiredKeys: ['interfaces'] },
            ) },
            { weight: 1, arbitrary: valueArb },
          ),
        },
        { requiredKeys: [] },
      ) },
      { weight: 1, arbitrary: valueArb },
    ),
    cluster: valueArb,
  },
  { requiredKeys: [] },
);

/** A valid config touching most of the schema (mutated below). */
const VALID = {
  version: 'v1alpha1',
  machine: {
    type: 'controlplane',
    token: 'abc.def',
    network: {
      hostname: 'cp-1.example.com',
      nameservers: ['192.0.2.53', '2001:db8::53'],
      searchDomains: ['example.com'],
      extraHostEntries: [{ ip: '192.0.2.20', aliases: ['registry.local'] }],
      interfaces: [
        {
          interface: 'bond0',
          bond: { mode: '802.3ad', lacpRate: 'fast', miimon: 100, updelay: 200, interfaces: ['eth0', 'eth1'] },
          addresses: ['192.0.2.10/24', '2001:db8::10/64'],
          routes: [{ network: '0.0.0.0/0', gateway: '192.0.2.1', metric: 1024 }, { network: '10.0.0.0/8', gateway: '192.0.2.254', table: 1000 }],
          vlans: [{ vlanId: 100, addresses: ['198.51.100.10/24'], vip: { ip: '198.51.100.100' } }, { vlanId: 200, dhcp: true }],
          vip: { ip: '192.0.2.100' },
          mtu: 9000,
        },
        { interface: 'br0', bridge: { interfaces: ['eth2'], stp: { enabled: true } }, dhcp: true, dhcpOptions: { routeMetric: 100, ipv6: true } },
        {
          interface: 'wg0',
          addresses: ['10.10.0.1/24'],
          wireguard: {
            privateKey: 'SEGvDJMLOEQXpBVOPDNcn4ZKUqqv3r0nJXDA/9FgrmE=',
            listenPort: 51820,
            peers: [{ publicKey: '1SaH2o1U4ZDGp3nzbQgjTh7JJGDbZ69x1SW7o6dU/mA=', endpoint: '198.51.100.7:51820', persistentKeepaliveInterval: '25s', allowedIPs: ['10.10.0.0/24'] }],
          },
        },
        { deviceSelector: { hardwareAddr: '52:54:00:*', driver: 'virtio_net' }, dhcp: true },
        { interface: 'eth3', ignore: true },
      ],
      kubespan: { enabled: true, mtu: 1420, filters: { endpoints: ['0.0.0.0/0', '!192.168.0.0/16'] } },
    },
  },
  cluster: {
    id: '0zWzS8GvLHmCkF5Fvm2ht3o2e2e8xvdqYkAQwEfNdx8=',
    secret: 'Nkq1pN2/6cYVB6K9rGeBE0BRrQbp1BmHzRzYk4m4sQo=',
    discovery: { enabled: true },
    clusterName: 'demo',
  },
};

type Json = unknown;
type Path = Array<string | number>;

function allPaths(v: Json, at: Path = [], out: Path[] = []): Path[] {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => allPaths(x, [...at, i], out));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) allPaths(x, [...at, k], out);
  return out;
}

function getAt(root: Json, path: Path): Json {
  let v = root as Record<string | number, Json>;
  for (const p of path) v = v[p] as Record<string | number, Json>;
  return v;
}

interface Mutation {
  op: 'delete' | 'replace' | 'duplicate' | 'rename';
  pick: number;
  value: unknown;
  key: string;
}

/** Applies one mutation to a deep copy-in-progress; mutations that do not apply are no-ops. */
function mutate(root: Json, m: Mutation): Json {
  const paths = allPaths(root).filter((p) => p.length > 0);
  const pickFrom = (list: Path[]) => (list.length === 0 ? undefined : list[m.pick % list.length]);
  switch (m.op) {
    case 'delete':
    case 'replace':
    case 'rename': {
      const candidates = m.op === 'rename' ? paths.filter((p) => typeof p[p.length - 1] === 'string') : paths;
      const path = pickFrom(candidates);
      if (!path) return root;
      const parent = getAt(root, path.slice(0, -1)) as Record<string | number, Json> | Json[];
      const last = path[path.length - 1]!;
      if (m.op === 'replace') (parent as Record<string | number, Json>)[last] = structuredClone(m.value);
      else if (Array.isArray(parent)) parent.splice(last as number, 1);
      else if (m.op === 'delete') delete (parent as Record<string, Json>)[last];
      else {
        const v = (parent as Record<string, Json>)[last];
        delete (parent as Record<string, Json>)[last];
        (parent as Record<string, Json>)[m.key] = v;
      }
      return root;
    }
    case 'duplicate': {
      const path = pickFrom(paths.filter((p) => Array.isArray(getAt(root, p)) && (getAt(root, p) as Json[]).length > 0));
      if (!path) return root;
      const list = getAt(root, path) as Json[];
      list.push(structuredClone(list[m.pick % list.length]));
      return root;
    }
  }
}

const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom('delete', 'replace', 'duplicate', 'rename'),
  pick: fc.nat(),
  value: valueArb,
  key: keyArb,
});

/** Line-level edits of YAML text: what a careless editor does. */
const textEditArb = fc.record({
  kind: fc.constantFrom('delete-range', 'insert', 'indent', 'dedent', 'swap-lines', 'drop-line'),
  at: fc.nat(),
  len: fc.integer({ min: 1, max: 12 }),
  text: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom(':', '- ', '[', ']', '{', '}', '\t', '\n', '"', "'", '&a ', '*a', '!!str ', '---\n', '<<: *a', '# ', '  ', 'adresses: x\n')),
});

interface TextEdit {
  kind: string;
  at: number;
  len: number;
  text: string;
}

function editText(text: string, e: TextEdit): string {
  const lines = text.split('\n');
  const line = e.at % Math.max(1, lines.length);
  const pos = e.at % Math.max(1, text.length);
  switch (e.kind) {
    case 'delete-range':
      return text.slice(0, pos) + text.slice(pos + e.len);
    case 'insert':
      return text.slice(0, pos) + e.text + text.slice(pos);
    case 'indent':
      lines[line] = ' '.repeat(e.len % 4) + (lines[line] ?? '');
      return lines.join('\n');
    case 'dedent':
      lines[line] = (lines[line] ?? '').replace(new RegExp(`^ {1,${e.len % 4 || 1}}`), '');
      return lines.join('\n');
    case 'swap-lines': {
      const other = (line + e.len) % Math.max(1, lines.length);
      [lines[line], lines[other]] = [lines[other]!, lines[line]!];
      return lines.join('\n');
    }
    default:
      lines.splice(line, 1);
      return lines.join('\n');
  }
}

describe('config loader properties', () => {
  it('the base config for the mutation properties is valid', () => {
    const { config } = parseConfig('base.yaml', stringify(VALID));
    expect(config.machine?.network?.interfaces).toHaveLength(5);
  });

  it('(a) arbitrary strings: returns or throws ConfigInvalidError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'grapheme', maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 100 })), checkLoader),
      { numRuns: RUNS },
    );
  }, TIMEOUT);

  it('(a) YAML-like token soup: returns or throws ConfigInvalidError', () => {
    const token = fc.constantFrom(
      'machine', 'network', 'interfaces', 'interface', 'addresses', 'bond', 'vlans', 'cluster', 'eth0', '192.0.2.1/24',
      ':', ': ', '- ', '\n', '\n  ', '\n    ', '[', ']', '{', '}', ',', '"', "'", '#', '&a', '*a', '!!map', '!!binary', '---', '...', '|', '>', '?', '%YAML 1.2', '\t', '<<',
    );
    fc.assert(fc.property(fc.array(token, { maxLength: 60 }).map((t) => t.join('')), checkLoader), { numRuns: RUNS });
  }, TIMEOUT);

  it('(b) arbitrary JSON values as YAML: returns or throws ConfigInvalidError', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 5 }), (v) => checkLoader(stringify(v))), { numRuns: RUNS });
  }, TIMEOUT);

  it('(b) random values nested under machine.network.interfaces and elsewhere: returns or throws ConfigInvalidError', () => {
    fc.assert(fc.property(shapedConfigArb, (v) => checkLoader(stringify(v))), { numRuns: 600 });
  }, TIMEOUT);

  it('(c) mutations of a valid config (delete, replace, duplicate, rename): returns or throws ConfigInvalidError', () => {
    fc.assert(
      fc.property(fc.array(mutationArb, { minLength: 1, maxLength: 3 }), (mutations) => {
        let doc: Json = structuredClone(VALID);
        for (const m of mutations) doc = mutate(doc, m);
        checkLoader(stringify(doc));
      }),
      { numRuns: 800 },
    );
  }, TIMEOUT);

  it('(c) text edits of a valid config (deleted ranges, inserted tokens, re-indented, swapped lines): returns or throws ConfigInvalidError', () => {
    const base = stringify(VALID);
    fc.assert(
      fc.property(fc.array(textEditArb, { minLength: 1, maxLength: 4 }), (edits) => checkLoader(edits.reduce((t, e) => editText(t, e), base))),
      { numRuns: 600 },
    );
  }, TIMEOUT);

  // Counterexamples the properties above found (minimised by hand to what a
  // user would write); kept so the failures do not depend on the random seed.
  const dev = (lines: string) => `machine:\n  type: worker\n  network:\n    interfaces:\n${lines}`;
  it.each([
    ['an empty item in interfaces', dev('      -\n')],
    ['bond.interfaces as a string', dev('      - interface: bond0\n        bond:\n          interfaces: eth0\n')],
    ['bridge.interfaces as a mapping', dev('      - interface: br0\n        bridge:\n          interfaces: {eth0: true}\n')],
    ['vlans as a string', dev('      - interface: eth0\n        vlans: eth0.100\n')],
    ['an empty item in vlans', dev('      - interface: eth0\n        vlans:\n          -\n')],
    ['an empty item in routes', dev('      - interface: eth0\n        routes:\n          -\n')],
    ['an empty deviceSelector', dev('      - deviceSelector:\n        dhcp: true\n')],
    ['a bridge port chosen by selector with dhcp (message names "undefined")', dev('      - interface: br0\n        bridge: {}\n        dhcp: true\n      - deviceSelector: {driver: virtio_net}\n        bridgePort: {master: br0}\n        dhcp: true\n')],
  ])('regression: %s is reported as a config error', (_name, text) => {
    checkLoader(text);
    expect(() => parseConfig('p.yaml', text)).toThrow(ConfigInvalidError);
  });

  // A key with nothing after it is absent, as Go's YAML decoding into Talos's types treats it.
  it.each([
    ['an empty bond', dev('      - interface: bond0\n        bond:\n        dhcp: true\n')],
    ['an empty bond.interfaces', dev('      - interface: bond0\n        bond:\n          mode: active-backup\n          interfaces:\n')],
    ['an empty kubespan section', 'machine:\n  network:\n    kubespan:\n'],
    ['an empty network section', 'machine:\n  network:\n'],
  ])('regression: %s is accepted as absent', (_name, text) => {
    checkLoader(text);
    expect(() => parseConfig('p.yaml', text)).not.toThrow();
  });
});

// ---------------------------------------------------------------------------
// netlink decoders

const FIXTURES = ['links-dump', 'addresses-dump', 'routes-ipv6-main-dump', 'routes-table-1000-dump', 'error-invalid-gateway'].map((name) => ({ name, bytes: fixture(name) }));

/** Splits and decodes every message the way the connection does, by type. */
function decodeAll(buf: Buffer): number {
  let decoded = 0;
  for (const m of parseMessages(buf)) {
    switch (m.type) {
      case RTM_NEWLINK:
      case RTM_DELLINK:
        decodeLink(m);
        break;
      case RTM_NEWADDR:
      case RTM_DELADDR:
        decodeAddress(m);
        break;
      case RTM_NEWROUTE:
      case RTM_DELROUTE:
        decodeRoute(m);
        break;
      case NLMSG_ERROR:
        parseErrorPayload(m);
        break;
      case NLMSG_DONE:
        parseDonePayload(m);
        break;
      default:
        continue;
    }
    decoded++;
  }
  return decoded;
}

/** Decoding must succeed or throw NetlinkDecodeError (with an offset inside the buffer), quickly. */
function checkDecoder(buf: Buffer): void {
  const started = performance.now();
  try {
    decodeAll(buf);
  } catch (err) {
    if (!(err instanceof NetlinkDecodeError)) {
      const e = err as Error;
      throw new Error(`decoding threw ${e?.name ?? typeof err} instead of NetlinkDecodeError: ${e?.message ?? String(err)}\n${e?.stack ?? ''}`);
    }
    expect(Number.isInteger(err.offset) && err.offset >= 0 && err.offset <= buf.length, `offset ${err.offset} outside 0..${buf.length}`).toBe(true);
    expect(err.message).toMatch(/^malformed netlink data at byte \d+: ./);
  }
  expect(performance.now() - started, 'decoding took too long').toBeLessThan(SLOW_MS);
}

const MSG_TYPES = [RTM_NEWLINK, RTM_DELLINK, RTM_NEWADDR, RTM_DELADDR, RTM_NEWROUTE, RTM_DELROUTE, NLMSG_ERROR, NLMSG_DONE];

/** Random attributes (flat or nested one level), as raw TLVs with possibly wrong lengths inside values. */
const rawAttrArb = fc.record({
  type: fc.oneof(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 0xffff })),
  value: fc.oneof(fc.uint8Array({ maxLength: 24 }), fc.constantFrom(new Uint8Array(4), new Uint8Array(16), new Uint8Array(6))),
  nestedKind: fc.boolean(),
});

/** Well-framed messages of decoder types with random fixed headers and random attributes. */
const framedMessagesArb = fc
  .array(
    fc.record({
      type: fc.constantFrom(...MSG_TYPES),
      flags: fc.constantFrom(0, 0x2, 0x100, 0x200, 0x300),
      family: fc.constantFrom(2, 10, 0, 7),
      header: fc.uint8Array({ minLength: 0, maxLength: 20 }),
      attrs: fc.array(rawAttrArb, { maxLength: 8 }),
      kind: fc.option(fc.constantFrom('veth', 'dummy', 'bond', 'vlan', ''), { nil: undefined }),
    }),
    { minLength: 1, maxLength: 4 },
  )
  .map((msgs) => {
    const w = new NlWriter(64);
    for (const m of msgs) {
      const start = w.beginMessage(m.type, m.flags, 1, 0);
      const header = Buffer.from(m.header);
      if (header.length > 0) header[0] = m.family;
      w.bytes(header);
      w.pad();
      if (m.kind !== undefined) {
        w.attrString(IFLA_IFNAME, 'eth0');
        const info = w.beginNested(IFLA_LINKINFO);
        w.attrString(IFLA_INFO_KIND, m.kind);
        const data = w.beginNested(IFLA_INFO_DATA);
        for (const a of m.attrs.slice(0, 3)) w.attrBytes(a.type, a.value);
        w.endNested(data);
        w.endNested(info);
      }
      for (const a of m.attrs) {
        if (a.nestedKind) {
          const n = w.beginNested(a.type);
          w.attrBytes(a.type, a.value);
          w.endNested(n);
        } else {
          w.attrBytes(a.type, a.value);
        }
      }
      w.endMessage(start);
    }
    return w.toBuffer();
  });

const mutatedFixtureArb = fc
  .record({
    fixture: fc.constantFrom(...FIXTURES),
    flips: fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { maxLength: 6 }),
    truncateTo: fc.option(fc.nat(), { nil: undefined }),
    extend: fc.uint8Array({ maxLength: 40 }),
    append: fc.option(fc.constantFrom(...FIXTURES), { nil: undefined }),
  })
  .map(({ fixture: f, flips, truncateTo, extend, append }) => {
    let buf = Buffer.from(f.bytes);
    for (const flip of flips) buf[flip.at % buf.length] = flip.value;
    if (truncateTo !== undefined) buf = buf.subarray(0, truncateTo % (buf.length + 1));
    return Buffer.concat([buf, append ? append.bytes : Buffer.alloc(0), Buffer.from(extend)]);
  });

describe('netlink decoder properties', () => {
  it('regression: an ack with an uncapped original length of 2^31 or more reports a byte offset inside the buffer', () => {
    // NLMSG_ERROR, NLM_F_ACK_TLVS, error 0, original header claiming 0x8000000c bytes
    const buf = Buffer.from([36, 0, 0, 0, 2, 0, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12, 0, 0, 128, 8, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0]);
    checkDecoder(buf);
  });

  it('the recorded fixtures decode cleanly', () => {
    for (const f of FIXTURES) expect(decodeAll(f.bytes), f.name).toBeGreaterThan(0);
  });

  it('(a) random bytes: decode or NetlinkDecodeError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => checkDecoder(Buffer.from(bytes))), { numRuns: 1000 });
  }, TIMEOUT);

  it('(a) well-framed messages with random headers and attributes: decode or NetlinkDecodeError', () => {
    fc.assert(fc.property(framedMessagesArb, checkDecoder), { numRuns: 1000 });
  }, TIMEOUT);

  it('(b) recorded fixtures with bytes flipped, truncated or extended: decode or NetlinkDecodeError', () => {
    fc.assert(fc.property(mutatedFixtureArb, checkDecoder), { numRuns: 1000 });
  }, TIMEOUT);

  it('(b) a truncated fixture never decodes to more messages than the whole one', () => {
    fc.assert(
      fc.property(fc.constantFrom(...FIXTURES), fc.nat(), (f, n) => {
        const cut = f.bytes.subarray(0, n % (f.bytes.length + 1));
        let count = -1;
        try {
          count = decodeAll(cut);
        } catch (err) {
          if (!(err instanceof NetlinkDecodeError)) throw err;
        }
        expect(count).toBeLessThanOrEqual(decodeAll(f.bytes));
      }),
      { numRuns: RUNS },
    );
  }, TIMEOUT);
});

// ---------------------------------------------------------------------------
// attribute round trip

type Attr =
  | { kind: 'u8' | 'u16' | 'u32' | 's32' | 'u16be' | 'u32be'; type: number; v: number }
  | { kind: 'u64'; type: number; v: bigint }
  | { kind: 'string'; type: number; v: string }
  | { kind: 'bytes'; type: number; v: Uint8Array }
  | { kind: 'flag'; type: number }
  | { kind: 'nested'; type: number; children: Attr[] };

const attrType = fc.integer({ min: 0, max: 0x3fff });

const { attr: attrArb } = fc.letrec<{ attr: Attr }>((tie) => ({
  attr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ kind: fc.constant('u8' as const), type: attrType, v: fc.integer({ min: 0, max: 0xff }) }),
    fc.record({ kind: fc.constant('u16' as const), type: attrType, v: fc.integer({ min: 0, max: 0xffff }) }),
    fc.record({ kind: fc.constant('u32' as const), type: attrType, v: fc.integer({ min: 0, max: 0xffffffff }) }),
    fc.record({ kind: fc.constant('s32' as const), type: attrType, v: fc.integer({ min: -0x80000000, max: 0x7fffffff }) }),
    fc.record({ kind: fc.constant('u16be' as const), type: attrType, v: fc.integer({ min: 0, max: 0xffff }) }),
    fc.record({ kind: fc.constant('u32be' as const), type: attrType, v: fc.integer({ min: 0, max: 0xffffffff }) }),
    fc.record({ kind: fc.constant('u64' as const), type: attrType, v: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) }),
    fc.record({ kind: fc.constant('string' as const), type: attrType, v: fc.string({ unit: 'grapheme', maxLength: 40 }).filter((s) => !s.includes('\0')) }),
    fc.record({ kind: fc.constant('bytes' as const), type: attrType, v: fc.uint8Array({ maxLength: 64 }) }),
    fc.record({ kind: fc.constant('flag' as const), type: attrType }),
    fc.record({ kind: fc.constant('nested' as const), type: attrType, children: fc.array(tie('attr'), { maxLength: 4 }) }),
  ),
}));

function writeAttrs(w: NlWriter, attrs: Attr[]): void {
  for (const a of attrs) {
    switch (a.kind) {
      case 'u8': w.attrU8(a.type, a.v); break;
      case 'u16': w.attrU16(a.type, a.v); break;
      case 'u32': w.attrU32(a.type, a.v); break;
      case 's32': w.attrS32(a.type, a.v); break;
      case 'u16be': w.attrU16be(a.type, a.v); break;
      case 'u32be': w.attrU32be(a.type, a.v); break;
      case 'u64': w.attrU64(a.type, a.v); break;
      case 'string': w.attrString(a.type, a.v); break;
      case 'bytes': w.attrBytes(a.type, a.v); break;
      case 'flag': w.attrFlag(a.type); break;
      case 'nested': {
        const start = w.beginNested(a.type);
        writeAttrs(w, a.children);
        w.endNested(start);
        break;
      }
    }
  }
}

/** Reads attributes back using the expected shape to pick each getter. */
function readAttrs(r: AttrReader, expected: Attr[]): Attr[] {
  const out: Attr[] = [];
  let i = 0;
  while (r.next()) {
    const shape = expected[i++];
    if (!shape) throw new Error(`extra attribute of type ${r.type}`);
    expect(r.type).toBe(shape.type);
    expect(r.isNested).toBe(shape.kind === 'nested');
    switch (shape.kind) {
      case 'u8': out.push({ kind: 'u8', type: r.type, v: r.u8() }); break;
      case 'u16': out.push({ kind: 'u16', type: r.type, v: r.u16() }); break;
      case 'u32': out.push({ kind: 'u32', type: r.type, v: r.u32() }); break;
      case 's32': out.push({ kind: 's32', type: r.type, v: r.s32() }); break;
      case 'u16be': out.push({ kind: 'u16be', type: r.type, v: r.u16be() }); break;
      case 'u32be': out.push({ kind: 'u32be', type: r.type, v: r.u32be() }); break;
      case 'u64': out.push({ kind: 'u64', type: r.type, v: r.u64() }); break;
      case 'string': out.push({ kind: 'string', type: r.type, v: r.string() }); break;
      case 'bytes': out.push({ kind: 'bytes', type: r.type, v: new Uint8Array(r.bytes()) }); break;
      case 'flag':
        expect(r.length).toBe(0);
        out.push({ kind: 'flag', type: r.type });
        break;
      case 'nested': out.push({ kind: 'nested', type: r.type, children: readAttrs(r.nested(), shape.children) }); break;
    }
  }
  return out;
}

describe('attribute round trip', () => {
  it('attributes written with NlWriter inside a message read back equal', () => {
    fc.assert(
      fc.property(
        fc.array(attrArb, { maxLength: 10 }),
        fc.integer({ min: 0x10, max: 0xffff }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.uint8Array({ maxLength: 20 }),
        (attrs, type, flags, seq, fixed) => {
          const w = new NlWriter(16); // small on purpose: growth is part of the property
          const start = w.beginMessage(type, flags, seq, 4242);
          w.bytes(fixed).pad();
          const attrStart = w.length - start - 16;
          writeAttrs(w, attrs);
          w.endMessage(start);
          const buf = w.toBuffer();
          expect(buf.length % 4).toBe(0);

          const messages = parseMessages(buf);
          expect(messages).toHaveLength(1);
          const m = messages[0]!;
          expect({ type: m.type, flags: m.flags, seq: m.seq, portId: m.portId, length: m.length + 16 }).toEqual({ type, flags, seq, portId: 4242, length: buf.length });
          expect(Buffer.from(m.buf.subarray(m.offset, m.offset + fixed.length))).toEqual(Buffer.from(fixed));

          const back = readAttrs(new AttrReader(m.buf, m.offset + attrStart, m.offset + m.length), attrs);
          expect(back).toEqual(attrs.map(normalise));
        },
      ),
      { numRuns: 500 },
    );
  }, TIMEOUT);
});

/** Uint8Array values compare by content; everything else as written. */
function normalise(a: Attr): Attr {
  if (a.kind === 'bytes') return { ...a, v: new Uint8Array(a.v) };
  if (a.kind === 'nested') return { ...a, children: a.children.map(normalise) };
  return a;
}
