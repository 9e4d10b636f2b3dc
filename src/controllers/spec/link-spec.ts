// LinkSpecController: makes kernel links match the merged LinkSpecs (up, MTU)
// and undoes exactly what it changed when a spec goes away.
import { IFF_UP } from '../../netlink/rtnetlink/constants.js';
import { setLinkRequest, type LinkChange, type LinkMessage } from '../../netlink/rtnetlink/link.js';
import { NS } from '../../resources/resource.js';
import { T, type AppliedLink, type LinkSpec } from '../../resources/network/types.js';
import { ReconcileErrors, type Controller, type ReconcileContext } from '../../runtime/controller.js';
import { LinkIndex, type Kernel } from '../kernel.js';
import { runOperations, type Operation } from '../outcomes.js';
import { finishUndo, hold, keep, partition } from './applied.js';

function isUp(link: LinkMessage): boolean {
  return (link.flags & IFF_UP) !== 0;
}

function describe(link: LinkMessage, change: LinkChange): string {
  const parts: string[] = [];
  if (change.mtu !== undefined) parts.push(`mtu ${link.mtu} → ${change.mtu}`);
  if (change.up !== undefined) parts.push(change.up ? 'down → up' : 'up → down');
  return parts.join(', ');
}

export class LinkSpecController implements Controller {
  readonly name = 'LinkSpecController';
  readonly inputs = [{ namespace: NS.network, type: T.LinkSpec }];
  readonly outputs = [{ namespace: NS.state, type: T.AppliedLink, kind: 'exclusive' as const }];

  constructor(private readonly kernel: Kernel) {}

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const { running, undo } = partition<LinkSpec, AppliedLink>(ctx, T.LinkSpec, T.AppliedLink);
    const links = new LinkIndex(await this.kernel.listLinks());
    const ops: Operation[] = [];
    const errors: Error[] = [];
    const commit: Array<() => void> = [];

    for (const { id, record, tearingDown } of undo) {
      const link = record ? links.resolve(record.name) : undefined;
      const change: LinkChange = {};
      if (record && link) {
        const { original, set } = record;
        if (set.mtu !== undefined && original.mtu !== undefined && link.mtu === set.mtu && original.mtu !== set.mtu) change.mtu = original.mtu;
        if (set.up !== undefined && original.up !== undefined && isUp(link) === set.up && original.up !== set.up) change.up = original.up;
      }
      if (!link || Object.keys(change).length === 0) {
        commit.push(() => finishUndo(ctx, T.LinkSpec, T.AppliedLink, id, tearingDown));
        continue;
      }
      const detail = `restore ${describe(link, change)}`;
      ops.push({
        requests: [setLinkRequest(link.index, link.name, change)],
        ok: () => {
          ctx.changes.record({ action: 'remove', kind: 'link', id, detail });
          finishUndo(ctx, T.LinkSpec, T.AppliedLink, id, tearingDown);
        },
        failed: (err) => errors.push(err),
      });
    }

    for (const r of running) {
      const spec = r.spec;
      const id = r.metadata.id;
      hold(ctx, this.name, T.LinkSpec, r);
      if (spec.logical) {
        ctx.changes.wait(`link/${spec.name}`, `link ${spec.name}: ${spec.kind || 'logical'} links are validated but not created yet by this netcfg version`);
        continue;
      }
      const link = links.resolve(spec.name);
      if (!link) {
        ctx.changes.wait(`link/${spec.name}`, `link ${spec.name} is not present; it is configured when it appears`);
        ctx.requeueAfter(5000);
        continue;
      }
      const previous = ctx.get<AppliedLink>(NS.state, T.AppliedLink, id)?.spec;
      const record: AppliedLink = {
        name: spec.name,
        logical: false,
        created: false,
        original: { ...previous?.original },
        set: { ...previous?.set },
      };
      const change: LinkChange = {};
      if (spec.up !== isUp(link)) {
        change.up = spec.up;
        record.original.up ??= isUp(link);
        record.set.up = spec.up;
      }
      if (spec.mtu !== 0 && spec.mtu !== link.mtu) {
        change.mtu = spec.mtu;
        record.original.mtu ??= link.mtu;
        record.set.mtu = spec.mtu;
      } else if (spec.mtu === 0 && record.set.mtu !== undefined) {
        // the MTU is no longer configured: put back what was there before netcfg
        if (link.mtu === record.set.mtu && record.original.mtu !== undefined && record.original.mtu !== link.mtu) change.mtu = record.original.mtu;
        delete record.set.mtu;
        delete record.original.mtu;
      }
      if (Object.keys(change).length === 0) {
        keep(ctx, T.AppliedLink, id, record);
        continue;
      }
      const detail = describe(link, change);
      ops.push({
        requests: [setLinkRequest(link.index, link.name, change)],
        ok: () => {
          ctx.changes.record({ action: 'change', kind: 'link', id, detail });
          keep(ctx, T.AppliedLink, id, record);
        },
        failed: (err) => errors.push(err),
      });
    }

    if (ctx.dryRun) {
      for (const op of ops) op.ok();
      return;
    }
    for (const c of commit) c();
    await ctx.flushState();
    await runOperations(this.kernel, ops);
    if (errors.length > 0) throw new ReconcileErrors(errors);
  }
}
