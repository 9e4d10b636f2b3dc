// Rules that look across the whole config (spec §1.1): VIPs only on control
// planes, a link in at most one bond or bridge, members without addressing,
// discovery needing the cluster identity.
import type { z } from 'zod';
import type { DeviceConfig } from './network.js';
import { MACHINE_TYPES } from './machine.js';

interface Config {
  machine?: { type?: string | undefined; network?: { interfaces?: DeviceConfig[] | undefined; kubespan?: { enabled?: boolean | undefined } | undefined } | undefined } | undefined;
  cluster?: { id?: string | undefined; secret?: string | undefined; discovery?: { enabled?: boolean | undefined; registries?: { service?: { disabled?: boolean | undefined } | undefined } | undefined } | undefined } | undefined;
}

type Path = Array<string | number>;

const arr = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);
const obj = (v: unknown): Record<string, unknown> | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);

/** Runs on the raw document (it may be of any shape when other rules fail): every access is guarded. */
export function crossRules(raw: unknown, ctx: z.RefinementCtx): void {
  if (typeof raw !== 'object' || raw === null) return;
  const config = raw as Config;
  const add = (path: Path, message: string) => ctx.addIssue({ code: 'custom', message, path });
  const devices = arr<DeviceConfig>(obj(obj(obj(config)?.machine)?.network)?.interfaces);
  const at = (i: number, ...rest: Path): Path => ['machine', 'network', 'interfaces', i, ...rest];
  const type = typeof obj(config.machine)?.type === 'string' ? (obj(config.machine)!.type as string) : undefined;
  const controlPlane = type === 'controlplane' || type === 'init';

  // members: link name → the bond or bridge that declares it
  const owner = new Map<string, { link: string; path: Path }>();
  devices.forEach((d, i) => {
    if (!obj(d) || d.ignore === true) return;
    const link = typeof d.interface === 'string' ? d.interface : `interfaces[${i}]`;
    const members: Array<[string, Path]> = [];
    arr<string>(obj(d.bond)?.interfaces).forEach((m, j) => members.push([m, at(i, 'bond', 'interfaces', j)]));
    arr<string>(obj(d.bridge)?.interfaces).forEach((m, j) => members.push([m, at(i, 'bridge', 'interfaces', j)]));
    for (const [member, path] of members) {
      if (typeof member !== 'string') continue;
      const other = owner.get(member);
      if (other && other.link !== link) add(path, `interface "${member}" is declared as part of two separate links: "${other.link}" and "${link}"`);
      else owner.set(member, { link, path });
    }
  });
  devices.forEach((d, i) => {
    if (!obj(d) || d.ignore === true) return;
    const master = obj(d.bridgePort)?.master;
    if (typeof master === 'string' && typeof d.interface === 'string') {
      const other = owner.get(d.interface);
      if (other && other.link !== master) {
        add(at(i, 'bridgePort', 'master'), `interface "${d.interface}" is declared as part of two separate links: "${other.link}" and "${master}"`);
      }
    }
    const member = (typeof d.interface === 'string' && owner.has(d.interface)) || d.bridgePort !== undefined;
    if (member) {
      for (const field of ['dhcp', 'cidr', 'addresses', 'vip'] as const) {
        const v = (d as Record<string, unknown>)[field];
        if (v === undefined || v === false || (Array.isArray(v) && v.length === 0)) continue;
        const who = typeof d.interface === 'string' ? `"${d.interface}"` : 'this device';
        add(at(i, field), `${who} is a bond or bridge member: members must not have addressing (${field}); configure it on the bond or bridge`);
      }
    }
    // an unknown machine type is reported on its own; do not pile a VIP error on top
    if (!controlPlane && (type === undefined || (MACHINE_TYPES as readonly string[]).includes(type))) {
      const why = type === undefined ? 'machine.type is not set (a VIP needs machine.type: controlplane)' : `this is a ${type} node`;
      if (d.vip !== undefined) add(at(i, 'vip'), `virtual (shared) IP is not allowed on non-controlplane nodes: ${why}`);
      arr<unknown>(d.vlans).forEach((v, j) => {
        if (obj(v)?.vip !== undefined) add(at(i, 'vlans', j, 'vip'), `virtual (shared) IP is not allowed on non-controlplane nodes: ${why}`);
      });
    }
  });

  const cluster = obj(config.cluster);
  const discovery = obj(cluster?.discovery);
  // KubeSpan needing discovery is a whole-config check: a DiscoveryServiceConfig document counts (documents/assemble.ts)
  if (discovery?.enabled === true && obj(obj(discovery.registries)?.service)?.disabled !== true) {
    if (!cluster?.id) add(['cluster', 'discovery'], 'the discovery service registry needs cluster.id');
    if (!cluster?.secret) add(['cluster', 'discovery'], 'the discovery service registry needs cluster.secret');
  }
}
