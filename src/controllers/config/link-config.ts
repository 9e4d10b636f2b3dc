// LinkSpecs per layer: `lo` up (default); links from the kernel command line
// (ip= devices up, bond=, vlan=); machine config devices (configuration):
// physical links, bonds and bridges with their members, VLANs, WireGuard and
// dummy links. Ignored links get nothing at any layer.
import { parseDuration } from '../../config/durations.js';
import { vlanLinkName } from '../../config/cmdline.js';
import type { BondConfig, DeviceConfig } from '../../config/schema.js';
import { NS } from '../../resources/resource.js';
import { layeredId } from '../../resources/network/ids.js';
import { T, type BondMasterSpec, type ConfigLayer, type LinkSpec } from '../../resources/network/types.js';
import type { Controller, ReconcileContext } from '../../runtime/controller.js';
import { linkRule } from '../merge/rules.js';
import { syncOutputs } from '../sync.js';
import { CmdlineInput, cmdline, ignoredLinks } from './cmdline.js';
import { DeviceConfigInput, MachineConfigInput, configuredDevices, ignoredInConfig, machineConfig } from './machine-config.js';
import { DocumentsInput, configContainer } from './documents.js';
import { applyLinkDocuments } from './link-documents.js';

export function physicalLink(name: string, layer: ConfigLayer, mtu = 0): LinkSpec {
  return { name, logical: false, up: true, mtu, kind: '', type: 'ether', layer };
}

const FAIL_OVER_MAC_NAMES = ['none', 'active', 'follow'];

/** Bond settings as given (empty enums become Talos's first value; numbers 0 mean "kernel default"). */
export function bondMaster(b: BondConfig): BondMasterSpec {
  const failOverMac = typeof b.failOverMac === 'number' ? (FAIL_OVER_MAC_NAMES[b.failOverMac] ?? 'none') : b.failOverMac || 'none';
  return {
    mode: b.mode || 'balance-rr',
    xmitHashPolicy: b.xmitHashPolicy || 'layer2',
    lacpRate: b.lacpRate || 'slow',
    arpValidate: b.arpValidate || 'none',
    arpAllTargets: b.arpAllTargets || 'any',
    primary: b.primary ?? '',
    primaryReselect: b.primaryReselect || 'always',
    failOverMac,
    adSelect: b.adSelect || 'stable',
    miimon: b.miimon ?? 0,
    updelay: b.updelay ?? 0,
    downdelay: b.downdelay ?? 0,
    arpInterval: b.arpInterval ?? 0,
    resendIgmp: b.resendIgmp ?? 0,
    minLinks: b.minLinks ?? 0,
    lpInterval: b.lpInterval ?? 0,
    packetsPerSlave: b.packetsPerSlave ?? 0,
    numPeerNotif: b.numPeerNotif ?? 0,
    tlbDynamicLb: b.tlbDynamicLb ?? 0,
    allSlavesActive: b.allSlavesActive ?? 0,
    useCarrier: b.useCarrier ?? true,
    adActorSysPrio: b.adActorSysPrio ?? 0,
    adUserPortKey: b.adUserPortKey ?? 0,
    peerNotifyDelay: b.peerNotifyDelay ?? 0,
  };
}

/** The links one device block declares (itself, its members, its VLANs). */
export function deviceLinks(device: DeviceConfig & { interface: string }, layer: ConfigLayer): LinkSpec[] {
  const name = device.interface;
  const out: LinkSpec[] = [];
  const self = physicalLink(name, layer, device.mtu ?? 0);
  if (device.bond) {
    out.push({ ...self, logical: true, kind: 'bond', bondMaster: bondMaster(device.bond) });
    device.bond.interfaces?.forEach((member, slaveIndex) => out.push({ ...physicalLink(member, layer), bondSlave: { masterName: name, slaveIndex } }));
  } else if (device.bridge) {
    out.push({
      ...self,
      logical: true,
      kind: 'bridge',
      bridgeMaster: { stp: { enabled: device.bridge.stp?.enabled ?? false }, vlan: { filteringEnabled: device.bridge.vlan?.vlanFiltering ?? false } },
    });
    for (const member of device.bridge.interfaces ?? []) out.push({ ...physicalLink(member, layer), bridgeSlave: { masterName: name } });
  } else if (device.wireguard) {
    const wg = device.wireguard;
    out.push({
      ...self,
      logical: true,
      kind: 'wireguard',
      type: 'nohdr',
      wireguard: {
        privateKey: wg.privateKey,
        listenPort: wg.listenPort ?? 0,
        firewallMark: wg.firewallMark ?? 0,
        peers: (wg.peers ?? []).map((p) => ({
          publicKey: p.publicKey,
          presharedKey: '',
          endpoint: p.endpoint ?? '',
          persistentKeepaliveIntervalMs: p.persistentKeepaliveInterval ? (parseDuration(p.persistentKeepaliveInterval) ?? 0) : 0,
          allowedIPs: p.allowedIPs ?? [],
        })),
      },
    });
  } else if (device.dummy === true) {
    out.push({ ...self, logical: true, kind: 'dummy' });
  } else {
    out.push(device.bridgePort ? { ...self, bridgeSlave: { masterName: device.bridgePort.master } } : self);
  }
  for (const vlan of device.vlans ?? []) {
    out.push({
      ...physicalLink(vlanLinkName(name, vlan.vlanId), layer, vlan.mtu ?? 0),
      logical: true,
      kind: 'vlan',
      parentName: name,
      vlan: { vlanID: vlan.vlanId, vlanProtocol: '802.1q' },
    });
  }
  return out;
}

export class LinkConfigController implements Controller {
  readonly name = 'LinkConfigController';
  readonly inputs = [MachineConfigInput, CmdlineInput, DeviceConfigInput, DocumentsInput];
  readonly outputs = [{ namespace: NS.networkConfig, type: T.LinkSpec, kind: 'shared' as const }];

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const config = machineConfig(ctx);
    const ignored = ignoredLinks(ctx, ignoredInConfig(config));
    const desired = new Map<string, LinkSpec>();
    const add = (spec: LinkSpec): void => {
      if (ignored.has(spec.name)) return;
      spec.source ??= spec.layer === 'configuration' ? 'v1alpha1' : spec.layer;
      const id = layeredId(spec.layer, spec.name);
      const previous = desired.get(id);
      // the same link in several blocks of one layer: later non-zero fields win, as across layers
      desired.set(id, previous ? linkRule.merge(previous, spec) : spec);
    };
    add({ ...physicalLink('lo', 'default'), type: 'loopback' });
    const cmd = cmdline(ctx);
    for (const name of cmd?.configuredLinks ?? []) add(physicalLink(name, 'cmdline'));
    for (const bond of cmd?.bonds ?? []) {
      add({ ...physicalLink(bond.name, 'cmdline', bond.mtu ?? 0), logical: true, kind: 'bond', bondMaster: bondMaster({ mode: bond.mode as BondConfig['mode'] }) });
      bond.slaves.forEach((slave, slaveIndex) => add({ ...physicalLink(slave, 'cmdline'), bondSlave: { masterName: bond.name, slaveIndex } }));
    }
    for (const vlan of cmd?.vlans ?? []) {
      add({ ...physicalLink(vlan.name, 'cmdline'), logical: true, kind: 'vlan', parentName: vlan.parent, vlan: { vlanID: vlan.vlanId, vlanProtocol: '802.1q' } });
    }
    for (const { device } of configuredDevices(ctx)) for (const spec of deviceLinks(device, 'configuration')) add(spec);
    // documents after the v1alpha1 devices, on the same entries (not filtered by `ignore`)
    const configured = new Map<string, LinkSpec>();
    for (const spec of desired.values()) if (spec.layer === 'configuration') configured.set(spec.name, { ...spec });
    applyLinkDocuments(configured, configContainer(ctx));
    for (const spec of configured.values()) desired.set(layeredId('configuration', spec.name), spec);
    syncOutputs(ctx, this.name, NS.networkConfig, T.LinkSpec, desired);
  }
}
