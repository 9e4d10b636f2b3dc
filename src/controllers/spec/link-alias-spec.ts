// LinkAliasSpecController: sets IFLA_IFALIAS on the links LinkAliasSpecs name,
// recording the alias each had before, and puts that back when the spec goes
// away (if nobody changed it since). Unlike Talos, it never clears an alias it
// did not set: netcfg does not modify what it did not configure.
import { setLinkRequest } from '../../netlink/rtnetlink/link.js';
import { NS } from '../../resources/resource.js';
import { T, type AppliedAddress, type AppliedAlias, type AppliedLink, type AppliedRoute, type LinkAliasSpec } from '../../resources/network/types.js';
import { ReconcileErrors, type Controller, type ReconcileContext } from '../../runtime/controller.js';
import type { Kernel } from '../kernel.js';
import type { LinkReads } from './own-writes.js';
import { runOperations } from '../outcomes.js';
import { finishUndo, hold, keep, partition } from './applied.js';

export class LinkAliasSpecController implements Controller {
  readonly name = 'LinkAliasSpecController';
  readonly bootPath = true;
  // what netcfg applied to links by name: an alias is taken back only once nothing applied through it remains
  // the links through their statuses (woken when they change: a link that appears gets its alias)
  readonly inputs = [
    { namespace: NS.network, type: T.LinkAliasSpec },
    { namespace: NS.network, type: T.LinkStatus },
    { namespace: NS.state, type: T.AppliedLink },
    { namespace: NS.state, type: T.AppliedAddress },
    { namespace: NS.state, type: T.AppliedRoute },
  ];
  readonly outputs = [{ namespace: NS.state, type: T.AppliedAlias, kind: 'exclusive' as const }];
  readonly after = ['LinkStatusController'];

  /** `reads`: the links as the link statuses listed them (its own, for this controller alone). */
  constructor(
    private readonly kernel: Kernel,
    private readonly reads: LinkReads,
  ) {}

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const { running, undo, record } = partition<LinkAliasSpec, AppliedAlias>(ctx, T.LinkAliasSpec, T.AppliedAlias);
    if (running.length === 0 && undo.length === 0) return;
    const links = await this.reads.links();
    const errors: Error[] = [];
    const setAlias = async (index: number, name: string, alias: string): Promise<boolean> => {
      if (ctx.dryRun) return true;
      this.reads.wrote();
      let ok = true;
      await runOperations(this.kernel, [{ requests: [setLinkRequest(index, name, { alias })], ok: () => {}, failed: (err) => ((ok = false), errors.push(err)) }]);
      return ok;
    };
    // names the other records still reach links by (their undo needs the alias)
    const inUse = new Set<string>();
    if (undo.length > 0) {
      for (const r of ctx.list<AppliedLink>(NS.state, T.AppliedLink)) inUse.add(r.spec.name);
      for (const r of ctx.list<AppliedAddress>(NS.state, T.AppliedAddress)) inUse.add(r.spec.linkName);
      for (const r of ctx.list<AppliedRoute>(NS.state, T.AppliedRoute)) inUse.add(r.spec.outLinkName);
    }
    for (const { id, record: rec, tearingDown } of undo) {
      if (rec && inUse.has(rec.set)) continue; // later, once those are undone
      const link = rec ? links.exact(rec.name) : undefined;
      if (rec && link && (link.alias ?? '') === rec.set && rec.original !== rec.set) {
        if (!(await setAlias(link.index, link.name, rec.original))) continue;
        ctx.changes.record({ action: 'remove', kind: 'link', id: rec.name, detail: rec.original === '' ? `clear alias ${rec.set}` : `restore alias ${rec.original}` });
      }
      finishUndo(ctx, T.LinkAliasSpec, T.AppliedAlias, id, tearingDown);
    }
    for (const r of running) {
      hold(ctx, this.name, T.LinkAliasSpec, r);
      const id = r.metadata.id;
      const link = links.exact(id);
      if (!link) {
        ctx.changes.wait(`alias/${id}`, `alias ${r.spec.alias}: link ${id} is not present`);
        continue;
      }
      const have = link.alias ?? '';
      if (have === r.spec.alias) continue;
      const previous = record(id);
      if (!(await setAlias(link.index, link.name, r.spec.alias))) continue;
      ctx.changes.record({ action: previous ? 'change' : 'add', kind: 'link', id, detail: `alias ${have || '(none)'} → ${r.spec.alias}` });
      keep(ctx, T.AppliedAlias, id, { name: id, original: previous?.original ?? have, set: r.spec.alias } satisfies AppliedAlias);
    }
    if (errors.length > 0) throw new ReconcileErrors(errors);
  }
}
