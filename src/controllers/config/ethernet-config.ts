// EthernetConfig documents → EthernetSpecs (talos-multidoc.md §3.16): one per
// document, ID = the link's name as written (Talos resolves no alias here).
// The ring flags become the numbers the kernel takes: tx-push and rx-push 0/1,
// tcp-data-split 1 (disabled) or 2 (enabled).
import { NS } from '../../resources/resource.js';
import { T, type EthernetSpec } from '../../resources/network/types.js';
import type { Controller, ReconcileContext } from '../../runtime/controller.js';
import type { ChannelName, RingName } from '../../netlink/ethtool.js';
import type { EthernetConfigSpec } from '../../config/documents/kinds/ethernet.js';
import { syncOutputs } from '../sync.js';
import { DocumentsInput, configContainer } from './documents.js';
import { MachineConfigInput } from './machine-config.js';

const TCP_DATA_SPLIT_DISABLED = 1;
const TCP_DATA_SPLIT_ENABLED = 2;

export function ethernetSpec(d: EthernetConfigSpec): EthernetSpec {
  const rings: Partial<Record<RingName, number>> = {};
  for (const [k, v] of Object.entries(d.rings ?? {}) as Array<[RingName, number | boolean | undefined]>) {
    if (v === undefined) continue;
    if (k === 'tcp-data-split') rings[k] = v ? TCP_DATA_SPLIT_ENABLED : TCP_DATA_SPLIT_DISABLED;
    else rings[k] = typeof v === 'boolean' ? Number(v) : v;
  }
  const channels: Partial<Record<ChannelName, number>> = {};
  for (const [k, v] of Object.entries(d.channels ?? {}) as Array<[ChannelName, number | undefined]>) if (v !== undefined) channels[k] = v;
  const spec: EthernetSpec = { name: d.name ?? '', features: { ...(d.features ?? {}) }, rings, channels };
  if (d.wakeOnLan !== undefined) spec.wakeOnLan = [...new Set(d.wakeOnLan)];
  return spec;
}

export class EthernetConfigController implements Controller {
  readonly name = 'EthernetConfigController';
  readonly inputs = [MachineConfigInput, DocumentsInput];
  readonly outputs = [{ namespace: NS.network, type: T.EthernetSpec, kind: 'exclusive' as const }];

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const desired = new Map<string, EthernetSpec>();
    for (const d of configContainer(ctx).ofKind('EthernetConfig')) desired.set(d.spec.name ?? '', ethernetSpec(d.spec));
    syncOutputs(ctx, this.name, NS.network, T.EthernetSpec, desired);
  }
}
