// Rules that look across the whole config (spec §1.1): VIPs only on control
// planes, a link in at most one bond or bridge, members without addressing,
// KubeSpan needing discovery, discovery needing the cluster identity.
import type { z } from 'zod';
import type { DeviceConfig } from './network.js';

interface Config {
  machine?: { type?: string | undefined; network?: { interfaces?: DeviceConfig[] | undefined; kubespan?: { enabled?: boolean | undefined } | undefined } | undefined } | undefined;
  cluster?: { id?: string | undefined; secret?: string | undefined; discovery?: { enabled?: boolean | undefined; registries?: { service?: { disabled?: boolean | undefined } | undefined } | undefined } | undefined } | undefined;
}

type Path = Array<string | number>;

export function crossRules(raw: unknown, ctx: z.RefinementCtx): void {
  if (typeof raw !== 'object' || raw === null) return;
  const config = raw as Config;
  const add = (path: Path, message: string) => ctx.addIssue({ code: 'custom', message, path });
  const devices = Array.isArray(config.machine?.network?.interfaces) ? config.machine!.network!.interfaces! : [];
  const at = (i: number, ...rest: Path): Path => ['machine', 'network', 'interfaces', i, ...rest];
  const type = config.machine?.type;
  const controlPlane = type === 'controlplane' || type === 'init';

  // members: link name → the bond or bridge that declares it
  const owner = new Map<string, { link: string; path: Path }>();
  devices.forEach((d, i) => {
    if (typeof d !== 'object' || d === null || d.ignore === true) return;
    const link = d.interface ?? `interfaces[${i}]`;
    const members: Array<[string, Path]> = [];
    d.bond?.interfaces?.forEach((m, j) => members.push([m, at(i, 'bond', 'interfaces', j)]));
    d.bridge?.interfaces?.forEach((m, j) => members.push([m, at(i, 'bridge', 'interfaces', j)]));
    for (const [member, path] of members) {
      if (typeof member !== 'string') continue;
      const other = owner.get(member);
      if (other && other.link !== link) add(path, `interface "${member}" is declared as part of two separate links: "${other.link}" and "${link}"`);
      else owner.set(member, { link, path });
    }
  });
  devices.forEach((d, i) => {
    if (typeof d !== 'object' || d === null || d.ignore === true) return;
    if (d.bridgePort?.master !== undefined && d.interface !== undefined) {
      const other = owner.get(d.interface);
      if (other && other.link !== d.bridgePort.master) {
        add(at(i, 'bridgePort', 'master'), `interface "${d.interface}" is declared as part of two separate links: "${other.link}" and "${d.bridgePort.master}"`);
      }
    }
    const member = (d.interface !== undefined && owner.has(d.interface)) || d.bridgePort !== undefined;
    if (member) {
      for (const field of ['dhcp', 'cidr', 'addresses', 'vip'] as const) {
        const v = d[field];
        if (v === undefined || v === false || (Array.isArray(v) && v.length === 0)) continue;
        add(at(i, field), `"${d.interface}" is a bond or bridge member: members must not have addressing (${field}); configure it on the bond or bridge`);
      }
    }
    if (!controlPlane) {
      const why = type === undefined ? 'machine.type is not set (a VIP needs machine.type: controlplane)' : `this is a ${type} node`;
      if (d.vip !== undefined) add(at(i, 'vip'), `virtual (shared) IP is not allowed on non-controlplane nodes: ${why}`);
      d.vlans?.forEach((v, j) => {
        if (v?.vip !== undefined) add(at(i, 'vlans', j, 'vip'), `virtual (shared) IP is not allowed on non-controlplane nodes: ${why}`);
      });
    }
  });

  const kubespan = config.machine?.network?.kubespan;
  const discovery = config.cluster?.discovery;
  if (kubespan?.enabled === true) {
    if (discovery?.enabled !== true) add(['machine', 'network', 'kubespan', 'enabled'], 'KubeSpan needs cluster discovery: set cluster.discovery.enabled: true');
  }
  if (discovery?.enabled === true && discovery.registries?.service?.disabled !== true) {
    if (!config.cluster?.id) add(['cluster', 'discovery'], 'the discovery service registry needs cluster.id');
    if (!config.cluster?.secret) add(['cluster', 'discovery'], 'the discovery service registry needs cluster.secret');
  }
}
