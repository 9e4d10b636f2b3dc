// The v1alpha1 `machine.network` schema: every field Talos accepts, with the
// per-object validation rules (spec §1.1). Rules that look across objects
// (bond membership, machine type) live in rules.ts.
import { z } from 'zod';
import { ipFamily, prefixFamily } from '../../net/ip.js';
import {
  bool,
  cidr,
  dnsName,
  duration,
  endpoint,
  expected,
  hexString,
  int,
  ip,
  ipOrCidr,
  linkName,
  list,
  network,
  oneOf,
  str,
  uint32,
  wireguardKey,
} from '../fields.js';

const when = { when: () => true } as const;

/**
 * A sub-schema built on its first use: most configs have no bond, bridge,
 * VLAN, WireGuard, VIP or KubeSpan, and building zod schemas is most of what
 * loading the config code costs at every start (measured: see the commit).
 * Validation, messages and the JSON Schema are those of the schema itself.
 */
function deferred<T extends z.ZodType>(build: () => T): z.ZodLazy<T> {
  return z.lazy(build);
}

/** Refinements with `when` also run on input of the wrong shape: they only look at plain objects. */
const isObject = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Route `table` (a netcfg extension): a number or main/local/default. */
const routeTable = z
  .union([z.number(), z.string()], { error: (iss) => expected('a routing table: a number from 1 to 4294967295 or main, local, default', iss.input) })
  .superRefine((v, ctx) => {
    const ok = typeof v === 'number' ? Number.isInteger(v) && v >= 1 && v <= 4294967295 : ['main', 'local', 'default'].includes(v) || /^[1-9][0-9]*$/.test(v);
    if (!ok) ctx.addIssue({ code: 'custom', message: expected('a routing table: a number from 1 to 4294967295 or main, local, default', v), input: v });
  })
  .describe('netcfg extension: routing table, a number or main/local/default (default main).');

export const RouteSchema = z
  .strictObject({
    network: network({ emptyOk: true }).optional().describe('Destination in CIDR form; empty or 0.0.0.0/0 for a default route.'),
    gateway: ip('a gateway IP address', { emptyOk: true }).optional().describe('Next hop; empty for a link-scope route.'),
    source: ip('a source IP address', { emptyOk: true }).optional().describe('Preferred source address.'),
    metric: uint32('a route metric from 0 to 4294967295').optional().describe('Route priority; 0 means 1024.'),
    mtu: uint32('a route MTU from 0 to 4294967295').optional().describe('Route MTU (RTAX_MTU).'),
    table: routeTable.optional(),
  })
  .superRefine((r, ctx) => {
    if (!isObject(r)) return;
    // a field of the wrong type is reported by its own check, not as missing
    const given = (v: unknown) => v !== undefined && v !== null && v !== '';
    if (!given(r.network) && !given(r.gateway)) {
      ctx.addIssue({ code: 'custom', message: 'a route needs a network, a gateway, or both', path: [] });
      return;
    }
    const hasNetwork = typeof r.network === 'string' && r.network !== '';
    const hasGateway = typeof r.gateway === 'string' && r.gateway !== '';
    // families, when the fields are valid (their own checks report them otherwise)
    const net = hasNetwork ? prefixFamily(r.network as string) : undefined;
    const gw = hasGateway ? ipFamily(r.gateway as string) : undefined;
    const src = typeof r.source === 'string' && r.source !== '' ? ipFamily(r.source) : undefined;
    const name = (f: string) => (f === 'inet4' ? 'IPv4' : 'IPv6');
    // an IPv4 route may use an IPv6 gateway (RFC 5549); everything else must agree
    if (net === 'inet6' && gw === 'inet4') ctx.addIssue({ code: 'custom', message: 'gateway is IPv4 but network is IPv6', path: ['gateway'] });
    const reference = net ? ['network', net] : gw ? ['gateway', gw] : undefined;
    if (reference && src && src !== reference[1]) {
      ctx.addIssue({ code: 'custom', message: `source is ${name(src)} but ${reference[0]} is ${name(reference[1]!)}`, path: ['source'] });
    }
  }, when);

export const DeviceSelectorSchema = deferred(() =>
  z
    .strictObject({
      busPath: str().optional().describe('PCI/bus path glob, e.g. "0000:00:05.0" or "0*".'),
      hardwareAddr: str().optional().describe('MAC address glob (lower case), e.g. "52:54:00:*".'),
      permanentAddr: str().optional().describe('Permanent MAC address glob (survives bonding).'),
      pciID: str().optional().describe('PCI ID glob VVVV:DDDD (upper case), e.g. "1AF4:1000".'),
      driver: str().optional().describe('Kernel driver glob, e.g. "virtio_net".'),
      physical: bool().optional().describe('Only physical (true) or only virtual (false) links.'),
    })
    .superRefine((s, ctx) => {
      if (!isObject(s)) return;
      if (Object.values(s).every((v) => v === undefined || v === '')) {
        ctx.addIssue({ code: 'custom', message: 'an empty device selector matches nothing: set at least one of busPath, hardwareAddr, permanentAddr, pciID, driver, physical' });
      }
    }, when)
    .describe('Selects links by hardware properties (all fields ANDed; "*" globs).'),
);

export const BOND_MODES = ['balance-rr', 'active-backup', 'balance-xor', 'broadcast', '802.3ad', 'balance-tlb', 'balance-alb'] as const;
export const XMIT_HASH_POLICIES = ['layer2', 'layer3+4', 'layer2+3', 'encap2+3', 'encap3+4'] as const;
export const LACP_RATES = ['slow', 'fast'] as const;
export const ARP_VALIDATE = ['none', 'active', 'backup', 'all', 'filter', 'filter-active', 'filter-backup'] as const;
export const ARP_ALL_TARGETS = ['any', 'all'] as const;
export const PRIMARY_RESELECT = ['always', 'better', 'failure'] as const;
export const FAIL_OVER_MAC = ['none', 'active', 'follow'] as const;
export const AD_SELECT = ['stable', 'bandwidth', 'count'] as const;

const failOverMac = z
  .union([z.number(), z.string()], { error: (iss) => expected('a failOverMac: "none", "active", "follow" (or 0-2)', iss.input) })
  .superRefine((v, ctx) => {
    const ok = typeof v === 'number' ? [0, 1, 2].includes(v) : v === '' || (FAIL_OVER_MAC as readonly string[]).includes(v);
    if (!ok) ctx.addIssue({ code: 'custom', message: `invalid failOverMac ${JSON.stringify(v)}: expected one of "none", "active", "follow" (or 0, 1, 2)`, input: v });
  });

const uint8 = (what: string) => int(0, 255, `${what}: an integer from 0 to 255`);
const uint16 = (what: string) => int(0, 65535, `${what}: an integer from 0 to 65535`);

export const BondSchema = deferred(() =>
  z
    .strictObject({
      interfaces: list(linkName(), 'a list of interface names').optional().describe('Member links by name.'),
      deviceSelectors: list(DeviceSelectorSchema, 'a list of device selectors').optional().describe('Member links by hardware selectors.'),
      arpIPTarget: list(str(), 'a list of IP addresses').optional(),
      mode: oneOf(BOND_MODES, 'bond mode').optional(),
      xmitHashPolicy: oneOf(XMIT_HASH_POLICIES, 'xmitHashPolicy').optional(),
      lacpRate: oneOf(LACP_RATES, 'lacpRate').optional(),
      adActorSystem: str().optional(),
      arpValidate: oneOf(ARP_VALIDATE, 'arpValidate').optional(),
      arpAllTargets: oneOf(ARP_ALL_TARGETS, 'arpAllTargets').optional(),
      primary: linkName().optional(),
      primaryReselect: oneOf(PRIMARY_RESELECT, 'primaryReselect').optional(),
      failOverMac: failOverMac.optional(),
      adSelect: oneOf(AD_SELECT, 'adSelect').optional(),
      miimon: uint32('miimon (milliseconds)').optional(),
      updelay: uint32('updelay (milliseconds)').optional(),
      downdelay: uint32('downdelay (milliseconds)').optional(),
      arpInterval: uint32('arpInterval (milliseconds)').optional(),
      resendIgmp: uint32('resendIgmp').optional(),
      minLinks: uint32('minLinks').optional(),
      lpInterval: uint32('lpInterval').optional(),
      packetsPerSlave: uint32('packetsPerSlave').optional(),
      numPeerNotif: uint8('numPeerNotif').optional(),
      tlbDynamicLb: uint8('tlbDynamicLb').optional(),
      allSlavesActive: uint8('allSlavesActive').optional(),
      useCarrier: bool().optional(),
      adActorSysPrio: uint16('adActorSysPrio').optional(),
      adUserPortKey: uint16('adUserPortKey').optional(),
      peerNotifyDelay: uint32('peerNotifyDelay').optional(),
    })
    .superRefine((b, ctx) => {
      if (!isObject(b)) return;
      const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', message, path: [path] });
      const mode = typeof b.mode === 'string' && (BOND_MODES as readonly string[]).includes(b.mode) ? b.mode || 'balance-rr' : b.mode === undefined ? 'balance-rr' : undefined;
      if (Array.isArray(b.interfaces) && b.interfaces.length > 0 && Array.isArray(b.deviceSelectors) && b.deviceSelectors.length > 0) {
        issue('deviceSelectors', '"interfaces" and "deviceSelectors" are mutually exclusive');
      }
      const miimon = typeof b.miimon === 'number' ? b.miimon : 0;
      for (const field of ['updelay', 'downdelay'] as const) {
        const v = b[field];
        if (typeof v !== 'number' || v === 0) continue;
        if (miimon === 0) issue(field, `${field} can't be set when miimon is 0 (link monitoring is off)`);
        else if (v % miimon !== 0) issue(field, `${field} ${v} must be a multiple of miimon ${miimon}`);
      }
      if (Array.isArray(b.arpIPTarget) && b.arpIPTarget.length > 0) issue('arpIPTarget', 'arpIPTarget is not supported (Talos v1alpha1 rejects it)');
      if (b.adActorSystem !== undefined && b.adActorSystem !== '') issue('adActorSystem', 'adActorSystem is not supported (Talos v1alpha1 rejects it)');
      if (mode === undefined) return; // the mode itself is reported
      const lbModes = ['802.3ad', 'balance-alb', 'balance-tlb'];
      if (b.lacpRate !== undefined && b.lacpRate !== '' && mode !== '802.3ad') issue('lacpRate', `lacpRate is only available in 802.3ad mode, not ${mode}`);
      if (b.arpValidate !== undefined && b.arpValidate !== '' && lbModes.includes(mode)) issue('arpValidate', `arpValidate is not available in ${mode} mode`);
      if (typeof b.arpInterval === 'number' && b.arpInterval > 0 && lbModes.includes(mode)) issue('arpInterval', `arpInterval is not available in ${mode} mode`);
      if (b.primary !== undefined && b.primary !== '' && !['active-backup', 'balance-alb', 'balance-tlb'].includes(mode)) issue('primary', `primary is only available in active-backup, balance-alb and balance-tlb modes, not ${mode}`);
      if (typeof b.packetsPerSlave === 'number' && b.packetsPerSlave > 1 && mode !== 'balance-rr') issue('packetsPerSlave', `packetsPerSlave > 1 is only available in balance-rr mode, not ${mode}`);
      if (typeof b.tlbDynamicLb === 'number' && b.tlbDynamicLb > 0 && !['balance-alb', 'balance-tlb'].includes(mode)) issue('tlbDynamicLb', `tlbDynamicLb is only available in balance-alb and balance-tlb modes, not ${mode}`);
      if (typeof b.adActorSysPrio === 'number' && b.adActorSysPrio > 0 && mode !== '802.3ad') issue('adActorSysPrio', `adActorSysPrio is only available in 802.3ad mode, not ${mode}`);
      if (typeof b.adUserPortKey === 'number' && b.adUserPortKey > 0 && mode !== '802.3ad') issue('adUserPortKey', `adUserPortKey is only available in 802.3ad mode, not ${mode}`);
    }, when)
    .describe('Makes this device a bond.'),
);

export const BridgeSchema = deferred(() =>
  z
    .strictObject({
      interfaces: list(linkName(), 'a list of interface names').optional(),
      stp: z.strictObject({ enabled: bool().optional() }).optional(),
      vlan: z.strictObject({ vlanFiltering: bool().optional() }).optional(),
    })
    .describe('Makes this device a bridge.'),
);

export const DHCPOptionsSchema = deferred(() =>
  z
    .strictObject({
      routeMetric: uint32('a route metric').optional().describe('Metric of DHCP routes; 0 means 1024.'),
      ipv4: bool().optional().describe('Run DHCPv4 (default true).'),
      ipv6: bool().optional().describe('Run DHCPv6 (default false).'),
      duidv6: hexString('DHCPv6 DUID').optional().describe('Raw DUID (hex) used as the DHCPv6 client ID.'),
    })
    .describe('DHCP options; they take effect only with dhcp: true.'),
);

const vipApiToken = z.strictObject({ apiToken: str('an API token') });

export const VIPSchema = deferred(() =>
  z
    .strictObject({
      ip: ip('a shared IP address'),
      equinixMetal: vipApiToken.optional(),
      hcloud: vipApiToken.optional(),
    })
    .describe('A shared (virtual) IP owned through an etcd election; control-plane nodes only.'),
);

export const WireguardPeerSchema = deferred(() =>
  z.strictObject({
    publicKey: wireguardKey('public key'),
    endpoint: endpoint(undefined, { emptyOk: true }).optional(),
    persistentKeepaliveInterval: duration('persistentKeepaliveInterval', 65535_000).optional(),
    allowedIPs: list(cidr('allowed IPs entry'), 'a list of CIDRs').optional(),
  }),
);

export const WireguardSchema = deferred(() =>
  z
    .strictObject({
      privateKey: wireguardKey('private key'),
      listenPort: int(0, 65535, 'a UDP port from 0 (any) to 65535').optional(),
      firewallMark: uint32('a firewall mark').optional(),
      peers: list(WireguardPeerSchema, 'a list of peers').optional(),
    })
    .describe('Makes this device a WireGuard interface.'),
);

const mtu = int(0, 65536, 'an MTU: 0 (leave as is) or 68 to 65536').refine((v) => v === 0 || v >= 68, { error: (iss) => expected('an MTU: 0 (leave as is) or 68 to 65536', iss.input) });

const addressingRules = (v: { addresses?: unknown; cidr?: unknown }, ctx: z.RefinementCtx) => {
  if (!isObject(v)) return;
  if (v.cidr !== undefined && v.addresses !== undefined) {
    ctx.addIssue({ code: 'custom', message: '"cidr" and "addresses" are mutually exclusive; move the cidr into addresses', path: ['cidr'] });
  }
};

export const VlanSchema = deferred(() =>
  z
    .strictObject({
      vlanId: int(1, 4094, 'a VLAN ID from 1 to 4094'),
      addresses: list(ipOrCidr(), 'a list of addresses').optional(),
      cidr: ipOrCidr().optional(),
      routes: list(RouteSchema, 'a list of routes').optional(),
      dhcp: bool().optional(),
      dhcpOptions: DHCPOptionsSchema.optional(),
      mtu: mtu.optional(),
      vip: VIPSchema.optional(),
    })
    .superRefine(addressingRules, when),
);

export const DeviceSchema = z
  .strictObject({
    interface: linkName().optional().describe('Link name, alias or altname.'),
    deviceSelector: DeviceSelectorSchema.optional(),
    addresses: list(ipOrCidr(), 'a list of addresses').optional().describe('Static addresses, CIDR or bare IP (/32, /128).'),
    cidr: ipOrCidr().optional().describe('Legacy single address; use addresses.'),
    routes: list(RouteSchema, 'a list of routes').optional(),
    bond: BondSchema.optional(),
    bridge: BridgeSchema.optional(),
    bridgePort: z.strictObject({ master: linkName() }).optional().describe('Enslaves this link to the named bridge.'),
    vlans: list(VlanSchema, 'a list of VLANs').optional(),
    mtu: mtu.optional(),
    dhcp: bool().optional(),
    ignore: bool().optional().describe('Leave this link alone entirely.'),
    dummy: bool().optional().describe('Create this link as a dummy interface.'),
    dhcpOptions: DHCPOptionsSchema.optional(),
    wireguard: WireguardSchema.optional(),
    vip: VIPSchema.optional(),
  })
  .superRefine((d, ctx) => {
    if (!isObject(d) || d.ignore === true) return; // Talos does not validate ignored devices
    if (d.interface === undefined && d.deviceSelector === undefined) {
      ctx.addIssue({ code: 'custom', message: 'a device needs "interface" or "deviceSelector"', path: [] });
    }
    if (d.interface !== undefined && d.deviceSelector !== undefined) {
      ctx.addIssue({ code: 'custom', message: '"interface" and "deviceSelector" are mutually exclusive', path: ['deviceSelector'] });
    }
    if (d.bond !== undefined && d.bridge !== undefined) {
      ctx.addIssue({ code: 'custom', message: '"bond" and "bridge" are mutually exclusive: a link is one or the other', path: ['bridge'] });
    }
    addressingRules(d, ctx);
    const seen = new Map<number, number>();
    (Array.isArray(d.vlans) ? d.vlans : []).forEach((v, i) => {
      if (typeof v?.vlanId !== 'number') return;
      const first = seen.get(v.vlanId);
      if (first !== undefined) ctx.addIssue({ code: 'custom', message: `VLAN ${v.vlanId} is already defined at vlans[${first}]`, path: ['vlans', i, 'vlanId'] });
      else seen.set(v.vlanId, i);
    });
  }, when);

export const ExtraHostSchema = deferred(() =>
  z.strictObject({
    ip: ip('an IP address'),
    aliases: list(dnsName('host alias'), 'a list of host names'),
  }),
);

const endpointFilter = str('a CIDR or IP, optionally negated with "!"').superRefine((v, ctx) => {
  const text = v.startsWith('!') ? v.slice(1) : v;
  if (!(text.includes('/') ? prefixFamily(text) : ipFamily(text))) {
    ctx.addIssue({ code: 'custom', message: `invalid endpoint filter "${v}": expected a CIDR or IP, optionally prefixed with "!"`, input: v });
  }
});

export const KUBESPAN_MIN_MTU = 1280;

export const KubeSpanSchema = deferred(() =>
  z
    .strictObject({
      enabled: bool().optional(),
      advertiseKubernetesNetworks: bool().optional(),
      allowDownPeerBypass: bool().optional(),
      harvestExtraEndpoints: bool().optional(),
      mtu: uint32('a KubeSpan MTU').optional().describe('WireGuard link MTU; default 1420, at least 1280.'),
      filters: z
        .strictObject({
          endpoints: list(endpointFilter, 'a list of CIDRs').optional(),
          excludeAdvertisedNetworks: list(network(), 'a list of CIDRs').optional(),
        })
        .optional(),
    })
    .superRefine((k, ctx) => {
      if (!isObject(k)) return;
      if (k.enabled === true && typeof k.mtu === 'number' && k.mtu < KUBESPAN_MIN_MTU) {
        ctx.addIssue({ code: 'custom', message: `KubeSpan link MTU ${k.mtu} is below the minimum of ${KUBESPAN_MIN_MTU}`, path: ['mtu'] });
      }
    }, when),
);

export const NetworkSchema = z
  .strictObject({
    hostname: dnsName('hostname')
      .superRefine((v, ctx) => {
        const short = v.split('.')[0] ?? '';
        if (short.length > 63) ctx.addIssue({ code: 'custom', message: `hostname "${short}" is longer than 63 characters`, input: v });
      })
      .optional()
      .describe('Static hostname; an FQDN sets the domain name too.'),
    interfaces: list(DeviceSchema, 'a list of interfaces').optional(),
    nameservers: list(ip('a nameserver IP address'), 'a list of IP addresses').optional().describe('DNS servers (default 1.1.1.1, 8.8.8.8).'),
    searchDomains: list(dnsName('search domain'), 'a list of domains').optional(),
    disableSearchDomain: bool().optional(),
    extraHostEntries: list(ExtraHostSchema, 'a list of host entries').optional(),
    kubespan: KubeSpanSchema.optional(),
  })
  .describe('machine.network');

export type RouteConfig = z.infer<typeof RouteSchema>;
export type DeviceSelectorConfig = z.infer<typeof DeviceSelectorSchema>;
export type BondConfig = z.infer<typeof BondSchema>;
export type BridgeConfig = z.infer<typeof BridgeSchema>;
export type VlanConfig = z.infer<typeof VlanSchema>;
export type WireguardConfig = z.infer<typeof WireguardSchema>;
export type VIPConfig = z.infer<typeof VIPSchema>;
export type DHCPOptionsConfig = z.infer<typeof DHCPOptionsSchema>;
export type DeviceConfig = z.infer<typeof DeviceSchema>;
export type KubeSpanConfig = z.infer<typeof KubeSpanSchema>;
export type NetworkConfig = z.infer<typeof NetworkSchema>;
