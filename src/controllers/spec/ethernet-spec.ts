// EthernetSpecController: makes a link's ethtool settings match its
// EthernetSpec, in Talos' order (rings, features, channels, Wake-on-LAN),
// through the kernel's ethtool netlink interface. Each pass reads the settings
// first and writes only what differs. A link that is not there yet is waited
// for; one that comes back (a re-created device) gets its settings again.
//
// Beyond Talos, which never undoes them: netcfg records the value each setting
// had before it first changed it, and puts those back when the spec goes. A
// feature the kernel does not turn as asked (fixed, or held by another one) is
// an error of the pass, retried like any other.
import { NS } from '../../resources/resource.js';
import { T, type AppliedEthernet, type EthernetSpec, type LinkStatus } from '../../resources/network/types.js';
import type { Change } from '../../runtime/changes.js';
import { ReconcileErrors, type Controller, type ReconcileContext } from '../../runtime/controller.js';
import type { ChannelName, EthtoolClient, RingName, WolMode } from '../../netlink/ethtool.js';
import { deepEqual } from '../../util/equal.js';
import { finishUndo, hold, keep, partition } from './applied.js';

type Numbers<K extends string> = Partial<Record<K, number>>;

/** The entries of `want` that `have` does not hold. */
function differing<K extends string>(want: Numbers<K>, have: Numbers<K>): Numbers<K> {
  const out: Numbers<K> = {};
  for (const [k, v] of Object.entries(want) as Array<[K, number]>) if (have[k] !== v) out[k] = v;
  return out;
}

const isEmpty = (o: object) => Object.keys(o).length === 0;

/** The recorded entries whose key the spec names (those netcfg still changes)... */
function named<V>(recorded: Partial<Record<string, V>> | undefined, spec: object): Record<string, V> {
  return Object.fromEntries(Object.entries(recorded ?? {}).filter(([k]) => k in spec)) as Record<string, V>;
}

/** ...and those it no longer names: their recorded values are to be put back. */
function unnamed<V>(recorded: Partial<Record<string, V>> | undefined, spec: object): Record<string, V> {
  return Object.fromEntries(Object.entries(recorded ?? {}).filter(([k]) => !(k in spec))) as Record<string, V>;
}
const sameModes = (a: ReadonlySet<WolMode>, b: readonly WolMode[]) => a.size === b.length && b.every((m) => a.has(m));
const text = (o: Record<string, number | boolean>) =>
  Object.entries(o)
    .map(([k, v]) => `${k} ${typeof v === 'boolean' ? (v ? 'on' : 'off') : v}`)
    .join(', ');

/** One change a pass makes: what to tell the user, and how to make it. */
interface Step {
  detail: string;
  apply: () => Promise<void>;
}

/**
 * What it takes to bring a link's settings to `target` (read first; only what
 * differs), and the values those settings have now. With `checkFeatures`, a
 * feature the kernel does not turn as asked fails its step.
 */
async function plan(ethtool: EthtoolClient, target: EthernetSpec, checkFeatures: boolean): Promise<{ steps: Step[]; before: AppliedEthernet }> {
  const name = target.name;
  const steps: Step[] = [];
  const before: AppliedEthernet = { name, features: {}, rings: {}, channels: {} };
  if (!isEmpty(target.rings)) {
    const have = await ethtool.rings(name);
    const set = differing<RingName>(target.rings, have);
    for (const k of Object.keys(set) as RingName[]) if (have[k] !== undefined) before.rings[k] = have[k];
    if (!isEmpty(set)) steps.push({ detail: `rings ${text(set)}`, apply: () => ethtool.setRings(name, set) });
  }
  const features = Object.entries(target.features);
  if (features.length > 0) {
    const have = await ethtool.features(name);
    const set = new Map(features.filter(([f, on]) => have.active.has(f) !== on));
    for (const [f] of set) before.features[f] = have.active.has(f);
    if (set.size > 0) {
      steps.push({
        detail: `features ${text(Object.fromEntries(set))}`,
        apply: async () => {
          await ethtool.setFeatures(name, set);
          if (!checkFeatures) return;
          // the kernel takes a wish it cannot grant (a fixed feature, one held by another) without an error
          const now = await ethtool.features(name);
          const refused = [...set].filter(([f, on]) => now.active.has(f) !== on);
          if (refused.length > 0) throw new Error(`ethernet ${name}: the kernel did not turn ${refused.map(([f, on]) => `${f} ${on ? 'on' : 'off'}`).join(', ')}${refused.some(([f]) => !now.changeable.has(f)) ? ' (not changeable on this device)' : ''}`);
        },
      });
    }
  }
  if (!isEmpty(target.channels)) {
    const have = await ethtool.channels(name);
    const set = differing<ChannelName>(target.channels, have);
    for (const k of Object.keys(set) as ChannelName[]) if (have[k] !== undefined) before.channels[k] = have[k];
    if (!isEmpty(set)) steps.push({ detail: `channels ${text(set)}`, apply: () => ethtool.setChannels(name, set) });
  }
  const want = target.wakeOnLan;
  if (want !== undefined) {
    const have = await ethtool.wol(name);
    if (!sameModes(have, want)) {
      before.wakeOnLan = [...have];
      steps.push({ detail: `Wake-on-LAN ${want.length === 0 ? 'off' : want.join(', ')}`, apply: () => ethtool.setWol(name, new Set(want)) });
    }
  }
  return { steps, before };
}

export class EthernetSpecController implements Controller {
  readonly name = 'EthernetSpecController';
  readonly inputs = [
    { namespace: NS.network, type: T.EthernetSpec },
    // a link that appears (or comes back) gets its settings
    { namespace: NS.network, type: T.LinkStatus },
  ];
  readonly outputs = [{ namespace: NS.state, type: T.AppliedEthernet, kind: 'exclusive' as const }];
  readonly after = ['LinkSpecController', 'LinkStatusController'];

  /** `ethtool`: the ethtool client in the namespace worked on (made on first use). */
  constructor(private readonly ethtool: () => EthtoolClient) {}

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const { running, undo, record } = partition<EthernetSpec, AppliedEthernet>(ctx, T.EthernetSpec, T.AppliedEthernet);
    if (running.length === 0 && undo.length === 0) return;
    const links = new Set(ctx.list<LinkStatus>(NS.network, T.LinkStatus).map((l) => l.metadata.id));
    const errors: Error[] = [];
    const change = (c: Change) => ctx.changes.record(c);

    for (const { id, record: rec, tearingDown } of undo) {
      // the link is gone, and its settings with it
      if (rec && links.has(rec.name)) {
        try {
          const detail = await this.restore(ctx, rec);
          if (detail) change({ action: 'change', kind: 'ethernet', id, detail: `put back ${detail}` });
        } catch (err) {
          errors.push(err as Error);
          continue;
        }
      }
      finishUndo(ctx, T.EthernetSpec, T.AppliedEthernet, id, tearingDown);
    }

    for (const r of running) {
      const spec = r.spec;
      hold(ctx, this.name, T.EthernetSpec, r);
      if (!links.has(spec.name)) {
        ctx.changes.wait(`ethernet/${spec.name}`, `ethernet ${spec.name}: link ${spec.name} is not present`);
        continue;
      }
      try {
        await this.apply(ctx, r.metadata.id, spec, record(r.metadata.id));
      } catch (err) {
        errors.push(err as Error);
      }
    }
    if (errors.length > 0) throw new ReconcileErrors(errors);
  }

  /**
   * Reads the link's settings, records the old value of each it is about to
   * change (intent first), then changes them. A setting netcfg changed that the
   * spec no longer names is put back as recorded, and leaves the record.
   */
  private async apply(ctx: ReconcileContext, id: string, wanted: EthernetSpec, rec: AppliedEthernet | undefined): Promise<void> {
    const name = wanted.name;
    const target: EthernetSpec = {
      name,
      rings: { ...unnamed(rec?.rings, wanted.rings), ...wanted.rings },
      features: { ...unnamed(rec?.features, wanted.features), ...wanted.features },
      channels: { ...unnamed(rec?.channels, wanted.channels), ...wanted.channels },
      ...(wanted.wakeOnLan !== undefined ? { wakeOnLan: wanted.wakeOnLan } : rec?.wakeOnLan !== undefined ? { wakeOnLan: rec.wakeOnLan } : {}),
    };
    const { steps, before } = await plan(this.ethtool(), target, true);
    // the first value netcfg replaced of each setting the spec names
    const was: AppliedEthernet = {
      name,
      features: { ...named(before.features, wanted.features), ...named(rec?.features, wanted.features) },
      rings: { ...named(before.rings, wanted.rings), ...named(rec?.rings, wanted.rings) },
      channels: { ...named(before.channels, wanted.channels), ...named(rec?.channels, wanted.channels) },
    };
    const wol = wanted.wakeOnLan !== undefined ? (rec?.wakeOnLan ?? before.wakeOnLan) : undefined;
    if (wol !== undefined) was.wakeOnLan = wol;
    if (steps.length === 0) {
      // as wanted; a first pass still records the link as configured by netcfg (nothing to put back)
      if (!rec || !deepEqual(rec, was)) keep(ctx, T.AppliedEthernet, id, was);
      return;
    }
    const detail = steps.map((s) => s.detail).join('; ');
    if (ctx.dryRun) {
      ctx.changes.record({ action: 'change', kind: 'ethernet', id, detail });
      return;
    }
    keep(ctx, T.AppliedEthernet, id, was);
    await ctx.flushState();
    for (const s of steps) await s.apply();
    ctx.changes.record({ action: 'change', kind: 'ethernet', id, detail });
  }

  /** Puts back what the record says netcfg changed; returns what it did ('' when all was as recorded already). */
  private async restore(ctx: ReconcileContext, rec: AppliedEthernet): Promise<string> {
    const { steps } = await plan(this.ethtool(), rec, false);
    if (!ctx.dryRun) for (const s of steps) await s.apply();
    return steps.map((s) => s.detail).join('; ');
  }
}
