// Network settings from the Linux kernel command line, as Talos reads them
// (internal/app/machined/pkg/controllers/network/cmdline.go, plus the parts of
// route_config.go, operator_config.go and hostname_config.go that consume the result).
//
// Recognised arguments:
//   ip=<client-ip>:<server-ip>:<gw-ip>:<netmask>:<hostname>:<device>:<autoconf>:<dns0>:<dns1>:<ntp0>
//   ip=<device>:dhcp          ip=dhcp (ignored)
//   bond=<name>[:<slaves>[:<options>[:<mtu>]]]
//   vlan=<name>:<phydev>
//   talos.hostname=<name>     talos.network.interface.ignore=<link>     net.ifnames=0
//   talos.environment=<KEY>=<VALUE>   (repeatable: the proxy settings, before a config)
//
// Pure: no I/O. The caller passes the names of the links that exist, for the
// "no device given" case.
//
// Where this differs from Talos on purpose:
// * Talos rejects the whole command line when one argument is bad. Here each
//   bad argument is reported in `errors` and contributes nothing; the other
//   arguments still apply.
// * Talos does not notice some bad input that the kernel would later reject
//   (a non-contiguous netmask, which Talos turns into /0; an empty bond name; a
//   device name longer than 15 bytes; VLAN ID 4095). These are errors here.
// * Talos resolves `enx<MAC>` device names and link aliases to the real link;
//   a pure parser knows no MACs or aliases, so names are kept as written.

import { createHash } from 'node:crypto';
import { formatIP, formatPrefix, isMulticast, isUnspecified, parseIP, prefixContains } from '../net/ip.js';
import type { Family, IP, Prefix } from '../net/ip.js';

export interface CmdlineAddress {
  linkName: string;
  /** canonical CIDR, e.g. "192.0.2.10/24" */
  address: string;
  family: Family;
}

export interface CmdlineRoute {
  linkName: string;
  family: Family;
  /** '' = default route, else canonical CIDR */
  dst: string;
  /** '' = link scope */
  gateway: string;
  metric: number;
}

export interface CmdlineBond {
  name: string;
  slaves: string[];
  /** as given; absent means the kernel/Talos default, balance-rr */
  mode?: string;
  /** every option as given, mode included */
  options: Record<string, string>;
  mtu?: number;
}

export interface CmdlineVlan {
  name: string;
  parent: string;
  vlanId: number;
}

export interface CmdlineError {
  arg: string;
  message: string;
}

export interface CmdlineNetwork {
  hostname?: { hostname: string; domainname: string };
  addresses: CmdlineAddress[];
  routes: CmdlineRoute[];
  /** links that get DHCPv4 */
  dhcp4: string[];
  /** canonical IPs, in order, without duplicates */
  resolvers: string[];
  /** canonical IPs, in order, without duplicates */
  timeServers: string[];
  bonds: CmdlineBond[];
  vlans: CmdlineVlan[];
  ignoredInterfaces: string[];
  /** false when net.ifnames=0 is given, else undefined */
  predictableNames?: boolean;
  /** links whose configuration came from ip= (so they are brought up) */
  configuredLinks: string[];
  /** talos.environment=KEY=VALUE arguments (http_proxy, https_proxy, no_proxy…); machine.env wins over them */
  environment?: Record<string, string>;
  errors: CmdlineError[];
}

/** Talos `network.DefaultRouteMetric`, chosen to match systemd. */
export const CMDLINE_DEFAULT_ROUTE_METRIC = 1024;

/**
 * autoconf values that turn DHCPv4 on. Talos (cmdline.go, `autoconfDHCP`)
 * accepts only "dhcp"; the kernel's "on"/"any" and everything else ("off",
 * "none", "static", "", or an unknown word) leave the link static, silently.
 */
const DHCP_AUTOCONF: ReadonlySet<string> = new Set(['dhcp']);

/**
 * VLAN IDs accepted. Talos accepts 1..4095, but the kernel refuses 4095
 * (reserved, VLAN_VID_MASK) when the link is created, so it is an error here.
 */
const VLAN_ID_MIN = 1;
const VLAN_ID_MAX = 4094;

/** Bond MTU range: ETH_MIN_MTU..ETH_MAX_MTU (Talos only checks it is a number). */
const MTU_MIN = 68;
const MTU_MAX = 65535;

/** IFNAMSIZ - 1 */
const MAX_LINK_NAME_BYTES = 15;

/** Internal: aborts the current argument. Never escapes parseCmdline. */
class ArgError extends Error {}

function fail(message: string): never {
  throw new ArgError(message);
}

// ---------------------------------------------------------------------------
// Splitting the command line

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\v' || c === '\f';
}

/**
 * Splits a kernel command line into arguments the way the kernel does
 * (lib/cmdline.c `next_arg`): whitespace separates arguments except inside
 * double quotes. Quotes are then removed as the kernel removes them: a quote
 * opening the whole argument (`"a=b c"`) or opening the value (`a="b c"`) is
 * dropped together with a quote ending the argument. Other quotes are kept.
 */
export function splitCmdline(text: string): string[] {
  const args: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && isSpace(text[i] ?? '')) i++;
    if (i >= text.length) break;
    const quoted = text[i] === '"';
    if (quoted) i++;
    let inQuote = quoted;
    const start = i;
    let equals = -1;
    for (; i < text.length; i++) {
      const c = text[i] ?? '';
      if (isSpace(c) && !inQuote) break;
      if (equals < 0 && c === '=') equals = i - start;
      if (c === '"') inQuote = !inQuote;
    }
    let arg = text.slice(start, i);
    // The kernel removes at most one closing quote, at the very end.
    let closingRemoved = false;
    const removeClosingQuote = (): void => {
      if (!closingRemoved && arg.endsWith('"')) {
        arg = arg.slice(0, -1);
        closingRemoved = true;
      }
    };
    if (equals >= 0 && arg[equals + 1] === '"') {
      arg = arg.slice(0, equals + 1) + arg.slice(equals + 2);
      removeClosingQuote();
    }
    if (quoted) removeClosingQuote();
    if (arg !== '') args.push(arg);
  }
  return args;
}

/**
 * Splits the value of `ip=` at colons outside square brackets, then removes the
 * brackets around a field (`[2001:db8::1]` → `2001:db8::1`), as Talos's
 * `splitIPArgument` does.
 */
function splitIPFields(value: string): string[] {
  const fields: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '[') {
      depth++;
    } else if (c === ']') {
      depth--;
      if (depth < 0) fail('unbalanced "]"');
    } else if (c === ':' && depth === 0) {
      fields.push(unbracket(value.slice(start, i)));
      start = i + 1;
    }
  }
  if (depth !== 0) fail('unbalanced "["');
  fields.push(unbracket(value.slice(start)));
  return fields;
}

function unbracket(field: string): string {
  return field.startsWith('[') && field.endsWith(']') ? field.slice(1, -1) : field;
}

// ---------------------------------------------------------------------------
// Field helpers

/** Linux `dev_valid_name`: 1..15 bytes, not "." or "..", no "/", ":" or whitespace. */
function checkLinkName(name: string, what: string): string {
  if (name === '') fail(`empty ${what}`);
  if (Buffer.byteLength(name) > MAX_LINK_NAME_BYTES) fail(`${what} "${name}" is longer than ${MAX_LINK_NAME_BYTES} bytes`);
  if (name === '.' || name === '..' || /[/:\s]/.test(name)) fail(`invalid ${what} "${name}"`);
  return name;
}

function parseAddr(text: string, what: string): IP {
  const ip = parseIP(text);
  if (!ip) fail(`invalid ${what} "${text}"`);
  return ip;
}

/** A unicast address: parses, and is neither unspecified nor multicast. */
function parseUnicast(text: string, what: string): IP {
  const ip = parseAddr(text, what);
  if (isUnspecified(ip) || isMulticast(ip)) fail(`${what} "${text}" is not a unicast address`);
  return ip;
}

/** Number of leading one bits of a mask, or -1 when the ones are not contiguous. */
function maskOnes(mask: IP): number {
  let ones = 0;
  let seenZero = false;
  for (const byte of mask.bytes) {
    for (let bit = 7; bit >= 0; bit--) {
      if ((byte >> bit) & 1) {
        if (seenZero) return -1;
        ones++;
      } else {
        seenZero = true;
      }
    }
  }
  return ones;
}

/**
 * The netmask field: a prefix length ("24") or a mask in address form
 * ("255.255.255.0", "ffff:ffff::"). Talos tries the number first too. `family`
 * is that of the client IP, when one was given.
 */
function parseNetmask(text: string, family: Family | undefined): number {
  const maxBits = family === 'inet4' ? 32 : 128;
  if (/^\d+$/.test(text)) {
    const bits = Number(text);
    if (bits > maxBits) fail(`netmask /${text} is longer than ${maxBits} bits`);
    return bits;
  }
  const mask = parseIP(text);
  if (!mask) fail(`invalid netmask "${text}"`);
  if (family !== undefined && mask.family !== family) fail(`netmask "${text}" does not match the address family of the client IP`);
  const ones = maskOnes(mask);
  // Talos (net.IPMask.Size) silently turns a non-contiguous mask into /0.
  if (ones < 0) fail(`netmask "${text}" is not contiguous`);
  return ones;
}

/**
 * Splits an FQDN at the first dot (Talos `HostnameSpecSpec.ParseFQDN`) and
 * validates it the same way: hostname 1..63 bytes, FQDN at most 253.
 */
function parseFQDN(fqdn: string): { hostname: string; domainname: string } {
  const dot = fqdn.indexOf('.');
  const hostname = dot < 0 ? fqdn : fqdn.slice(0, dot);
  const domainname = dot < 0 ? '' : fqdn.slice(dot + 1);
  const len = Buffer.byteLength(hostname);
  if (len === 0 || len > 63) fail(`invalid hostname "${hostname}": it must be 1 to 63 characters`);
  const full = domainname === '' ? hostname : `${hostname}.${domainname}`;
  if (Buffer.byteLength(full) > 253) fail(`hostname "${fqdn}" is longer than 253 characters`);
  return { hostname, domainname };
}

function pushUnique(list: string[], value: string): void {
  if (!list.includes(value)) list.push(value);
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------
// ip=

interface IPConfig {
  linkName: string;
  address?: Prefix;
  gateway?: IP;
  dhcp: boolean;
  hostname?: { hostname: string; domainname: string };
  dns: IP[];
  ntp: IP[];
}

/** Returns undefined for `ip=dhcp`, which Talos ignores. */
function parseIPArg(value: string, defaultLink: string | undefined): IPConfig | undefined {
  const fields = splitIPFields(value);
  const device = (name: string): string => {
    if (name !== '') return checkLinkName(name, 'device name');
    // No device: the first non-loopback link by name, as Talos does.
    if (defaultLink === undefined) fail('no device given and no non-loopback link is known');
    return defaultLink;
  };

  // `ip=dhcp`: handled by the default DHCP behaviour instead.
  if (fields.length === 1 && fields[0] === 'dhcp') return undefined;

  // `ip=<device>:dhcp`. An empty device means the default link here too (Talos
  // would leave the link name empty in this form).
  if (fields.length === 2 && fields[1] === 'dhcp') {
    return { linkName: device(fields[0] ?? ''), dhcp: true, dns: [], ntp: [] };
  }

  // The full form. Empty fields are skipped; fields after the tenth are ignored (as in Talos).
  const get = (i: number): string => fields[i] ?? '';
  const config: IPConfig = { linkName: '', dhcp: false, dns: [], ntp: [] };

  const client = get(0) === '' ? undefined : parseUnicast(get(0), 'client IP');
  // field 1, the NFS server IP, is not used (Talos does not read it either)
  if (get(2) !== '') config.gateway = parseUnicast(get(2), 'gateway IP');
  const bits = get(3) === '' ? undefined : parseNetmask(get(3), client?.family);
  if (client) {
    // no netmask: the address alone, /32 or /128
    config.address = { family: client.family, bytes: client.bytes, bits: bits ?? client.bytes.length * 8 };
  }
  if (get(4) !== '') config.hostname = parseFQDN(get(4));
  config.linkName = device(get(5));
  config.dhcp = DHCP_AUTOCONF.has(get(6));
  for (const i of [7, 8]) if (get(i) !== '') config.dns.push(parseAddr(get(i), `DNS server IP (field ${i + 1})`));
  if (get(9) !== '') config.ntp.push(parseAddr(get(9), 'NTP server IP'));
  return config;
}

// ---------------------------------------------------------------------------
// bond=

const BOND_ENUMS: Readonly<Record<string, readonly string[]>> = {
  mode: ['balance-rr', 'active-backup', 'balance-xor', 'broadcast', '802.3ad', 'balance-tlb', 'balance-alb'],
  xmit_hash_policy: ['layer2', 'layer3+4', 'layer2+3', 'encap2+3', 'encap3+4'],
  lacp_rate: ['slow', 'fast'],
  arp_validate: ['none', 'active', 'backup', 'all', 'filter', 'filter-active', 'filter-backup'],
  arp_all_targets: ['any', 'all'],
  primary_reselect: ['always', 'better', 'failure'],
  // integers 0-2 are accepted for legacy compatibility
  fail_over_mac: ['none', 'active', 'follow', '0', '1', '2'],
  ad_select: ['stable', 'bandwidth', 'count'],
};

/** Numeric options and their maximum (the width Talos stores them in). */
const BOND_NUMBERS: Readonly<Record<string, number>> = {
  miimon: 0xffffffff,
  updelay: 0xffffffff,
  downdelay: 0xffffffff,
  arp_interval: 0xffffffff,
  resend_igmp: 0xffffffff,
  min_links: 0xffffffff,
  lp_interval: 0xffffffff,
  packets_per_slave: 0xffffffff,
  num_grat_arp: 0xff,
  num_unsol_na: 0xff,
  all_slaves_active: 0xff,
  use_carrier: 0xffffffff,
};

/** Options Talos accepts on the command line (`parseBondOptions`); any other key is an error there too. */
function checkBondOption(key: string, val: string): void {
  const allowed = BOND_ENUMS[key];
  if (allowed) {
    if (!allowed.includes(val)) fail(`invalid bond option ${key}="${val}": expected one of ${allowed.join(', ')}`);
    return;
  }
  const max = BOND_NUMBERS[key];
  if (max !== undefined) {
    if (!/^\d+$/.test(val) || Number(val) > max) fail(`invalid bond option ${key}="${val}": expected an integer from 0 to ${max}`);
    return;
  }
  if (key === 'primary') {
    checkLinkName(val, 'bond primary');
    return;
  }
  if (key === 'arp_ip_target') {
    // several targets are separated by ";" (a "," would end the option)
    for (const target of val.split(';')) {
      const ip = parseIP(target);
      if (!ip || ip.family !== 'inet4') fail(`invalid bond option arp_ip_target: "${target}" is not an IPv4 address`);
    }
    return;
  }
  fail(`unknown bond option "${key}"`);
}

function parseBondArg(value: string): CmdlineBond {
  const fields = value.split(':');
  const get = (i: number): string => fields[i] ?? '';
  if (get(0) === '') fail('empty bond name');
  const bond: CmdlineBond = { name: checkLinkName(get(0), 'bond name'), slaves: [], options: {} };

  // dracut's default slaves
  bond.slaves = get(1) === '' ? ['eth0', 'eth1'] : get(1).split(',').map((s) => checkLinkName(s, 'bond slave name'));

  if (get(2) !== '') {
    for (const option of get(2).split(',')) {
      const eq = option.indexOf('=');
      if (eq <= 0) fail(`bond option "${option}" is not key=value`);
      const key = option.slice(0, eq);
      const val = option.slice(eq + 1);
      checkBondOption(key, val);
      bond.options[key] = val; // a repeated key: the last one wins, as in Talos
    }
    if (bond.options['mode'] !== undefined) bond.mode = bond.options['mode'];
  }

  if (get(3) !== '') {
    const mtu = get(3);
    if (!/^\d+$/.test(mtu) || Number(mtu) < MTU_MIN || Number(mtu) > MTU_MAX) fail(`invalid bond MTU "${mtu}": expected an integer from ${MTU_MIN} to ${MTU_MAX}`);
    bond.mtu = Number(mtu);
  }
  // fields after the MTU are ignored, as in Talos
  return bond;
}

// ---------------------------------------------------------------------------
// vlan=

/**
 * Talos `nethelpers.VLANLinkName`: `<parent>.<vid>`, or, when that would not fit
 * in 15 bytes, the first 4 characters of the parent, 6 hex digits of its SHA-256
 * and `.<vid>`. (Link names are treated as ASCII.)
 */
export function vlanLinkName(parent: string, vlanId: number): string {
  if (parent.length + 5 <= MAX_LINK_NAME_BYTES) return `${parent}.${vlanId}`;
  const prefix = parent.slice(0, 4);
  const hashBytes = Math.floor((MAX_LINK_NAME_BYTES - prefix.length - 5) / 2);
  const hash = createHash('sha256').update(parent).digest('hex').slice(0, hashBytes * 2);
  return `${prefix}${hash}.${vlanId}`;
}

function parseVlanArg(value: string): CmdlineVlan {
  const colon = value.indexOf(':');
  if (colon < 0) fail('expected vlan=<name>:<phydev>');
  const given = value.slice(0, colon);
  const parent = checkLinkName(value.slice(colon + 1), 'VLAN parent device');
  const dot = given.indexOf('.');
  let vid: string;
  if (dot >= 0) vid = given.slice(dot + 1);
  else if (given.startsWith('vlan')) vid = given.slice(4);
  else fail(`VLAN name "${given}" is neither <name>.<vid> nor vlan<vid>`);
  if (!/^\d+$/.test(vid)) fail(`invalid VLAN ID "${vid}" in "${given}"`);
  const vlanId = Number(vid);
  if (vlanId < VLAN_ID_MIN || vlanId > VLAN_ID_MAX) fail(`VLAN ID ${vlanId} is out of range ${VLAN_ID_MIN}..${VLAN_ID_MAX}`);
  // Talos names the link <parent>.<vid> whatever name was given (`vlan5` → `eth1.5`).
  return { name: vlanLinkName(parent, vlanId), parent, vlanId };
}

// ---------------------------------------------------------------------------
// net.ifnames=

/** systemd's parse_boolean, which udev uses for net.ifnames. */
function parseBoolean(value: string): boolean {
  const v = value.toLowerCase();
  if (['1', 'yes', 'y', 'true', 't', 'on'].includes(v)) return true;
  if (['0', 'no', 'n', 'false', 'f', 'off'].includes(v)) return false;
  fail(`invalid boolean "${value}"`);
}

// ---------------------------------------------------------------------------

/** The result for a command line with no network settings. */
export function emptyCmdline(): CmdlineNetwork {
  return {
    addresses: [],
    routes: [],
    dhcp4: [],
    resolvers: [],
    timeServers: [],
    bonds: [],
    vlans: [],
    ignoredInterfaces: [],
    configuredLinks: [],
    errors: [],
  };
}

/**
 * Parses the network settings in a kernel command line. Never throws: each bad
 * argument is listed in `errors` and ignored.
 *
 * `linkNames` are the links that exist; the first one by name other than `lo`
 * is the device of an `ip=` argument that names none.
 */
export function parseCmdline(text: string, linkNames: readonly string[] = []): CmdlineNetwork {
  const out = emptyCmdline();
  const defaultLink = linkNames.filter((n) => n !== 'lo').sort(byName)[0];

  let ipIndex = 0; // position among the ip= link configs, for the route metric
  let ipHostname: { hostname: string; domainname: string } | undefined;
  let talosHostname: { hostname: string; domainname: string } | undefined;
  let ifnames: boolean | undefined;
  // Talos reads only the first bond=, vlan= and talos.hostname= (procfs `.First()`).
  const firstOnly = new Set<string>();

  for (const arg of splitCmdline(text)) {
    const eq = arg.indexOf('=');
    if (eq < 0) continue; // flags like "quiet" carry no network settings
    const key = arg.slice(0, eq);
    const value = arg.slice(eq + 1);
    try {
      switch (key) {
        case 'ip': {
          const config = parseIPArg(value, defaultLink);
          if (!config) break;
          const metric = CMDLINE_DEFAULT_ROUTE_METRIC + ipIndex++;
          const link = config.linkName;
          pushUnique(out.configuredLinks, link);
          if (config.dhcp) pushUnique(out.dhcp4, link);
          if (config.address) {
            const address = formatPrefix(config.address);
            if (!out.addresses.some((a) => a.linkName === link && a.address === address)) {
              out.addresses.push({ linkName: link, address, family: config.address.family });
            }
          }
          if (config.gateway) {
            const gw = config.gateway;
            // Talos gives each ip= its own metric (1024 + its position) so that
            // default routes of several ip= arguments do not clash.
            out.routes.push({ linkName: link, family: gw.family, dst: '', gateway: formatIP(gw), metric });
            // A gateway outside the address's prefix is not reachable until a
            // link-scope host route to it exists on the device. Talos adds that
            // route for IPv4 gateways only (an IPv6 gateway is normally
            // link-local, reachable anyway), so no /128 route is made here.
            if (gw.family === 'inet4' && !(config.address && prefixContains(config.address, gw))) {
              out.routes.push({ linkName: link, family: 'inet4', dst: `${formatIP(gw)}/32`, gateway: '', metric });
            }
          }
          // the first ip= that names a hostname wins, as in Talos
          if (config.hostname && !ipHostname) ipHostname = config.hostname;
          for (const ip of config.dns) pushUnique(out.resolvers, formatIP(ip));
          for (const ip of config.ntp) pushUnique(out.timeServers, formatIP(ip));
          break;
        }
        case 'bond':
        case 'vlan':
        case 'talos.hostname': {
          if (firstOnly.has(key)) fail(`ignored: only the first ${key}= argument is used`);
          firstOnly.add(key);
          if (key === 'bond') out.bonds.push(parseBondArg(value));
          else if (key === 'vlan') out.vlans.push(parseVlanArg(value));
          else talosHostname = parseFQDN(value);
          break;
        }
        case 'talos.network.interface.ignore':
          if (value === '') fail('empty link name');
          pushUnique(out.ignoredInterfaces, value);
          break;
        case 'net.ifnames':
          ifnames = parseBoolean(value); // the last one wins
          break;
        case 'talos.environment': {
          const sep = value.indexOf('=');
          if (sep <= 0) fail('expected talos.environment=KEY=VALUE');
          (out.environment ??= {})[value.slice(0, sep)] = value.slice(sep + 1);
          break;
        }
        default:
          break; // not a network setting
      }
    } catch (err) {
      if (!(err instanceof ArgError)) throw err;
      out.errors.push({ arg, message: err.message });
    }
  }

  // talos.hostname wins over the hostname field of ip=: it is the more
  // specific, Talos-only setting (Talos fills the ip= hostname only when
  // talos.hostname is absent).
  const hostname = talosHostname ?? ipHostname;
  if (hostname) out.hostname = hostname;
  if (ifnames === false) out.predictableNames = false;
  return out;
}
