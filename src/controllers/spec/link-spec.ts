// LinkSpecController: makes kernel links match the merged LinkSpecs (Talos
// §3). Logical links (bond, bridge, VLAN, WireGuard, dummy) are created, kept
// in sync and, when their spec goes away, deleted, but only when netcfg
// created them: a link of the same name that netcfg did not create is never
// touched. Physical links get up/MTU and their bond or bridge master; when
// their spec goes away, what netcfg changed is put back.
import { IFF_MULTICAST, IFF_UP } from '../../netlink/rtnetlink/constants.js';
import type { VethData } from '../../netlink/rtnetlink/drivers/veth.js';
import type { VrfData } from '../../netlink/rtnetlink/drivers/vrf.js';
import { deleteLinkRequest, newLinkRequest, setLinkRequest, type LinkChange, type LinkMessage } from '../../netlink/rtnetlink/link.js';
import type { BondData } from '../../netlink/rtnetlink/drivers/bond.js';
import type { BridgeData } from '../../netlink/rtnetlink/drivers/bridge.js';
import type { VlanData } from '../../netlink/rtnetlink/drivers/vlan.js';
import type { Request } from '../../netlink/connection.js';
import { ipFamily } from '../../net/ip.js';
import { NS, type Resource } from '../../resources/resource.js';
import { T, type AppliedLink, type LinkSpec, type WireguardSpec } from '../../resources/network/types.js';
import { ReconcileErrors, type Controller, type ReconcileContext } from '../../runtime/controller.js';
import { LinkIndex, type Kernel } from '../kernel.js';
import type { LinkReads } from './own-writes.js';
import { runOperations, type Operation } from '../outcomes.js';
import { finishUndo, hold, keep, partition } from './applied.js';
import { bondAttributes, bondDifferences, bondModeName, bridgeData, joinEndpoint, splitEndpoint, vlanData, vrfData, wireguardDelta } from './link-kinds.js';
import { compareText } from '../../util/compare.js';
import { lazy } from '../../util/lazy.js';

/** node:dns, loaded when a WireGuard peer's endpoint first names a host (most hosts never do). */
const dns = lazy<typeof import('node:dns/promises')>('node:dns/promises');

function isUp(link: LinkMessage): boolean {
  return (link.flags & IFF_UP) !== 0;
}

function describe(link: LinkMessage, change: LinkChange): string {
  const parts: string[] = [];
  if (change.mtu !== undefined) parts.push(`mtu ${link.mtu} → ${change.mtu}`);
  if (change.up !== undefined) parts.push(change.up ? 'down → up' : 'up → down');
  if (change.multicast !== undefined) parts.push(change.multicast ? 'multicast off → on' : 'multicast on → off');
  return parts.join(', ');
}

function masterName(spec: LinkSpec): string {
  return spec.bondSlave?.masterName ?? spec.bridgeSlave?.masterName ?? spec.vrfSlave?.masterName ?? '';
}

function isMulticast(link: LinkMessage): boolean {
  return (link.flags & IFF_MULTICAST) !== 0;
}

/** Masters first, then their members in slave order (Talos SortLinks), VLANs after their parents. */
export function linkOrder(specs: ReadonlyArray<Resource<LinkSpec>>): Array<Resource<LinkSpec>> {
  const key = (s: LinkSpec): [string, number, string] => {
    if (s.bondSlave) return [s.bondSlave.masterName, s.bondSlave.slaveIndex + 1, s.name];
    if (s.bridgeSlave) return [s.bridgeSlave.masterName, 1, s.name];
    if (s.vrfSlave) return [s.vrfSlave.masterName, 1, s.name];
    return [s.parentName ? `${s.parentName}\u0000` : s.name, 0, s.name];
  };
  return [...specs].sort((a, b) => {
    const [a1, a2, a3] = key(a.spec);
    const [b1, b2, b3] = key(b.spec);
    return compareText(a1, b1) || a2 - b2 || compareText(a3, b3);
  });
}

/** Settings a logical link is created with (its kind's IFLA_INFO_DATA). */
function kindData(spec: LinkSpec, links: LinkIndex): unknown {
  if (spec.kind === 'bond' && spec.bondMaster) return bondAttributes(spec.bondMaster, links.resolve(spec.bondMaster.primary)?.index);
  if (spec.kind === 'bridge') return bridgeData(spec);
  if (spec.kind === 'vlan') return vlanData(spec);
  if (spec.kind === 'vrf') return vrfData(spec);
  // a veth is created with its peer
  if (spec.kind === 'veth') return { peerName: spec.veth?.peerName ?? '' } satisfies VethData;
  return undefined;
}

/** Why an existing logical link cannot be kept (it must be recreated), or undefined. */
function mismatch(spec: LinkSpec, link: LinkMessage, links: LinkIndex): string | undefined {
  const kind = link.info?.kind ?? '';
  if (kind !== spec.kind) return `kind ${kind || 'none'} → ${spec.kind}`;
  if (spec.kind === 'vlan') {
    const want = vlanData(spec);
    const have = link.info?.data as VlanData | undefined;
    if (have?.id !== want.id || have.protocol !== want.protocol) return `VLAN ${have?.id}/${have?.protocol.toString(16)} → ${want.id}/${want.protocol.toString(16)}`;
    const parent = spec.parentName ? links.resolve(spec.parentName) : undefined;
    if (parent && link.linkIndex !== parent.index) return `parent ${links.nameOf(link.linkIndex ?? 0) || '?'} → ${parent.name}`;
  }
  if (spec.kind === 'vrf') {
    const have = (link.info?.data as VrfData | undefined)?.table;
    if (have !== vrfData(spec).table) return `VRF table ${have ?? '?'} → ${vrfData(spec).table}`;
  }
  if (spec.kind === 'veth' && spec.veth?.peerName) {
    const peer = links.exact(spec.veth.peerName);
    if (!peer || peer.index !== link.linkIndex) return `veth peer ${links.nameOf(link.linkIndex ?? 0) || '?'} → ${spec.veth.peerName}`;
  }
  return undefined;
}

async function resolveEndpoints(spec: WireguardSpec): Promise<WireguardSpec> {
  const peers = await Promise.all(
    spec.peers.map(async (p) => {
      const e = splitEndpoint(p.endpoint);
      if (!e || ipFamily(e.host)) return p;
      const { address } = await dns().lookup(e.host);
      return { ...p, endpoint: joinEndpoint(address, e.port) };
    }),
  );
  return { ...spec, peers };
}

export class LinkSpecController implements Controller {
  readonly name = 'LinkSpecController';
  readonly bootPath = true;
  // AppliedAlias: a link got the alias config names it by
  // woken by link changes through the statuses (a link that appears, drift), and reads the links
  // there; it lists them itself only to read its own writes back within a pass (a bond before its
  // members), or when it wrote since the statuses last listed them
  readonly inputs = [
    { namespace: NS.network, type: T.LinkSpec },
    { namespace: NS.network, type: T.LinkStatus },
    { namespace: NS.state, type: T.AppliedAlias },
  ];
  readonly outputs = [{ namespace: NS.state, type: T.AppliedLink, kind: 'exclusive' as const }];
  readonly after = ['LinkStatusController'];

  /** `reads`: the links as the link statuses listed them (its own, for this controller alone). */
  constructor(
    private readonly kernel: Kernel,
    private readonly reads: LinkReads,
  ) {}

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const { running, undo, record } = partition<LinkSpec, AppliedLink>(ctx, T.LinkSpec, T.AppliedLink);
    const errors: Error[] = [];
    let links = await this.reads.links();
    /** Its own writes, read back within the pass. */
    const relist = async () => {
      links = new LinkIndex(await this.kernel.listLinks());
    };
    /** Runs requests in order, stopping at the first failure; true when all succeeded. */
    const run = async (requests: Request[]): Promise<boolean> => {
      if (ctx.dryRun || requests.length === 0) return true;
      this.reads.wrote();
      let ok = true;
      await runOperations(this.kernel, [{ requests, ok: () => {}, failed: (err) => ((ok = false), errors.push(err)) }]);
      return ok;
    };

    // 1. undo what netcfg did for specs that are gone
    for (const { id, record: rec, tearingDown } of undo) {
      if (!rec) {
        finishUndo(ctx, T.LinkSpec, T.AppliedLink, id, tearingDown);
        continue;
      }
      const link = rec.logical ? links.exact(rec.name) : links.resolve(rec.name);
      if (rec.logical) {
        if (rec.created && link && (link.info?.kind ?? '') === rec.kind) {
          if (!(await run([deleteLinkRequest(link.index, link.name)]))) continue;
          ctx.changes.record({ action: 'remove', kind: 'link', id: rec.name, detail: `delete ${rec.kind} link` });
        }
        finishUndo(ctx, T.LinkSpec, T.AppliedLink, id, tearingDown);
        continue;
      }
      const change: LinkChange = {};
      const parts: string[] = [];
      if (link) {
        const { original, set } = rec;
        if (set.master !== undefined && set.master !== '' && link.masterIndex !== undefined && links.nameOf(link.masterIndex) === set.master) {
          const back = original.master ? (links.exact(original.master)?.index ?? 0) : 0;
          change.master = back;
          parts.push(`release from ${set.master}`);
        }
        if (set.mtu !== undefined && original.mtu !== undefined && link.mtu === set.mtu && original.mtu !== set.mtu) change.mtu = original.mtu;
        if (set.up !== undefined && original.up !== undefined && isUp(link) === set.up && original.up !== set.up) change.up = original.up;
        if (set.multicast !== undefined && original.multicast !== undefined && isMulticast(link) === set.multicast && original.multicast !== set.multicast) change.multicast = original.multicast;
      }
      if (link && Object.keys(change).length > 0) {
        if (!(await run([setLinkRequest(link.index, link.name, change)]))) continue;
        ctx.changes.record({ action: 'remove', kind: 'link', id, detail: `restore ${[...parts, describe(link, change)].filter(Boolean).join(', ')}` });
      }
      finishUndo(ctx, T.LinkSpec, T.AppliedLink, id, tearingDown);
    }
    if (undo.length > 0 && !ctx.dryRun) await relist();

    const ordered = linkOrder(running);
    for (const r of ordered) hold(ctx, this.name, T.LinkSpec, r);

    // 2. logical links: create what is missing, recreate netcfg's own links whose kind or VLAN settings changed
    let created = false;
    /** veth ends created with their peer in this pass. */
    const createdWithPeer = new Set<string>();
    for (const r of ordered) {
      const spec = r.spec;
      if (!spec.logical) continue;
      const id = r.metadata.id;
      if (createdWithPeer.has(spec.name)) continue;
      const previous = record(id);
      const existing = links.exact(spec.name);
      if (existing && !existing.info?.kind) {
        ctx.changes.wait(`link/${spec.name}`, `link ${spec.name}: a physical link has this name; netcfg does not turn it into a ${spec.kind} link`);
        continue;
      }
      if (existing) {
        const why = mismatch(spec, existing, links);
        if (!why) {
          if (!previous) errors.push(new Error(`link ${spec.name} exists as a ${existing.info?.kind} link that netcfg did not create; netcfg does not take it over (delete it or rename the config entry)`));
          continue;
        }
        if (!previous?.created) {
          errors.push(new Error(`link ${spec.name} exists (${why}) and was not created by netcfg; netcfg does not replace it`));
          continue;
        }
        if (!(await run([deleteLinkRequest(existing.index, existing.name)]))) continue;
        ctx.changes.record({ action: 'remove', kind: 'link', id: spec.name, detail: `delete to recreate: ${why}` });
      }
      let parentIndex: number | undefined;
      if (spec.kind === 'vlan') {
        const parent = spec.parentName ? links.resolve(spec.parentName) : undefined;
        if (!parent) {
          ctx.changes.wait(`link/${spec.name}`, `link ${spec.name}: parent ${spec.parentName ?? '?'} is not present`);
          continue;
        }
        parentIndex = parent.index;
      }
      const data = kindData(spec, links);
      keep(ctx, T.AppliedLink, id, { name: spec.name, logical: true, created: true, kind: spec.kind, original: {}, set: {} } satisfies AppliedLink);
      if (!ctx.dryRun) await ctx.flushState();
      const request = newLinkRequest({ name: spec.name, kind: spec.kind, ...(data !== undefined ? { data } : {}), ...(spec.mtu ? { mtu: spec.mtu } : {}), ...(parentIndex !== undefined ? { parentIndex } : {}), ...(spec.hardwareAddr ? { hardwareAddr: spec.hardwareAddr } : {}) });
      if (!(await run([request]))) {
        if (!ctx.dryRun && !previous) ctx.destroy(NS.state, T.AppliedLink, id);
        continue;
      }
      ctx.changes.record({
        action: 'add',
        kind: 'link',
        id: spec.name,
        detail: `create ${spec.kind}${spec.kind === 'bond' ? ` (${spec.bondMaster?.mode ?? 'balance-rr'})` : spec.kind === 'vlan' ? ` ${spec.vlan?.vlanID} on ${spec.parentName}` : spec.kind === 'vrf' ? ` table ${spec.vrfMaster?.table}` : spec.kind === 'veth' ? ` with peer ${spec.veth?.peerName}` : ''}`,
      });
      if (spec.kind === 'veth' && spec.veth?.peerName) {
        // the peer exists now too, and is netcfg's
        const peer = spec.veth.peerName;
        createdWithPeer.add(peer);
        if (running.some((x) => x.metadata.id === peer)) keep(ctx, T.AppliedLink, peer, { name: peer, logical: true, created: true, kind: 'veth', original: {}, set: {} } satisfies AppliedLink);
      }
      created = true;
      if (!ctx.dryRun) await relist();
    }
    if (created && !ctx.dryRun) await relist();

    // 3. settings of every link, masters before their members
    /** d. up, MTU and multicast of every link: sent together once the loop is done. */
    const settings: Operation[] = [];
    for (const r of ordered) {
      const spec = r.spec;
      const id = r.metadata.id;
      const link = spec.logical ? links.exact(spec.name) : links.resolve(spec.name);
      if (!link) {
        if (!spec.logical || !ctx.dryRun) {
          ctx.changes.wait(`link/${spec.name}`, spec.logical ? `link ${spec.name} could not be created yet` : `link ${spec.name} is not present; it is configured when it appears`);
          ctx.requeueAfter(5000);
        }
        continue;
      }
      if (spec.logical && !link.info?.kind) continue;
      if (spec.logical && !record(id)?.created && !ctx.dryRun) continue; // someone else's link (reported above)
      const previous = record(id);
      const rec: AppliedLink = previous ? { ...previous, original: { ...previous.original }, set: { ...previous.set } } : { name: spec.name, logical: false, created: false, original: {}, set: {} };
      const recordLink = (): void => {
        if (spec.logical) keep(ctx, T.AppliedLink, id, { ...rec, logical: true, created: true, kind: spec.kind });
        else keep(ctx, T.AppliedLink, id, rec);
      };
      // the record (what the link had before netcfg) reaches the state file before the kernel changes:
      // killed right after the change, the next run still knows what to put back
      const writeAhead = async (): Promise<void> => {
        recordLink();
        if (!ctx.dryRun) await ctx.flushState();
      };

      // a. bond and bridge settings: some can only change while the master is down and has no members
      if (spec.logical && (spec.kind === 'bond' || spec.kind === 'bridge')) {
        let diff: string[] = [];
        let data: BondData | BridgeData;
        if (spec.kind === 'bond' && spec.bondMaster) {
          const primary = links.resolve(spec.bondMaster.primary); // a member: by name, alias or altname
          data = bondAttributes(spec.bondMaster, primary?.index);
          diff = bondDifferences(data, link.info?.data as BondData | undefined, primary?.masterIndex === link.index);
        } else {
          data = bridgeData(spec);
          const have = link.info?.data as BridgeData | undefined;
          if (have?.stp !== data.stp) diff.push(`stp ${have?.stp} → ${data.stp}`);
          if (have?.vlanFiltering !== data.vlanFiltering) diff.push(`vlan filtering ${have?.vlanFiltering} → ${data.vlanFiltering}`);
        }
        if (diff.length > 0) {
          const members = links.links.filter((l) => l.masterIndex === link.index);
          const requests: Request[] = [setLinkRequest(link.index, link.name, { up: false })];
          for (const m of members) requests.push(setLinkRequest(m.index, m.name, { master: 0 }));
          requests.push(setLinkRequest(link.index, link.name, { info: { kind: spec.kind, data } }));
          if (!(await run(requests))) continue;
          const mode = spec.kind === 'bond' ? ` (${bondModeName(link.info?.data as BondData | undefined)})` : '';
          ctx.changes.record({ action: 'change', kind: 'link', id: spec.name, detail: `${spec.kind}${mode} settings: ${diff.join(', ')}${members.length ? `; members ${members.map((m) => m.name).join(', ')} released and re-added` : ''}` });
          if (!ctx.dryRun) {
            await relist();
            const again = links.exact(spec.name);
            if (!again) continue;
          }
        }
      }

      // b. WireGuard
      if (spec.logical && spec.kind === 'wireguard' && spec.wireguard) {
        const wg = this.kernel.wireguard?.();
        if (!wg) {
          errors.push(new Error(`link ${spec.name}: no WireGuard access to configure it`));
        } else {
          try {
            const want = await resolveEndpoints(spec.wireguard);
            const device = (await wg.getDevice(spec.name)) ?? { privateKey: '', publicKey: '', listenPort: 0, firewallMark: 0, peers: [] };
            const delta = wireguardDelta(want, device);
            if (delta) {
              if (!ctx.dryRun) await wg.setDevice(spec.name, delta.change);
              ctx.changes.record({ action: 'change', kind: 'wireguard', id: spec.name, detail: delta.summary.join(', ') });
            }
          } catch (err) {
            errors.push(err instanceof Error ? err : new Error(String(err)));
          }
        }
      }

      // c. master (bond or bridge membership): the link goes down first, then back up
      const current = links.index(link.index) ?? link;
      const wantMaster = masterName(spec);
      const wantIndex = wantMaster ? (links.exact(wantMaster)?.index ?? 0) : 0;
      if (wantMaster && wantIndex === 0) ctx.changes.wait(`link/${spec.name}/master`, `link ${spec.name}: master ${wantMaster} is not present yet`);
      const haveIndex = current.masterIndex ?? 0;
      let masterChanged = false;
      if (wantMaster && wantIndex !== 0 && haveIndex !== wantIndex) {
        if (rec.set.master === undefined) rec.original.master = haveIndex ? links.nameOf(haveIndex) : '';
        rec.set.master = wantMaster;
        if (rec.original.up === undefined) rec.original.up = isUp(current);
        const requests: Request[] = [setLinkRequest(current.index, current.name, { up: false }), setLinkRequest(current.index, current.name, { master: wantIndex })];
        await writeAhead();
        if (!(await run(requests))) continue;
        ctx.changes.record({ action: 'change', kind: 'link', id, detail: `master ${haveIndex ? links.nameOf(haveIndex) : '-'} → ${wantMaster}` });
        masterChanged = true;
      } else if (!wantMaster && rec.set.master) {
        // no longer a member: release it if it is still in the master netcfg put it in
        if (haveIndex !== 0 && links.nameOf(haveIndex) === rec.set.master) {
          if (!(await run([setLinkRequest(current.index, current.name, { master: 0 })]))) continue;
          ctx.changes.record({ action: 'change', kind: 'link', id, detail: `master ${rec.set.master} → -` });
        }
        delete rec.set.master;
        delete rec.original.master;
      }

      // d. up and MTU
      const now = masterChanged ? { ...current, flags: current.flags & ~IFF_UP } : current;
      const change: LinkChange = {};
      // what netcfg put back is forgotten only once the kernel has it (a kill in between still knows the original)
      const forget: Array<() => void> = [];
      if (spec.up !== isUp(now)) {
        change.up = spec.up;
        rec.original.up ??= isUp(current);
        rec.set.up = spec.up;
      }
      if (spec.mtu !== 0 && spec.mtu !== now.mtu) {
        change.mtu = spec.mtu;
        rec.original.mtu ??= now.mtu;
        rec.set.mtu = spec.mtu;
      } else if (spec.mtu === 0 && rec.set.mtu !== undefined) {
        // the MTU is no longer configured: put back what was there before netcfg
        if (now.mtu === rec.set.mtu && rec.original.mtu !== undefined && rec.original.mtu !== now.mtu) change.mtu = rec.original.mtu;
        forget.push(() => {
          delete rec.set.mtu;
          delete rec.original.mtu;
        });
      }
      if (spec.multicast !== undefined && spec.multicast !== isMulticast(now)) {
        change.multicast = spec.multicast;
        rec.original.multicast ??= isMulticast(now);
        rec.set.multicast = spec.multicast;
      } else if (spec.multicast === undefined && rec.set.multicast !== undefined) {
        // no longer configured: put back what was there before netcfg
        if (isMulticast(now) === rec.set.multicast && rec.original.multicast !== undefined && rec.original.multicast !== rec.set.multicast) change.multicast = rec.original.multicast;
        forget.push(() => {
          delete rec.set.multicast;
          delete rec.original.multicast;
        });
      }
      if (Object.keys(change).length > 0) {
        // written ahead with the others below: one state save and one batch for every link's up/MTU change
        recordLink();
        const detail = describe(now, change);
        settings.push({
          requests: [setLinkRequest(now.index, now.name, change)],
          ok: () => {
            // a member's "down → up" after (re)joining its master is part of that change, not news
            if (!masterChanged || change.mtu !== undefined) ctx.changes.record({ action: 'change', kind: 'link', id, detail });
            for (const f of forget) f();
            recordLink();
          },
          failed: (err) => errors.push(err),
        });
        continue;
      }
      for (const f of forget) f();
      recordLink();
    }
    // d, for every link at once, in link order (a parent's MTU before its VLAN's): the records first
    if (settings.length > 0) {
      if (ctx.dryRun) for (const op of settings) op.ok();
      else {
        await ctx.flushState();
        this.reads.wrote();
        await runOperations(this.kernel, settings);
      }
    }
    if (errors.length > 0) throw new ReconcileErrors(errors);
  }
}
