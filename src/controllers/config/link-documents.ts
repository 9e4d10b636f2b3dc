// Link documents → LinkSpecs at the configuration layer (talos-multidoc.md
// §2.2): one entry per link name, v1alpha1 devices first, then each document
// in file order overwriting field by field (up — default true —, MTU if set,
// hardware address set or cleared, multicast if set, and the kind's fields).
// Members of bonds, bridges and VRFs get an entry (up if new) with their
// master; a veth's peer gets its own entry. A DHCP document's link that nothing
// else configures is brought up.
import type { ConfigContainer, LinkDocument } from '../../config/container.js';
import type { CommonLinkConfig } from '../../config/documents/common.js';
import { goDurationMs } from '../../config/durations.js';
import { formatHwaddr } from '../../config/documents/values.js';
import type { BondConfigSpec } from '../../config/documents/kinds/bond.js';
import type { BondMasterSpec, LinkSpec } from '../../resources/network/types.js';
import { joinSources } from '../merge/rules.js';

function entry(links: Map<string, LinkSpec>, name: string, source: string): { spec: LinkSpec; created: boolean } {
  const existing = links.get(name);
  if (existing) {
    const joined = joinSources(existing.source, source);
    if (joined !== undefined) existing.source = joined;
    return { spec: existing, created: false };
  }
  const spec: LinkSpec = { name, logical: false, up: true, mtu: 0, kind: '', type: 'ether', layer: 'configuration', source };
  links.set(name, spec);
  return { spec, created: true };
}

/** The common fields (CommonLinkConfig) onto an entry. */
function common(spec: LinkSpec, c: CommonLinkConfig, hardwareAddr: string | undefined | null): void {
  spec.up = c.up ?? true;
  if (c.mtu) spec.mtu = c.mtu;
  // kinds with a hardwareAddr field set it when given; the others clear it
  if (hardwareAddr === null) delete spec.hardwareAddr;
  else if (hardwareAddr) spec.hardwareAddr = formatHwaddr(hardwareAddr);
  if (c.multicast !== undefined) spec.multicast = c.multicast;
}

/** A member of a bond, bridge or VRF: an entry (up when new) with its master. */
function member(links: Map<string, LinkSpec>, name: string, source: string, set: (s: LinkSpec) => void): void {
  const { spec } = entry(links, name, source);
  set(spec);
}

/** BondConfig → bond settings (Talos' defaults are applied when encoding, link-kinds.ts). */
export function bondMasterOf(b: BondConfigSpec): BondMasterSpec {
  return {
    mode: b.bondMode ?? 'balance-rr',
    xmitHashPolicy: b.xmitHashPolicy ?? 'layer2',
    lacpRate: b.lacpRate ?? 'slow',
    arpValidate: b.arpValidate ?? 'none',
    arpAllTargets: b.arpAllTargets ?? 'any',
    primary: b.primary ?? '',
    primaryReselect: b.primaryReselect ?? 'always',
    failOverMac: b.failOverMac ?? 'none',
    adSelect: b.adSelect ?? 'stable',
    miimon: b.miimon ?? 0,
    updelay: b.updelay ?? 0,
    downdelay: b.downdelay ?? 0,
    arpInterval: b.arpInterval ?? 0,
    resendIgmp: b.resendIGMP ?? 0,
    minLinks: b.minLinks ?? 0,
    lpInterval: b.lpInterval ?? 0,
    packetsPerSlave: b.packetsPerSlave ?? 0,
    numPeerNotif: b.numPeerNotif ?? 0,
    tlbDynamicLb: b.tlbLogicalLb ?? 0,
    allSlavesActive: b.allSlavesActive ?? 0,
    // the kernel (6.18+) always uses the carrier; Talos sends it on
    useCarrier: true,
    adActorSysPrio: b.adActorSysPrio ?? 0,
    adUserPortKey: b.adUserPortKey ?? 0,
    peerNotifyDelay: b.peerNotifDelay ?? 0,
  };
}

function applyDocument(links: Map<string, LinkSpec>, d: LinkDocument): void {
  const source = d.id;
  const { spec } = entry(links, d.name, source);
  switch (d.kind) {
    case 'LinkConfig':
      common(spec, d.spec, null);
      return;
    case 'DummyLinkConfig':
      common(spec, d.spec, d.spec.hardwareAddr);
      Object.assign(spec, { logical: true, kind: 'dummy', type: 'ether' });
      return;
    case 'VethConfig': {
      common(spec, d.spec, null);
      const peerName = d.spec.peer?.name ?? '';
      Object.assign(spec, { logical: true, kind: 'veth', type: 'ether', veth: { peerName } });
      const peer = entry(links, peerName, source).spec;
      common(peer, d.spec.peer ?? {}, null);
      Object.assign(peer, { logical: true, kind: 'veth', type: 'ether', veth: { peerName: d.name } });
      return;
    }
    case 'VLANConfig':
      common(spec, d.spec, null);
      Object.assign(spec, { logical: true, kind: 'vlan', type: 'ether', up: true, parentName: d.spec.parent ?? '', vlan: { vlanID: d.spec.vlanID ?? 0, vlanProtocol: d.spec.vlanMode ?? '802.1q' } });
      return;
    case 'BondConfig':
      common(spec, d.spec, d.spec.hardwareAddr);
      Object.assign(spec, { logical: true, kind: 'bond', type: 'ether', bondMaster: bondMasterOf(d.spec) });
      (d.spec.links ?? []).forEach((name, slaveIndex) => member(links, name, source, (m) => (m.bondSlave = { masterName: d.name, slaveIndex })));
      return;
    case 'BridgeConfig':
      common(spec, d.spec, d.spec.hardwareAddr);
      Object.assign(spec, {
        logical: true,
        kind: 'bridge',
        type: 'ether',
        bridgeMaster: { stp: { enabled: d.spec.stp?.enabled ?? false }, vlan: { filteringEnabled: d.spec.vlan?.filtering ?? false } },
      });
      for (const name of d.spec.links ?? []) member(links, name, source, (m) => (m.bridgeSlave = { masterName: d.name }));
      return;
    case 'VRFConfig':
      common(spec, d.spec, d.spec.hardwareAddr);
      Object.assign(spec, { logical: true, kind: 'vrf', type: 'ether', vrfMaster: { table: d.spec.table ?? 0 } });
      for (const name of d.spec.links ?? []) member(links, name, source, (m) => (m.vrfSlave = { masterName: d.name }));
      return;
    case 'WireguardConfig':
      common(spec, d.spec, null);
      Object.assign(spec, {
        logical: true,
        kind: 'wireguard',
        type: 'nohdr',
        wireguard: {
          privateKey: d.spec.privateKey ?? '',
          listenPort: d.spec.listenPort ?? 0,
          firewallMark: d.spec.firewallMark ?? 0,
          peers: (d.spec.peers ?? []).map((p) => ({
            publicKey: p.publicKey ?? '',
            presharedKey: p.presharedKey ?? '',
            endpoint: p.endpoint ?? '',
            persistentKeepaliveIntervalMs: p.persistentKeepaliveInterval ? (goDurationMs(p.persistentKeepaliveInterval) ?? 0) : 0,
            allowedIPs: p.allowedIPs ?? [],
          })),
        },
      });
      return;
  }
}

/** Applies every link document (and the DHCP documents' links) onto the configuration-layer entries by name. */
export function applyLinkDocuments(links: Map<string, LinkSpec>, c: ConfigContainer): void {
  for (const d of c.linkDocuments()) applyDocument(links, d);
  for (const d of c.ofKind('DHCPv4Config', 'DHCPv6Config')) {
    if (d.name !== '' && !links.has(d.name)) entry(links, d.name, d.id);
  }
}
